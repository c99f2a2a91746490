/* --import: the netsrv.conf text of an import, and its list of what was lost. */
#ifndef NETSRVD_IMPORT_EMIT_H
#define NETSRVD_IMPORT_EMIT_H

#include <stdio.h>

#include "import_model.h"

/* The configuration: global settings, then every service (unservable ones commented out). */
void import_emit_config(const struct import_result *r, const struct import_host *h, FILE *out);

/* What was lost and what changed, one "FILE:LINE: ..." line each, then a summary. */
void import_emit_report(const struct import_result *r, FILE *err);

/* s as a libconfig string literal, quotes and escapes included: a new string. */
char *import_emit_quote(const char *s);

#endif
