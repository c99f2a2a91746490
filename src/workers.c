/* The master's table of its workers: who they are, which generation, and telling them to stop. */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
	return &t->w[t->n++];
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
		if (kill(w->pid, sig) == -1 && errno != ESRCH)
			log_error("kill(%ld, %d)", (long)w->pid, sig);
		if (sig == SIGKILL)
			w->killed = true;
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
		if (kill(w->pid, SIGKILL) == -1 && errno != ESRCH)
			log_error("kill(%ld)", (long)w->pid);
		w->killed = true;
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
		if (kill(w->pid, SIGTERM) == -1 && errno != ESRCH)
			log_error("kill(%ld)", (long)w->pid);
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
		util_format_peer_key(l->peer, atomic_load(&l->peer_port), peer, sizeof(peer));
		log_warnx("service %s: worker %ld hung: no progress with %s for %lld s (timeout %d s); killing it",
		    w->name, (long)w->pid, peer, (long long)(silent / 1000), w->timeout);
		if (kill(w->pid, SIGKILL) == -1 && errno != ESRCH)
			log_error("kill(%ld)", (long)w->pid);
		atomic_store(&l->state, SB_STOPPING);
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
