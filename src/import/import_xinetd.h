/* --import: xinetd.conf, its defaults entry, include and includedir. */
#ifndef NETSRVD_IMPORT_XINETD_H
#define NETSRVD_IMPORT_XINETD_H

#include <stdbool.h>
#include <sys/stat.h>

#include "import_model.h"

/* line (no newline) opens an xinetd entry or names an include: its first word. */
bool import_xinetd_is_keyword(const char *line);

/*
 * The services of text (the file at path; sb: what fstat said of it, or
 * NULL), with the files it includes, appended to r as netsrvd sees them:
 * defaults applied, every attribute translated or noted. An include that
 * loops, or passes one of the IMPORT_*_MAX bounds, is a note.
 */
void import_xinetd_parse(struct import_result *r, const struct import_host *h,
    const char *path, const char *text, const struct stat *sb);

#endif
