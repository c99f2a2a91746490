/* --import: its output loaded as netsrvd loads a configuration, before anyone sees it. */
#ifndef NETSRVD_IMPORT_CHECK_H
#define NETSRVD_IMPORT_CHECK_H

#include <stddef.h>

#include "import_model.h"

/*
 * text is what import_emit_config made of r. Returns 0 when netsrvd's own
 * loader (what -t runs, on this machine) accepts it, or when r serves no
 * service at all (the report says -t refuses that list; nothing else can
 * be made of such an input). Else -1 with the loader's "NAME:LINE: why"
 * in err: the import made a configuration the daemon refuses, a bug of the
 * import, never to be printed.
 */
int import_check_config(const struct import_result *r, const char *text, char *err, size_t errlen);

#endif
