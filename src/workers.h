/* The master's table of its workers, its whole life: spawned, watched, told to stop, reaped, handed over and adopted. */
#ifndef NETSRVD_WORKERS_H
#define NETSRVD_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "scoreboard.h"
#include "stats.h"
#include "worker_shared.h"

struct generation;
struct inherited;
struct inherited_worker;

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
	bool serves_socket;	/* its handler owns the socket (exec's wait): see workers_fill */
	char name[NETSRVD_NAME_MAX + 1];
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

/* Its entries, live or adopted. */
size_t workers_count(const struct worker_table *t);
/* At the end: the table's memory (the workers are gone by then). */
void workers_free(struct worker_table *t);
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

/*
 * Forks a worker for service si of g, its line from g's scoreboard, and
 * in the child run(its entry, data). 0, or -1 logged (the service then
 * waits 1 s before the next try).
 */
int workers_spawn(struct worker_table *t, struct generation *g, size_t si, workers_run_fn run,
    void *data);
/* Starts the workers g's services lack: not one that is down, backing off, or whose old program still holds its socket. */
void workers_fill(struct worker_table *t, struct generation *g, workers_run_fn run, void *data);
/* When a service of g is due to bind, start a worker, or see its probe proven (util_now_ms); -1: none. */
int64_t workers_next_start_ms(const struct worker_table *t, const struct generation *g);
/*
 * pid was reaped with status: says how it ended, folds its counters
 * into its service's totals, frees its line and its entry. A worker of
 * cur dying young and abnormally is a start failure its service backs
 * off from, if count_start_failures. false: pid is no worker of ours.
 */
bool workers_reaped(struct worker_table *t, pid_t pid, int status, struct stats *stats,
    struct generation *cur, bool count_start_failures);
/* One tick of the adaptive pool (pool.c) for each service of g: grow, or retire an idle worker. */
void workers_adapt_pools(struct worker_table *t, struct generation *g, int64_t now);

enum workers_readiness { WORKERS_NOT_YET, WORKERS_SERVING, WORKERS_FAILING };
/*
 * SERVING: every service of g with a socket has a worker in its serving
 * loop, or keeps failing at start (back-off) while another serves.
 * FAILING: none serves and each backs off. The failing ones are named in why.
 */
enum workers_readiness workers_readiness(const struct worker_table *t, const struct generation *g,
    char *why, size_t len);
/*
 * In a new worker, from its own entry: what the table and its generation
 * give it (configuration, socket, line, counters); the master adds its own.
 */
struct worker_args workers_args(const struct worker_slot *w);
/* In a new worker: closes the handles the table holds (adopted workers' pidfds). */
void workers_close_handles(const struct worker_table *t);

/* For an upgrade: each worker as the new image adopts it (out has t->n entries), with a pidfd for the guard. */
void workers_describe(const struct worker_table *t, struct inherited_worker *out, int64_t now);
/*
 * After an in-place upgrade the old master's workers are ours (same pid):
 * each handed over in in (NULL: none) joins the table and is told to
 * drain as after a reload, unless it is neither our child nor seen
 * through a pidfd the guard kept (then logged and left alone); out of
 * memory, the rest are left alone. true: some were handed over.
 */
bool workers_adopt(struct worker_table *t, const struct inherited *in, const struct generation *cur);

#endif
