/* Permission checks made as the kernel will make them for a service's user: what -t can tell before a client finds out. */
#include "autoconfig.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perm.h"

/* Our own groups, when the service keeps netsrvd's identity (no user, no group). */
static bool
in_own_groups(gid_t g)
{
	int n = getgroups(0, NULL);
	gid_t *v;
	bool in = false;

	if (n <= 0)
		return false;	/* none, or unreadable: only the primary group counts */
	v = calloc((size_t)n, sizeof(*v));
	if (v == NULL)
		return false;
	n = getgroups(n, v);
	for (int i = 0; i < n; i++)
		in |= v[i] == g;
	free(v);
	return in;
}

/* The groups privs_drop gives the worker: its group, and with groups = true the user's. */
static bool
in_group(const struct identity *id, gid_t g)
{
	if (!id->drop)
		return getegid() == g || in_own_groups(g);
	if (id->gid == g)
		return true;
	for (size_t i = 0; id->groups != NULL && i < id->ngroups; i++)
		if (id->groups[i] == g)
			return true;
	return false;
}

bool
perm_allows(const struct stat *st, const struct identity *id, int mask)
{
	uid_t uid = id->drop ? id->uid : geteuid();
	unsigned bits;

	if (uid == 0)	/* CAP_DAC_OVERRIDE, but for executing a regular file */
		return S_ISDIR(st->st_mode) || (mask & PERM_X) == 0 ||
		    (st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
	if (st->st_uid == uid)
		bits = (st->st_mode >> 6) & 7;
	else if (in_group(id, st->st_gid))
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return (bits & (unsigned)mask) == (unsigned)mask;
}

/* Each directory path names on its way to its last component: "/", "/a", "/a/b" for "/a/b/c". */
static bool
walk_unsearchable(const char *path, const struct identity *id, char *dir, size_t len, mode_t *mode)
{
	char prefix[PATH_MAX];
	struct stat st;

	for (size_t i = 0; path[i] != '\0'; i++) {
		if (path[i] != '/' || path[i + 1] == '\0')
			continue;
		if (i == 0)
			snprintf(prefix, sizeof(prefix), "/");
		else if (i < sizeof(prefix))
			snprintf(prefix, sizeof(prefix), "%.*s", (int)i, path);
		else
			return false;	/* longer than a path can be: the kernel will say so */
		if (stat(prefix, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;	/* resolving the path itself tells why */
		if (!perm_allows(&st, id, PERM_X)) {
			snprintf(dir, len, "%s", prefix);
			*mode = st.st_mode;
			return true;
		}
	}
	return false;
}

bool
perm_unsearchable_dir(const char *path, const struct identity *id, char *dir, size_t len,
    mode_t *mode)
{
	char *real;
	bool found;

	if (walk_unsearchable(path, id, dir, len, mode))
		return true;
	/* where its symbolic links lead: those directories are searched too */
	real = realpath(path, NULL);
	if (real == NULL)
		return false;	/* resolving the path itself tells why */
	found = strcmp(real, path) != 0 && walk_unsearchable(real, id, dir, len, mode);
	free(real);
	return found;
}
