/* The master's table of its workers, its whole life: spawned, watched, told to stop, reaped, handed over and adopted. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "generation.h"
#include "handler.h"
#include "handover.h"
#include "log.h"
#include "pool.h"
#include "sandbox.h"
#include "util.h"
#include "worker.h"
#include "workers.h"

/* a busy worker silent for its timeout plus this is hung: killed */
#define HUNG_GRACE_MS		10000

struct worker_slot *
workers_add(struct worker_table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct worker_slot *w = realloc(t->w, cap * sizeof(*w));
		if (w == NULL)
			return NULL;
		t->w = w;
		t->cap = cap;
	}
	/* a new entry says nothing its maker did not write: not foreign, no pidfd */
	memset(&t->w[t->n], 0, sizeof(t->w[t->n]));
	t->w[t->n].pidfd = -1;
	return &t->w[t->n++];
}

size_t
workers_count(const struct worker_table *t)
{
	return t->n;
}

void
workers_free(struct worker_table *t)
{
	free(t->w);
	*t = (struct worker_table){ 0 };
}

ssize_t
workers_find(const struct worker_table *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->w[i].pid == pid)
			return (ssize_t)i;
	return -1;
}

void
workers_remove(struct worker_table *t, size_t i)
{
	t->w[i] = t->w[--t->n];
}

void
workers_release(struct worker_slot *w)
{
	if (w->foreign)
		close(w->pidfd);
	w->foreign = false;
}

/* A worker not our child goes through its pidfd: its pid may be reused once init reaps it. */
static int
send_signal(const struct worker_slot *w, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (w->foreign)
		return (int)syscall(SYS_pidfd_send_signal, w->pidfd, sig, NULL, 0);
#endif
	return kill(w->pid, sig);
}

static void
signal_worker(const struct worker_slot *w, int sig)
{
	if (send_signal(w, sig) == -1 && errno != ESRCH)
		log_error("kill(%ld, %d)", (long)w->pid, sig);
}

/*
 * An adopted exec worker runs the old image's code: the flag that tells
 * it the daemon stops is in a table this image cannot reach, so its
 * programs would only die with it (PDEATHSIG), leaving their process
 * groups. When it is killed, their groups are killed first: each program
 * leads one. The list is the kernel's, not the worker's.
 */
static void
kill_adopted_programs(const struct worker_slot *w)
{
	char path[64], buf[1024];

	if (w->sbslot >= 0 || strcmp(w->kind, "exec") != 0)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)w->pid, (long)w->pid);
	if (util_read_small(path, buf, sizeof(buf)) == -1)
		return;	/* gone already, or no children */
	for (char *p = buf, *end;; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p || pid <= 1)
			break;
		if (kill(-(pid_t)pid, SIGKILL) == -1 && errno != ESRCH)
			log_error("service %s: kill(-%ld) (a program of adopted worker %ld)", w->name, pid,
			    (long)w->pid);
	}
}

static void
kill_worker(struct worker_slot *w)
{
	kill_adopted_programs(w);
	signal_worker(w, SIGKILL);
	w->killed = true;
}

struct sb_slot *
workers_line(const struct worker_slot *w)
{
	return w->sbslot >= 0 ? scoreboard_slot(w->sb, (size_t)w->sbslot) : NULL;
}

/*
 * Told to stop, a worker finishes its client within its generation's
 * shutdown_timeout; then kill_overdue_workers() ends it. A reload, a log
 * rotation or a pool that shrinks can so never pile up old workers.
 */
void
workers_mark_stopping(struct worker_slot *w, int64_t now)
{
	if (!w->stopping)
		w->deadline_ms = w->grace_s < 0 ? INT64_MAX : now + (int64_t)w->grace_s * 1000;
	w->stopping = true;
	w->stop_sent_ms = now;
}
void
workers_signal(struct worker_table *t, int sig, const struct generation *keep)
{
	int64_t now = util_now_ms();

	for (size_t i = 0; i < t->n; i++) {
		struct worker_slot *w = &t->w[i];

		if (keep != NULL && w->gen == keep)
			continue;
		if (sig == SIGTERM && w->stopping)
			continue;
		if (sig == SIGKILL)
			kill_worker(w);
		else
			signal_worker(w, sig);
		workers_mark_stopping(w, now);
	}
}

void
workers_kill_overdue(struct worker_table *t, int64_t now)
{
	for (size_t i = 0; i < t->n; i++) {
		struct worker_slot *w = &t->w[i];

		if (!w->stopping || w->killed || now < w->deadline_ms)
			continue;
		log_warnx("service %s: worker %ld still serving %d s after it was told to stop (shutdown_timeout); killing it",
		    w->name, (long)w->pid, w->grace_s);
		kill_worker(w);
	}
}
/*
 * An idle worker waits in a blocking accept4() or receive: a SIGTERM that
 * lands after it tested its stop flag and before it entered the call
 * interrupts nothing, and the worker would sleep on until a client came
 * (UDP: or its 1 s receive timeout). There is no atomic way out of that
 * window for a socket call, so a worker still here a tick after being told
 * is told again. Repeats are harmless: the handler only sets the flag. A
 * TCP worker whose line says it is serving is left alone: it sees the flag
 * when its client is done, and a signal would restart a blocking receive's
 * timeout (io_recv_wait). Adopted workers, whose protocol this image does
 * not know, get them too.
 */
static bool
serving_tcp(const struct worker_slot *w)
{
	const struct sb_slot *l = workers_line(w);

	return w->tcp && l != NULL && atomic_load(&l->state) == SB_BUSY;
}

void
workers_nudge_stopping(struct worker_table *t, int64_t now)
{
	for (size_t i = 0; i < t->n; i++) {
		struct worker_slot *w = &t->w[i];

		if (!w->stopping || w->killed || serving_tcp(w) || now - w->stop_sent_ms < POOL_TICK_MS)
			continue;
		signal_worker(w, SIGTERM);
		w->stop_sent_ms = now;
	}
}
/* A worker busy without progress well past its timeout is stuck in a bug: replace it. */
void
workers_kill_hung(struct worker_table *t, int64_t now)
{
	for (size_t i = 0; i < t->n; i++) {
		struct worker_slot *w = &t->w[i];
		struct sb_slot *l = workers_line(w);
		char peer[80];

		if (l == NULL || w->timeout == 0 || atomic_load(&l->state) != SB_BUSY)
			continue;
		int64_t silent = now - atomic_load(&l->progress_ms);
		if (silent < (int64_t)w->timeout * 1000 + HUNG_GRACE_MS)
			continue;
		scoreboard_format_peer(l, peer, sizeof(peer));
		log_warnx("service %s: worker %ld hung: no progress with %s for %lld s (timeout %d s); killing it",
		    w->name, (long)w->pid, peer, (long long)(silent / 1000), w->timeout);
		signal_worker(w, SIGKILL);
		atomic_store(&l->state, SB_STOPPING);
	}
}

/* The state letter the kernel gives pid (/proc/PID/stat), or 0. */
static char
proc_state(pid_t pid)
{
	char path[64], buf[512], *close_paren;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (util_read_small(path, buf, sizeof(buf)) == -1)
		return 0;
	/* the command name may hold anything, ')' included: the state follows the last one */
	close_paren = strrchr(buf, ')');
	if (close_paren == NULL || close_paren[1] != ' ')
		return 0;
	return close_paren[2];
}

/*
 * A worker stopped by SIGSTOP (a program of the same user can send it)
 * keeps the line it wrote: idle, and no client is served by it. Its state
 * is read from the kernel, the one source a worker cannot forge: it is
 * continued, and if it is stopped again at the next look, killed; the
 * reaping replaces it. 't' (a debugger's stop) is left alone.
 */
void
workers_check_stopped(struct worker_table *t, int64_t now)
{
	for (size_t i = 0; i < t->n; i++) {
		struct worker_slot *w = &t->w[i];

		if (w->killed || proc_state(w->pid) != 'T') {
			w->seen_stopped_ms = 0;
			continue;
		}
		if (w->seen_stopped_ms == 0) {
			log_warnx("service %s: worker %ld is stopped (SIGSTOP); continuing it", w->name,
			    (long)w->pid);
			signal_worker(w, SIGCONT);
			w->seen_stopped_ms = now;
			continue;
		}
		log_warnx("service %s: worker %ld is stopped again after SIGCONT; killing it", w->name,
		    (long)w->pid);
		kill_worker(w);
	}
}

void
workers_forget_exited(struct worker_table *t)
{
	for (size_t i = 0; i < t->n;) {
		struct worker_slot *w = &t->w[i];
		struct pollfd pf = { w->pidfd, POLLIN, 0 };

		if (!w->foreign || poll(&pf, 1, 0) != 1) {
			i++;
			continue;
		}
		log_debug("service %s: adopted worker %ld exited", w->name, (long)w->pid);
		workers_release(w);
		workers_remove(t, i);
	}
}
/*
 * What the worker's seccomp filter refused, as the worker left it in its
 * line. The line is the worker's to write, so the number is only printed,
 * and named only when it is one this libc knows.
 */
static void
describe_violation(const struct worker_slot *w, char *buf, size_t len)
{
	int nr = w->sbslot >= 0 ? atomic_load(&scoreboard_slot(w->sb, (size_t)w->sbslot)->violation) - 1 : -1;
	const char *name = sandbox_syscall_name(nr);

	buf[0] = '\0';
	if (nr >= 0)
		snprintf(buf, len, ": its seccomp filter refused system call %d (%s)", nr,
		    name != NULL ? name : "unknown");
}
void
workers_log_exit(const struct worker_slot *w, int status)
{
	char why[96] = "";

	if (WIFSIGNALED(status)) {
		if (w->killed && WTERMSIG(status) == SIGKILL)
			return;	/* our own kill at the end of the shutdown timeout */
		if (WTERMSIG(status) == SIGSYS)
			describe_violation(w, why, sizeof(why));
		log_warnx("service %s: worker %ld killed by signal %d (%s)%s", w->name,
		    (long)w->pid, WTERMSIG(status), strsignal(WTERMSIG(status)), why);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != WORKER_EXIT_OK)
		log_warnx("service %s: worker %ld exited with status %d", w->name,
		    (long)w->pid, WEXITSTATUS(status));
	else
		log_debug("service %s: worker %ld exited", w->name, (long)w->pid);
}

/* --- spawn: a worker of the current generation ------------------------ */

/* How long a reload lets a worker of svc serve on after SIGTERM (its handler may say: exec); -1: no limit. */
static int
reload_grace_s(const struct service_config *svc, int shutdown_timeout)
{
	return svc->handler->reload_grace_s == NULL ? shutdown_timeout :
	    svc->handler->reload_grace_s(svc, shutdown_timeout);
}

/* The entry of a worker about to be forked for service si of g, its line sbslot of g's board. */
static void
record_worker(struct worker_slot *w, struct generation *g, size_t si, int sbslot)
{
	const struct service_rt *s = &g->svcs[si];

	*w = (struct worker_slot){
		.gen = g,
		.svc = (int)si,
		.grace_s = reload_grace_s(s->cfg, g->cfg->shutdown_timeout),
		.tcp = s->cfg->protocol == PROTO_TCP,
		.serves_socket = s->cfg->serves_socket,
		.pidfd = -1,
		.sb = g->sb,
		.sbslot = sbslot,
		.timeout = s->cfg->timeout,
		.st = s->st,
	};
	snprintf(w->name, sizeof(w->name), "%s", s->cfg->name);
	snprintf(w->kind, sizeof(w->kind), "%s", s->cfg->handler->name);
}

int
workers_spawn(struct worker_table *t, struct generation *g, size_t si, workers_run_fn run,
    void *data)
{
	struct service_rt *s = &g->svcs[si];
	struct worker_slot *w = workers_add(t);
	int sbslot;
	pid_t pid;

	if (w == NULL) {
		log_errorx("service %s: out of memory for the worker table", s->cfg->name);
		return -1;
	}
	sbslot = scoreboard_claim(g->sb, 0, s->id, g->id);
	if (sbslot == -1) {
		/* cannot happen: the generation has a line for each worker it may run */
		t->n--;
		log_errorx("service %s: generation %u's scoreboard is full (%zu lines)", s->cfg->name,
		    g->id, g->sb->nslots);
		s->backoff.next_start_ms = util_now_ms() + 1000;
		return -1;
	}
	record_worker(w, g, si, sbslot);
	pid = fork();
	if (pid == -1) {
		scoreboard_release(g->sb, sbslot);
		t->n--;
		log_error("service %s: fork", s->cfg->name);
		s->backoff.next_start_ms = util_now_ms() + 1000;
		return -1;
	}
	if (pid == 0)
		run(w, data);
	scoreboard_slot(g->sb, (size_t)sbslot)->pid = pid;
	w->pid = pid;
	w->started_ms = util_now_ms();
	atomic_fetch_add_explicit(&s->st->worker_starts, 1, memory_order_relaxed);
	generation_join(g, si);
	log_debug("service %s: worker %ld started (generation %u)", s->cfg->name, (long)pid, g->id);
	return 0;
}

/* When the first of g's workers of service si will have lived its first second; -1: it has none. */
static int64_t
first_proven_ms(const struct worker_table *t, const struct generation *g, size_t si)
{
	int64_t first = -1;

	for (size_t i = 0; i < t->n; i++) {
		const struct worker_slot *w = &t->w[i];
		int64_t at = w->started_ms + POOL_START_FAILURE_MS;

		if (w->gen == g && w->svc == (int)si && (first < 0 || at < first))
			first = at;
	}
	return first;
}

/* While backing off, one probe worker must survive its first second before the pool refills. */
static bool
service_proven(const struct worker_table *t, const struct generation *g, size_t si, int64_t now)
{
	int64_t at;

	if (!backoff_active(&g->svcs[si].backoff))
		return true;
	at = first_proven_ms(t, g, si);
	return at >= 0 && at <= now;
}

/*
 * A service whose worker serves the socket itself (exec's wait) has one
 * program on it at a time, and nobody accepts beside it: after a reload,
 * its new worker waits until the old generation's workers have gone,
 * program and all; so do the new workers of a service whose old worker
 * was a wait program's.
 */
static bool
socket_still_served(const struct worker_table *t, const struct generation *g,
    const struct service_rt *s)
{
	bool tcp = s->cfg->protocol == PROTO_TCP;

	for (size_t i = 0; i < t->n; i++) {
		const struct worker_slot *w = &t->w[i];
		if (w->gen != g && w->tcp == tcp && (s->cfg->serves_socket || w->serves_socket) &&
		    strcmp(w->name, s->cfg->name) == 0)
			return true;
	}
	return false;
}

void
workers_fill(struct worker_table *t, struct generation *g, workers_run_fn run, void *data)
{
	int64_t now = util_now_ms();

	for (size_t si = 0; si < g->nsvcs; si++) {
		struct service_rt *s = &g->svcs[si];

		if (s->ls == NULL || s->running >= s->pool.target || now < s->backoff.next_start_ms)
			continue;	/* down (no socket yet), full, or backing off */
		if (socket_still_served(t, g, s))
			continue;
		if (!service_proven(t, g, si, now)) {
			if (s->running == 0)
				workers_spawn(t, g, si, run, data);	/* the probe */
			continue;
		}
		while (s->running < s->pool.target && workers_spawn(t, g, si, run, data) == 0)
			;
	}
}

int64_t
workers_next_start_ms(const struct worker_table *t, const struct generation *g)
{
	int64_t next = -1;

	for (size_t si = 0; si < g->nsvcs; si++) {
		const struct service_rt *s = &g->svcs[si];
		int64_t at = -1;

		if (s->ls == NULL)
			at = s->bind_retry.next_start_ms;	/* down: the next bind */
		else if (s->running < s->pool.target)
			at = s->backoff.next_start_ms;
		if (s->running > 0 && s->running < s->pool.target && backoff_active(&s->backoff))
			at = first_proven_ms(t, g, si);	/* the probe's proof */
		if (at >= 0 && (next < 0 || at < next))
			next = at;
	}
	return next;
}

/* --- reaped ------------------------------------------------------------ */

static void
note_start_failure(struct service_rt *s, int64_t now)
{
	int64_t delay = backoff_start_failure(&s->backoff, now);

	if (delay > 0)
		log_warnx("service %s: workers keep dying at start (%d in a row); next start in %lld s",
		    s->cfg->name, s->backoff.fails, (long long)(delay / 1000));
}

/* A reaped worker's counters join its service's totals, and its line is freed, inside the fold (stats.c). */
static void
fold_and_release(const struct worker_slot *w, struct stats *stats)
{
	const struct sb_slot *line = scoreboard_slot(w->sb, (size_t)w->sbslot);

	stats_fold_begin(stats);
	if (w->st != NULL)
		stats_add(w->st, &line->counters);
	scoreboard_release(w->sb, w->sbslot);
	stats_fold_end(stats);
}

bool
workers_reaped(struct worker_table *t, pid_t pid, int status, struct stats *stats,
    struct generation *cur, bool count_start_failures)
{
	ssize_t i = workers_find(t, pid);
	struct worker_slot *w;
	int64_t now = util_now_ms();
	bool abnormal = !WIFEXITED(status) || WEXITSTATUS(status) != WORKER_EXIT_OK;

	if (i < 0)
		return false;
	w = &t->w[i];
	workers_log_exit(w, status);
	if (w->st != NULL && abnormal && !w->killed)
		atomic_fetch_add_explicit(&w->st->worker_crashes, 1, memory_order_relaxed);
	if (w->sbslot >= 0)
		fold_and_release(w, stats);
	if (w->gen != NULL)
		generation_leave(w->gen, (size_t)w->svc);
	if (w->gen != NULL && w->gen == cur && abnormal && now - w->started_ms < POOL_START_FAILURE_MS &&
	    count_start_failures)
		note_start_failure(&cur->svcs[w->svc], now);
	workers_release(w);
	workers_remove(t, (size_t)i);
	return true;
}

/* --- what the pool and readiness see ----------------------------------- */

/* Clients in a TCP listener's accept queue, waiting for a worker (tcpi_unacked on a listener). */
static int
accept_queue_length(const struct listener *l)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (l->protocol != PROTO_TCP || getsockopt(l->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return 0;
	return (int)ti.tcpi_unacked;
}

/* What the pool policy sees of g's service si; *an_idle: one of its idle workers, or NULL. */
static struct pool_view
pool_view(struct worker_table *t, const struct generation *g, size_t si,
    struct worker_slot **an_idle)
{
	const struct service_rt *s = &g->svcs[si];
	const struct service_config *c = s->cfg;
	struct pool_view v = {
		.workers = c->workers, .max_workers = c->max_workers,
		.min_spare = c->min_spare, .max_spare = c->max_spare,
	};

	*an_idle = NULL;
	for (size_t i = 0; i < t->n; i++) {
		struct worker_slot *w = &t->w[i];
		const struct sb_slot *l = workers_line(w);
		int st;

		if (w->gen != g || w->svc != (int)si || w->stopping || l == NULL)
			continue;
		st = atomic_load(&l->state);
		v.idle += st == SB_IDLE;
		v.starting += st == SB_STARTING;
		if (st == SB_IDLE)
			*an_idle = w;
	}
	v.waiting = accept_queue_length(s->ls);
	v.can_retire = *an_idle != NULL;
	return v;
}

/* One tick of the pool policy (pool.c) for service si: what it sees, what it decides. */
static void
adapt_pool(struct worker_table *t, struct generation *g, size_t si, int64_t now)
{
	struct service_rt *s = &g->svcs[si];
	const struct service_config *c = s->cfg;
	struct worker_slot *an_idle;
	struct pool_view v;
	struct pool_decision d;

	if (c->max_workers == c->workers || s->ls == NULL)
		return;	/* a static pool, or down */
	v = pool_view(t, g, si, &an_idle);
	d = pool_decide(&v, &s->pool, now);
	if (d.grow > 0)
		log_info("service %s: %d idle, %d waiting: growing the pool by %d to %d",
		    c->name, v.idle, v.waiting, d.grow, s->pool.target);
	if (d.retire_one && an_idle != NULL) {	/* pool_decide retires only when one can */
		workers_mark_stopping(an_idle, now);
		if (kill(an_idle->pid, SIGTERM) == -1 && errno != ESRCH)
			log_error("kill(%ld)", (long)an_idle->pid);
		log_info("service %s: %d idle, retiring worker %ld; pool %d", c->name, v.idle,
		    (long)an_idle->pid, s->pool.target);
	}
}

void
workers_adapt_pools(struct worker_table *t, struct generation *g, int64_t now)
{
	for (size_t si = 0; si < g->nsvcs; si++)
		adapt_pool(t, g, si, now);
}

/* A worker of g's service si in its serving loop (its line says so). */
static bool
service_serving(const struct worker_table *t, const struct generation *g, size_t si)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct worker_slot *w = &t->w[i];
		const struct sb_slot *l = workers_line(w);
		int st;

		if (w->gen != g || w->svc != (int)si || l == NULL)
			continue;
		st = atomic_load(&l->state);
		if (st == SB_IDLE || st == SB_BUSY)
			return true;
	}
	return false;
}

enum workers_readiness
workers_readiness(const struct worker_table *t, const struct generation *g, char *why, size_t len)
{
	size_t serving = 0, failing = 0, off = 0;

	why[0] = '\0';
	for (size_t si = 0; si < g->nsvcs; si++) {
		const struct service_rt *s = &g->svcs[si];

		if (s->ls == NULL || s->ls->fd < 0)
			continue;	/* not bound (yet): it does not hold the others back */
		if (service_serving(t, g, si))
			serving++;
		else if (backoff_active(&s->backoff)) {
			failing++;
			if (off < len)
				off += (size_t)snprintf(why + off, len - off, "%s%s",
				    failing > 1 ? ", " : "", s->cfg->name);
		} else
			return WORKERS_NOT_YET;
	}
	return serving > 0 || failing == 0 ? WORKERS_SERVING : WORKERS_FAILING;
}

struct worker_args
workers_args(const struct worker_slot *w)
{
	const struct service_rt *s = &w->gen->svcs[w->svc];
	struct sb_slot *line = workers_line(w);

	return (struct worker_args){
		.cfg = w->gen->cfg,
		.svc = s->cfg,
		.listen_fd = s->ls->fd,
		.generation = w->gen->id,
		.sb = w->sb,
		.slot = line,
		.slot_index = w->sbslot,
		.service_id = s->id,
		.service_index = s->stats_index,
		.st = &line->counters,
		.names = generation_names(w->gen),
	};
}

void
workers_close_handles(const struct worker_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->w[i].foreign)
			close(t->w[i].pidfd);
}

/* --- across an upgrade: handed over, and adopted ------------------------ */

void
workers_describe(const struct worker_table *t, struct inherited_worker *out, int64_t now)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct worker_slot *w = &t->w[i];
		struct inherited_worker *o = &out[i];

		o->pid = w->pid;
		snprintf(o->name, sizeof(o->name), "%s", w->name);
		snprintf(o->kind, sizeof(o->kind), "%s", w->kind);
		o->grace_s = w->grace_s;
		if (w->stopping)	/* what is left of it */
			o->grace_s = w->deadline_ms == INT64_MAX ? -1 :
			    w->deadline_ms <= now ? 0 : (int)((w->deadline_ms - now + 999) / 1000);
		o->has_grace = true;
		o->tcp = w->tcp;
		o->pidfd = -1;
#ifdef SYS_pidfd_open
		/* it crosses the exec, to the new image and to the guard */
		o->pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
		if (o->pidfd == -1 || util_set_cloexec(o->pidfd, 0) == -1)
			log_warn("upgrade: pidfd for worker %ld: should the new image fail, it is not adopted",
			    (long)w->pid);
#endif
	}
}

/*
 * The list comes from the environment: a pid that is not our child (a
 * stale or forged entry) is never signalled nor waited for. waitid()
 * with WNOWAIT asks the kernel without reaping anything.
 */
static bool
is_our_child(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return pid > 0 && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Whether fd is a pidfd for pid (the kernel's fdinfo says), so a forged number is never used. */
static bool
is_pidfd_of(int fd, pid_t pid)
{
	char path[64], buf[1024], want[32];
	ssize_t len;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	len = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	snprintf(want, sizeof(want), "\nPid:\t%ld\n", (long)pid);
	return strstr(buf, want) != NULL;
}

/*
 * Our child, or after a rolled-back upgrade a worker of the image that
 * failed (its parent is gone): the guard kept a pidfd on it, through which
 * it is signalled and seen to exit. Anything else is left alone.
 */
static int
adopted_pidfd(const struct inherited_worker *iw, bool *ok)
{
	bool child = is_our_child(iw->pid);
	bool handle = iw->pidfd >= 0 && is_pidfd_of(iw->pidfd, iw->pid);

	*ok = child || handle;
	if (child && handle)
		close(iw->pidfd);	/* waitpid sees it: the handle is not needed */
	if (child || !handle)
		return -1;
	if (util_set_cloexec(iw->pidfd, 1) == -1)
		log_warn("fcntl pidfd of worker %ld", (long)iw->pid);
	return iw->pidfd;
}

/* How long a worker handed over may still serve: as its old master said, else as a reload of its service would. */
static int
adopted_grace_s(const struct inherited_worker *iw, const struct generation *cur)
{
	if (iw->has_grace)
		return iw->grace_s;
	for (size_t i = 0; i < cur->nsvcs; i++)
		if (strcmp(cur->svcs[i].cfg->name, iw->name) == 0)
			return reload_grace_s(cur->svcs[i].cfg, cur->cfg->shutdown_timeout);
	return cur->cfg->shutdown_timeout;
}

static int
adopt_one(struct worker_table *t, const struct inherited_worker *iw, const struct generation *cur)
{
	struct worker_slot *w;
	bool ok;
	int pidfd = adopted_pidfd(iw, &ok);

	if (!ok) {
		log_warnx("worker %ld of service %s from before the upgrade is not our child; ignoring it",
		    (long)iw->pid, iw->name);
		return 0;
	}
	w = workers_add(t);
	if (w == NULL) {
		log_errorx("out of memory adopting worker %ld", (long)iw->pid);
		if (pidfd >= 0)
			close(pidfd);
		return -1;
	}
	*w = (struct worker_slot){
		.pid = iw->pid,
		.gen = NULL,	/* the old image's */
		.started_ms = util_now_ms() - POOL_START_FAILURE_MS,
		.grace_s = adopted_grace_s(iw, cur),
		.tcp = iw->tcp,
		.foreign = pidfd >= 0,
		.pidfd = pidfd,
		.sbslot = -1,	/* their lines are in the old image's scoreboard */
	};
	snprintf(w->name, sizeof(w->name), "%s", iw->name);
	snprintf(w->kind, sizeof(w->kind), "%s", iw->kind);
	log_debug("service %s: adopted worker %ld (%s, %d s to finish)", w->name, (long)w->pid,
	    w->kind[0] != '\0' ? w->kind : "kind not said", w->grace_s);
	return 0;
}

bool
workers_adopt(struct worker_table *t, const struct inherited *in, const struct generation *cur)
{
	if (in == NULL || in->nworkers == 0)
		return false;
	for (size_t i = 0; i < in->nworkers; i++)
		if (adopt_one(t, &in->workers[i], cur) == -1)
			break;
	workers_signal(t, SIGTERM, cur);
	return true;
}
