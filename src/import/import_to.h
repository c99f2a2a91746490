/* --import-to: the drop-in files of an import, written safely into a directory. */
#ifndef NETSRVD_IMPORT_TO_H
#define NETSRVD_IMPORT_TO_H

#include <stddef.h>

/* 0 when dir is a directory; else -1 with "DIR: why" in err. */
int import_to_check_dir(const char *dir, char *err, size_t errlen);

/* Why name cannot be a file name of dir ("/" in it, a leading "."), or NULL. */
const char *import_to_name_unsafe(const char *name);

/*
 * Writes text as dir/name: a temporary file in dir (O_EXCL, so no link is
 * followed), 0644, synced, then renamed over name. What stands at name
 * already is replaced only when it is a regular file that starts with
 * IMPORT_DROPIN_MARK: a symbolic link is not followed and a file of the
 * sysadmin's is not touched. 0 written; 1 kept (err says why); -1 failed,
 * err naming the path and strerror.
 */
int import_to_write(const char *dir, const char *name, const char *text, size_t len,
    char *err, size_t errlen);

#endif
