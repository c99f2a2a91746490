/* Permission checks made as the kernel will make them for a service's user: what -t can tell before a client finds out. */
#ifndef NETSRVD_PERM_H
#define NETSRVD_PERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "config.h"

/* What is asked of a file, as in its mode's "other" bits. */
#define PERM_R	4
#define PERM_W	2
#define PERM_X	1

/*
 * May id (a service's identity; id->drop false: netsrvd's own) have mask
 * on a file of *st? Owner bits if it owns it, else group bits if it is in
 * the file's group (its group, or one of the groups it gets), else the
 * others' bits; root may do all but execute a file with no x bit at all.
 * Mode bits only: ACLs and security modules are not read.
 */
bool perm_allows(const struct stat *st, const struct identity *id, int mask);
/*
 * The first directory on the way to path that id may not search (x), as
 * path resolution will ask of each one: copied into dir, its mode into
 * *mode, and true. The directories of the path as written are checked,
 * then those of the path its symbolic links lead to. A directory that
 * cannot be looked at is passed over: resolving the path itself tells why.
 */
bool perm_unsearchable_dir(const char *path, const struct identity *id, char *dir, size_t len,
    mode_t *mode);

#endif
