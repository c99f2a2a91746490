/* What a master may inherit at start: sockets from systemd (LISTEN_FDS), or sockets, pid file and workers from the master it replaces (SIGUSR2). */
#ifndef NETSRVD_INHERIT_H
#define NETSRVD_INHERIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct listener;

/*
 * One worker handed over: what it is, so the new image drains it as a
 * reload would (an exec worker runs its program up to max_runtime).
 */
struct inherited_worker {
	pid_t pid;
	char name[NETSRVD_NAME_MAX + 1];
	char kind[16];		/* its handler ("exec", "echo"...); "": not said (an older release) */
	int grace_s;		/* after SIGTERM, how long it may serve on; -1: no limit */
	bool has_grace;		/* grace_s was passed (releases before 0.1.1 did not) */
	bool tcp;		/* serves TCP */
	int pidfd;		/* a rolled-back upgrade: our handle on a worker not our child; -1 */
};

struct inherited {
	struct listener **ls;		/* passed listening sockets */
	size_t nls;
	const char *source;		/* "systemd" or "upgrade", for logs */
	int pidfile_fd;			/* upgrade: the locked pid file; -1 otherwise */
	struct inherited_worker *workers;	/* upgrade: the old master's workers */
	size_t nworkers;
	bool detached;			/* upgrade: already a daemon; do not fork again */
	int guard_fd;			/* upgrade: tell the old image's guard we serve; -1 */
	bool recovered;			/* the guard brought the old binary back */
};

/* Reads and clears the environment that describes what was passed. */
int inherit_collect(struct inherited *in, char *err, size_t errlen);
/* The fds main() must not close as "inherited by accident". */
bool inherit_keeps_fd(const struct inherited *in, int fd);
void inherit_free(struct inherited *in);

/*
 * For the exec of a new binary: the environment that describes what we
 * pass, and in *workers_fd the file with the worker list, which the
 * caller closes if the exec does not happen.
 */
int inherit_export(struct listener *const *ls, size_t nls, int pidfile_fd,
    const struct inherited_worker *workers, size_t nworkers, bool detached, int *workers_fd);

#endif
