/* A service's confinement keys as the loader stores them (checked: config_confine.c; applied: confine.c, cgroup.c). */
#ifndef NETSRVD_CONFINE_CONF_H
#define NETSRVD_CONFINE_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config_strv.h"

#define CONFINE_UNSET (-1)

/* `cgroup = { ... }`: the service's programs in cgroups of their own (cgroup v2, delegated). */
struct cgroup_conf {
	bool on;			/* the service has a cgroup group (it may be empty) */
	long long memory_max;		/* bytes, memory.max of the service's cgroup; CONFINE_UNSET: none */
	int pids_max;			/* pids.max; CONFINE_UNSET: none */
	int cpu_weight;			/* cpu.weight 1-10000; CONFINE_UNSET: the kernel's (100) */
};

enum protect_system { PROTECT_SYSTEM_NO, PROTECT_SYSTEM_FULL, PROTECT_SYSTEM_STRICT };

struct confine_conf {
	bool no_new_privileges;		/* PR_SET_NO_NEW_PRIVS on the workers (so their programs) */
	struct config_strv capabilities;	/* names as written ("CAP_NET_BIND_SERVICE") */
	char *chroot;			/* the service's root (absolute); NULL: none */
	struct config_strv read_only_paths;
	struct config_strv read_write_paths;
	struct config_strv inaccessible_paths;
	bool private_tmp;		/* a tmpfs of its own on /tmp and /var/tmp */
	char *protect_system;		/* "full", "strict" (checked); NULL: no */
	bool protect_home;		/* /home, /root, /run/user inaccessible */
	char *syscall_filter;		/* "system-service" (checked); NULL: none */
	int nice;			/* -20..19, with nice_set: a built-in worker's own, an exec program's */
	char *umask;			/* "0022", as written; NULL: unset (the worker's, 027 once detached) */
	struct cgroup_conf cgroup;

	/* made by the check (config_confine.c) */
	bool caps_set;			/* capabilities was written: keep only cap_keep */
	bool nice_set;			/* nice was written */
	mode_t umask_mode;		/* umask parsed, with umask != NULL */
	uint64_t cap_keep;		/* bit n: capability n stays in the bounding set */
	enum protect_system protect;
	bool mount_ns;			/* any key that needs a mount namespace of its own */
};

#endif
