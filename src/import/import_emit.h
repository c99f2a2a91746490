/* --import: the netsrv.conf text of an import, and its list of what was lost. */
#ifndef NETSRVD_IMPORT_EMIT_H
#define NETSRVD_IMPORT_EMIT_H

#include <stdio.h>

#include "import_model.h"

/* The configuration: global settings, then every service (unservable ones commented out). */
void import_emit_config(const struct import_result *r, const struct import_host *h, FILE *out);

/*
 * The same with include_dir NULL; else the main file of --import-to: the
 * global settings, include_dir = include_dir, and only the services that
 * go to no drop-in (import_service_dropin).
 */
void import_emit_main(const struct import_result *r, const struct import_host *h, const char *include_dir,
    FILE *out);

/*
 * The first bytes of every drop-in --import-to writes: a file that starts
 * otherwise is the sysadmin's, never replaced.
 */
#define IMPORT_DROPIN_MARK "# netsrvd drop-in made by \"netsrvd --import "

/* The drop-in of r->files[file] for --import-to dir: the header, then its services list alone. */
void import_emit_dropin(const struct import_result *r, const struct import_host *h, int file,
    const char *dir, FILE *out);

/* Which services emit_services prints: all, the main file's own, or a drop-in's (its file index). */
#define IMPORT_PART_ALL		(-2)
#define IMPORT_PART_MAIN	(-1)

/*
 * One service as a group of the services list (comma: one follows), with
 * its "# lost:" comments; an unservable one commented out.
 */
void import_emit_service(FILE *out, const struct import_service *s, const struct import_host *h, bool comma);

/* Only what was lost or is not served, one "FILE:LINE: ..." line each, no summary (inetd_conf's warnings). */
void import_emit_lost(const struct import_result *r, FILE *out);

/* What was lost and what changed, one "FILE:LINE: ..." line each, then a summary. */
void import_emit_report(const struct import_result *r, FILE *err);

/* s as a libconfig string literal, quotes and escapes included: a new string. */
char *import_emit_quote(const char *s);

#endif
