/* In-place binary upgrade (SIGUSR2): check the binary on disk, hand the sockets, pid file and workers to it across an exec, and keep a guard that brings the old binary back if the new one fails. */
#ifndef NETSRVD_UPGRADE_H
#define NETSRVD_UPGRADE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "handover.h"
#include "listener.h"

struct generation;
struct worker_table;

/* Who the new image is: the binary to run, and the options we were started with. */
struct upgrade_image {
	const char *exe;		/* absolute path of the binary to run */
	const char *config_path;
	const char *pid_file_opt;	/* -p as given, or NULL */
	bool foreground;
};

/* Everything the new image is handed, and how to run it. */
struct upgrade_handover {
	const char *exe;
	const char *config_path;
	const char *pid_file_opt;
	bool foreground;
	struct listener **ls;		/* the current generation's bound sockets */
	size_t nls;
	int pidfile_fd;			/* locked; -1: none */
	struct inherited_worker *workers;	/* to be adopted: kind, grace, a pidfd for the guard */
	size_t nworkers;
	_Atomic int *handed_over;	/* set while the sockets belong to the exec (sig.c reads it) */
};

/* `exe -t -c config_path`, bounded to 10 s: its exit status (-1: did not run) and first line in msg. */
int upgrade_check(const char *exe, const char *config_path, char *msg, size_t len);
/*
 * What crosses the exec to img: g's bound sockets (one that is down, the
 * new image binds), the locked pid file, and every worker of t described
 * as the new image adopts it, with a pidfd the guard keeps. 0, or -1
 * (logged) when out of memory; either way upgrade_release(h) after.
 */
int upgrade_prepare(struct upgrade_handover *h, const struct upgrade_image *img,
    const struct generation *g, const struct worker_table *t, _Atomic int *handed_over);
/* What upgrade_prepare took: the workers' pidfds and the memory. */
void upgrade_release(struct upgrade_handover *h);
/* Becomes the new binary; returns -1 (logged, errno set) only if that did not happen. */
int upgrade_exec(const struct upgrade_handover *h);
/* In the new image, once it serves: the old image's guard exits. */
void upgrade_release_guard(int ready_fd);

#endif
