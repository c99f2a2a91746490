/* Watching one running program: its stderr into the log, its deadlines, its end. */
#ifndef NETSRVD_EXEC_WATCH_H
#define NETSRVD_EXEC_WATCH_H

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec_spawn.h"

/* After a stop's SIGTERM to the program's group, this long before SIGKILL. */
#define EXEC_STOP_KILL_MS 2000
/* stderr lines a program may log in a second; the rest are counted, not logged */
#define EXEC_STDERR_LINES_PER_S 100

struct exec_watch {
	const char *service;
	int wake_fd;			/* readable once the worker is told to stop */
	int max_runtime;		/* seconds; 0: none */
	int shutdown_timeout;		/* seconds */
	const _Atomic int *daemon_stopping;	/* the master's word: a stop, not a reload */
	_Atomic int64_t *progress;	/* the worker's line: alive while it waits */
	/*
	 * The `timeout`: seconds without activity on the program's socket
	 * (0: none). moved, asked about once a second, says whether anything
	 * moved since it was last asked; it never reads the socket.
	 */
	int idle_timeout;
	bool (*moved)(void *ctx);
	void *moved_ctx;
	/*
	 * A stream the worker carries for the program (TLS: tls_relay.h), or
	 * NULL: side_events fills the pollfds to wait on beside the program
	 * (up to EXEC_SIDE_FDS; fd -1 for none), side_step moves what it can
	 * after each wake.
	 */
	void (*side_events)(void *ctx, struct pollfd *pf);
	void (*side_step)(void *ctx);
	void *side_ctx;
};

#define EXEC_SIDE_FDS 2

struct exec_result {
	int status;			/* as waitpid gives it */
	bool timed_out;			/* max_runtime or the idle timeout ended it */
	bool idle;			/* the idle timeout, precisely */
	bool stopped;			/* the daemon's stop ended it */
};

/*
 * Waits for c to exit, logging its stderr lines, ending it when
 * max_runtime passes, its socket stays idle for idle_timeout, or the daemon stops (SIGTERM to its group, then
 * SIGKILL); closes c's descriptors. Returns when it has been reaped.
 */
void exec_watch(const struct exec_watch *w, struct exec_child *c, struct exec_result *r);

/* The access log's words for a program's end: "program=PID exit=0", "program=PID signal=SIGKILL" */
void exec_result_format(const struct exec_result *r, pid_t pid, char *buf, size_t len);

#endif
