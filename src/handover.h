/* The hand-over across an exec: what a master passes to the binary it becomes (SIGUSR2), read back at the start as what was inherited, with systemd's sockets (LISTEN_FDS) as the other way in. */
#ifndef NETSRVD_HANDOVER_H
#define NETSRVD_HANDOVER_H

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

/* What a master found at its start. */
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

/* What the old master hands over: the writer's side of the same protocol. */
struct handover {
	struct listener *const *ls;	/* the sockets that cross the exec */
	size_t nls;
	int pidfile_fd;			/* locked; -1: none */
	const struct inherited_worker *workers;
	size_t nworkers;
	bool detached;			/* we are a daemon: the new image does not fork again */
	int guard_fd;			/* the write end of the guard's pipe; -1: none */
	bool recovered;			/* written by the guard when it brings the old binary back */
};

/*
 * The reader's side, at the start: reads and checks what the environment
 * says was passed (an upgrade, else systemd's socket activation), then
 * clears every variable of the protocol, not for our children nor for a
 * binary we exec later. Nothing in it is trusted: -1 and err on anything
 * malformed.
 */
int handover_collect(struct inherited *in, char *err, size_t errlen);
/* The fds main() must not close as "inherited by accident". */
bool handover_keeps_fd(const struct inherited *in, int fd);
/* Once the first generation took what it wants: the sockets no service wants, said and closed (in may be NULL). */
void handover_drop_unused(struct inherited *in);
void handover_free(struct inherited *in);

/*
 * The writer's side, before the exec: the environment that describes what
 * h passes (its guard_fd and recovered are written by the calls below, at
 * their own moment), the descriptors it names made to cross the exec, and
 * in *workers_fd the file with the worker list. -1 with errno set, and
 * nothing left behind.
 */
int handover_export(const struct handover *h, int *workers_fd);
/* Once the guard is forked: the new image's end of its pipe. */
int handover_export_guard(int guard_fd);
/* In the guard, before it executes the old binary again. */
int handover_export_recovered(void);
/* The exec did not happen: the environment cleared, the descriptors ours again. */
void handover_abandon(const struct handover *h, int workers_fd);

/* The protocol's variables by index, NULL past the last: what netsrvd(8) must name. */
const char *handover_variable(size_t i);

#endif
