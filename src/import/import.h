/* netsrvd --import: an inetd.conf or xinetd.conf as netsrv.conf. */
#ifndef NETSRVD_IMPORT_H
#define NETSRVD_IMPORT_H

#include <stdio.h>
#include <sys/stat.h>

#include "import_model.h"

/* The exit status of an import (sysexits.h). */
#define IMPORT_COMPLETE	0	/* every service and attribute carried over */
#define IMPORT_LOST	65	/* EX_DATAERR: something could not be */
#define IMPORT_UNREADABLE 78	/* EX_CONFIG: unreadable, or neither format */
#define IMPORT_FAILED	1	/* the output could not be made or written, or netsrvd refuses it */

enum import_format { IMPORT_NEITHER, IMPORT_INETD, IMPORT_XINETD };

/* Which of the two a file's text is, from its content (not its name). */
enum import_format import_detect(const char *text);

/*
 * Reads path, writes the netsrv.conf to out (only once netsrvd's loader
 * accepts it: import_check_config) and what could not be carried over to
 * err, and returns the exit status above. dest (-c, may be NULL)
 * is only named in the output's header: nothing is read from it or
 * written to it.
 */
int import_run(const char *path, const char *dest, FILE *out, FILE *err,
    const struct import_host *h);

/*
 * The same with --import-to dir (NULL: none): every file read through
 * xinetd's includedir becomes dir/NAME.conf, holding only its services
 * list (import_to_write says which file stands in the way), and what out
 * gets is the main file: its global settings, include_dir = dir and its
 * own services. dir must be a directory (else IMPORT_FAILED, nothing
 * read or printed). A drop-in not written for a file that stands at its
 * name, or a name unsafe or taken twice, is said on err and makes the
 * status IMPORT_LOST; a failure to write one, IMPORT_FAILED with nothing
 * printed.
 */
int import_run_to(const char *path, const char *dest, const char *dir, FILE *out, FILE *err,
    const struct import_host *h);

/*
 * The same on text already read, into r (for the tests): detection,
 * parsing and the checks across services, no output. sb is what fstat
 * said of the file (an include of it is a loop), or NULL. Returns -1 when
 * text is neither format.
 */
int import_text(struct import_result *r, const char *path, const char *text,
    const struct stat *sb, const struct import_host *h);

#endif
