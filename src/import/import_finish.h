/* --import: the checks only the whole list of services allows, after either parser. */
#ifndef NETSRVD_IMPORT_FINISH_H
#define NETSRVD_IMPORT_FINISH_H

#include "import_model.h"

/*
 * Names made valid and unique, overlapping services disabled but the
 * first, exec programs checked as -t would, pool floors under a cap: what
 * --import and inetd_conf both do once every service of r is parsed.
 */
void import_finish(struct import_result *r, const struct import_host *h);

#endif
