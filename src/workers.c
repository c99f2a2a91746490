/* The master's table of its workers: who they are, which generation, and telling them to stop. */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
		util_format_peer_key(l->peer, atomic_load(&l->peer_port), peer, sizeof(peer));
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
