/* What the two --import fuzzers share: the machine they run on, and the oracle. */
#ifndef NETSRVD_FUZZ_IMPORT_ORACLE_H
#define NETSRVD_FUZZ_IMPORT_ORACLE_H

#include <sys/stat.h>

#include "import/import.h"

/*
 * Imports main_text (read from path, sb: what stat said of it, or NULL)
 * when it is of format want, and aborts with the output on stderr unless:
 *  - it loads under libconfig;
 *  - its services list holds exactly the services the import serves, in
 *    order, each named as the import named it, and every name comes from
 *    names (the files' text: never from a file name or a comment's place);
 *  - its live lines (all but comments) are the same when every string the
 *    output shows in comments (file names, lines, notes) is replaced by
 *    "x": no comment can make a live line;
 *  - netsrvd's own loader accepts it, on this machine (import_check_config):
 *    the import never prints what -t refuses.
 * Returns -1 (skip the input) when main_text is not of format want.
 */
int fuzz_import_check(enum import_format want, const char *path, const char *main_text,
    const struct stat *sb, const char *names);

#endif
