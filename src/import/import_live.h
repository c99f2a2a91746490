/* inetd_conf: an inetd.conf's entries translated for the running daemon, by --import's own code. */
#ifndef NETSRVD_IMPORT_LIVE_H
#define NETSRVD_IMPORT_LIVE_H

#include <stdio.h>

/* At most this many of the lines on what was lost go to the daemon's log, then a count. */
#define IMPORT_LIVE_WARNINGS_MAX 100

/*
 * Reads the inetd.conf at path and writes on out a libconfig text the
 * loader takes in (config_inetd.c), with exactly these settings:
 *   services = ( ... );   the entries that can be served (enabled or not)
 *   lines = [ ... ];      the line of path each of them starts on
 *   warnings = ( ... );   "PATH:LINE: ..." for what is not served or lost
 * or "absent = true;" when path does not exist (no package registered an
 * entry yet), or error = "why"; when it cannot be read or is not in
 * inetd's format. Returns 0, or 1 when out could not be written. The
 * loader runs it in a child process: like all of --import, it ends the
 * process on running out of memory.
 */
int import_live_translate(const char *path, FILE *out);

#endif
