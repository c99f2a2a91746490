/* The master's table of its workers: who they are, which generation, and telling them to stop. */
#ifndef NETSRVD_WORKERS_H
#define NETSRVD_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scoreboard.h"
#include "stats.h"

struct generation;

struct worker_slot {
	pid_t pid;
	struct generation *gen;	/* NULL: adopted across an upgrade */
	int64_t started_ms;
	int svc;		/* index into gen->svcs */
	bool stopping;		/* told to finish and exit */
	int64_t stop_sent_ms;	/* when it was last sent SIGTERM */
	int grace_s;		/* its generation's shutdown_timeout, or its handler's; -1: no limit */
	int64_t deadline_ms;	/* told to stop: killed if still here then; 0: not told */
	bool killed;		/* we sent the SIGKILL it died of */
	bool tcp;		/* serves TCP: not nudged while its line says busy */
	char name[40];
	char kind[16];		/* its handler's name: what an upgrade hands over */
	bool foreign;		/* adopted after a rolled-back upgrade: not our child, seen through pidfd */
	int pidfd;		/* a foreign worker's pidfd */
	int64_t seen_stopped_ms;	/* when /proc last said it was stopped (SIGSTOP); 0: not */
	struct scoreboard *sb;	/* where its line is (an old one after a resize) */
	int sbslot;		/* -1: none (adopted across an upgrade) */
	int timeout;		/* its service's timeout when it started, for the watchdog */
	struct svc_stats *st;	/* its service's totals */
};

struct worker_table {
	struct worker_slot *w;
	size_t n, cap;
};

/*
 * What a freshly forked worker runs, given its own entry of the table
 * (filled in but for the pid) and the spawner's data; it never returns.
 * As nginx's ngx_spawn_process(cycle, proc, data): the table forks
 * workers without knowing what a worker does.
 */
typedef void (*workers_run_fn)(const struct worker_slot *w, void *data);

/* A new entry at the end (uninitialised), or NULL when out of memory. */
struct worker_slot *workers_add(struct worker_table *t);
/* The entry of pid, or -1. */
ssize_t workers_find(const struct worker_table *t, pid_t pid);
/* Forgets entry i (the last one takes its place). */
void workers_remove(struct worker_table *t, size_t i);
/* Its scoreboard line, or NULL (adopted). */
struct sb_slot *workers_line(const struct worker_slot *w);
void workers_mark_stopping(struct worker_slot *w, int64_t now);
/* sig to every worker but those of generation keep (NULL: all); SIGTERM only once each. */
void workers_signal(struct worker_table *t, int sig, const struct generation *keep);
/* Kills the workers still serving past their stop deadline. */
void workers_kill_overdue(struct worker_table *t, int64_t now);
/* Tells the idle workers told to stop a tick ago again (see workers.c). */
void workers_nudge_stopping(struct worker_table *t, int64_t now);
/* Kills the workers busy without progress well past their timeout. */
void workers_kill_hung(struct worker_table *t, int64_t coarse_now);
/* Continues the workers /proc says are stopped; kills those still stopped a tick later. */
void workers_check_stopped(struct worker_table *t, int64_t now);
/* Forgets the adopted workers that are not our children once they have exited (their pidfd says). */
void workers_forget_exited(struct worker_table *t);
/* Closes what the entry holds (an adopted worker's pidfd), before workers_remove. */
void workers_release(struct worker_slot *w);
/* Says how a worker ended, once, naming what its seccomp filter refused. */
void workers_log_exit(const struct worker_slot *w, int status);

#endif
