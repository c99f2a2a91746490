/* cgroup v2 on this host: where it is, which cgroup we are in, and whether a service's cgroup group can be given. */
#ifndef NETSRVD_CGROUP_CHECK_H
#define NETSRVD_CGROUP_CHECK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "confine_conf.h"

struct service_config;

/* What the host gives, found once per process (cgroup_probe). */
struct cgroup_host {
	bool probed;
	int ok;				/* 0: usable; -1: why says why not */
	char why[PATH_MAX + 128];
	char mount[PATH_MAX];		/* the cgroup2 mount point, from /proc/self/mountinfo */
	char self[PATH_MAX];		/* C: our cgroup under it, from /proc/self/cgroup's 0:: line */
	char controllers[256];		/* C's cgroup.controllers, one line */
	bool in_own_master;		/* we are in C/netsrvd.<ourpid>/master already (an upgrade's new image) */
};

/*
 * Once per process, then cached: after the master moved itself into
 * I/master, /proc/self/cgroup says I/master and C must stay what it
 * was. 0: a writable cgroup v2; -1: cgroup_host()->why says why not.
 */
int cgroup_probe(void);
const struct cgroup_host *cgroup_host(void);

/* The host alone: 0 when a writable cgroup v2 is there; -1 with why. */
int cgroup_host_check(char *why, size_t len);
/* C's path (after a successful check), for messages and tests; "" before. */
const char *cgroup_self_path(void);

/*
 * Whether the host can give s what its cgroup group asks (0; nothing
 * asked is 0 too): a writable cgroup v2, and the controller of each limit
 * key in C's cgroup.controllers. -1 with why naming the service, the key
 * and the reason. The loader calls it; it reads, writes nothing.
 */
int cgroup_config_check(const struct service_config *s, char *why, size_t len);

/* The limit keys: the controller each needs, the file it writes, the file's value when unset. */
struct cgroup_limit {
	const char *key, *controller, *file, *unset;
};
#define CGROUP_NLIMITS 3
extern const struct cgroup_limit cgroup_limits[CGROUP_NLIMITS];
/* The value of cgroup_limits[i] in g as the file takes it; false: unset. */
bool cgroup_limit_value(const struct cgroup_conf *g, size_t i, char *buf, size_t len);

#endif
