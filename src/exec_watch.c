/* Watching one running program: its stderr into the log, its deadlines, its end. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_watch.h"
#include "log.h"
#include "sig.h"
#include "util.h"

#define LINE_MAX_LOGGED 1000
/* a program that never exits still wakes us this often (a TERM racing our poll) */
#define WATCH_TICK_MS 1000
/* without a pidfd, how often we look whether it exited */
#define WATCH_POLL_EXIT_MS 20
/* how often the socket's activity is looked at */
#define WATCH_PROBE_MS 1000

/* A program's stderr, cut into lines for the log. */
struct errbuf {
	const char *service;
	pid_t pid;
	char line[LINE_MAX_LOGGED + 1];
	size_t len;
	int64_t window_ms;		/* the second being counted */
	unsigned in_window;
	unsigned long suppressed;
};

/*
 * The length of the UTF-8 sequence at p (n bytes left, 1 for a malformed
 * byte), and in *show whether it may reach the log as it is: not the C0
 * and C1 controls (raw or encoded), DEL, the bidi overrides and isolates
 * U+202A-U+202E and U+2066-U+2069 (they reorder what a terminal shows),
 * nor malformed bytes.
 */
static size_t
sequence(const unsigned char *p, size_t n, bool *show)
{
	size_t len;
	uint32_t cp;

	*show = false;
	if (p[0] < 0x80) {
		*show = (p[0] >= 0x20 || p[0] == '\t') && p[0] != 0x7f;
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 1;
	if (len > n)
		return 1;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF: malformed */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 1;
	*show = !((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069));
	return len;
}

/* Control characters would forge log lines or terminal codes: each is shown as one '?'. */
static void
escape_line(char *line, size_t *len)
{
	unsigned char *p = (unsigned char *)line;
	size_t in = 0, out = 0;

	while (in < *len) {
		bool show;
		size_t n = sequence(p + in, *len - in, &show);
		if (show)
			memmove(p + out, p + in, n);
		else
			p[out] = '?';
		out += show ? n : 1;
		in += n;
	}
	*len = out;
}

static void
flush_line(struct errbuf *b)
{
	int64_t now = util_coarse_now_ms();

	if (b->len == 0)
		return;
	escape_line(b->line, &b->len);
	b->line[b->len] = '\0';
	b->len = 0;
	if (now - b->window_ms >= 1000) {
		if (b->suppressed > 0)
			log_warnx("service %s: program %ld: %lu stderr lines not logged (over %d a second)",
			    b->service, (long)b->pid, b->suppressed, EXEC_STDERR_LINES_PER_S);
		b->window_ms = now;
		b->in_window = 0;
		b->suppressed = 0;
	}
	if (++b->in_window > EXEC_STDERR_LINES_PER_S) {
		b->suppressed++;
		return;
	}
	log_notice("service %s: program %ld: %s", b->service, (long)b->pid, b->line);
}

/* Cut into lines; a line is escaped whole, so a sequence split between reads is judged whole. */
static void
take_bytes(struct errbuf *b, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)data[i];
		if (ch == '\n') {
			flush_line(b);
			continue;
		}
		if (ch == '\r' && i + 1 == n)
			continue;
		b->line[b->len++] = data[i];
		if (b->len == LINE_MAX_LOGGED)
			flush_line(b);
	}
}

/* Reads what is there; false at EOF or on an error (the pipe is done). */
static bool
read_stderr(struct errbuf *b, int fd)
{
	char chunk[4096];

	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			take_bytes(b, chunk, (size_t)n);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return true;
		return false;
	}
	return true;
}

static void
drain_wake(int fd)
{
	char junk[64];

	while (read(fd, junk, sizeof(junk)) > 0)
		;
}

/* What ends the program, and when; INT64_MAX: not planned. */
struct plan {
	int64_t term_at, kill_at;
	bool termed, killed;
	bool stop_planned;
	int64_t last_activity, next_probe;	/* the idle timeout's */
};

static void
plan_stop(const struct exec_watch *w, struct plan *pl, struct exec_result *r, int64_t now)
{
	if (pl->stop_planned || !sig_worker_stop)
		return;
	/* a reload lets the program finish (max_runtime bounds it); a stop does not */
	if (w->daemon_stopping != NULL && !atomic_load(w->daemon_stopping))
		return;
	pl->stop_planned = true;
	if (!pl->termed && now + (int64_t)w->shutdown_timeout * 1000 < pl->term_at) {
		pl->term_at = now + (int64_t)w->shutdown_timeout * 1000;
		r->stopped = true;
	}
}

/* Each WATCH_PROBE_MS: did the socket move? Idle for idle_timeout: it ends as max_runtime ends it. */
static void
plan_idle(const struct exec_watch *w, struct plan *pl, struct exec_result *r, int64_t now)
{
	if (w->moved == NULL || now < pl->next_probe)
		return;
	pl->next_probe = now + WATCH_PROBE_MS;
	if (w->moved(w->moved_ctx))
		pl->last_activity = now;
	if (w->idle_timeout == 0 || pl->termed || now - pl->last_activity < (int64_t)w->idle_timeout * 1000)
		return;
	if (now < pl->term_at) {
		pl->term_at = now;
		r->idle = true;
	}
}

static const char *
term_reason(const struct exec_result *r)
{
	if (r->stopped)
		return "the daemon stops";
	return r->idle ? "no activity on its socket for timeout seconds" : "max_runtime reached";
}

static void
carry_out(const struct exec_watch *w, struct exec_child *c, struct plan *pl,
    struct exec_result *r, int64_t now)
{
	if (!pl->termed && now >= pl->term_at) {
		pl->termed = true;
		if (!r->stopped)
			r->timed_out = true;
		log_info("service %s: program %ld: %s; SIGTERM to its process group",
		    w->service, (long)c->pid, term_reason(r));
		if (kill(-c->pid, SIGTERM) == -1 && errno != ESRCH)
			log_warn("service %s: kill(-%ld, SIGTERM)", w->service, (long)c->pid);
		pl->kill_at = now + (r->stopped ? EXEC_STOP_KILL_MS : (int64_t)w->shutdown_timeout * 1000);
	}
	if (pl->termed && !pl->killed && now >= pl->kill_at) {
		pl->killed = true;
		log_warnx("service %s: program %ld outlived its SIGTERM; SIGKILL to its process group",
		    w->service, (long)c->pid);
		if (kill(-c->pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("service %s: kill(-%ld, SIGKILL)", w->service, (long)c->pid);
	}
}

static int
poll_timeout(const struct plan *pl, bool have_pidfd, int64_t now)
{
	int64_t next = pl->termed ? (pl->killed ? INT64_MAX : pl->kill_at) : pl->term_at;
	int64_t t;

	if (pl->next_probe < next)
		next = pl->next_probe;
	t = next == INT64_MAX ? WATCH_TICK_MS : next - now;

	if (t > WATCH_TICK_MS)
		t = WATCH_TICK_MS;
	if (!have_pidfd && t > WATCH_POLL_EXIT_MS)
		t = WATCH_POLL_EXIT_MS;
	return t < 0 ? 0 : (int)t;
}

/* Whether it has exited; reaps it if so. */
static bool
reaped(struct exec_child *c, int *status, bool block)
{
	pid_t p;

	do
		p = waitpid(c->pid, status, block ? 0 : WNOHANG);
	while (p == -1 && errno == EINTR);
	if (p == -1) {
		log_error("waitpid(%ld)", (long)c->pid);
		*status = 0;
		return true;	/* not ours to wait for any more */
	}
	return p == c->pid;
}

void
exec_watch(const struct exec_watch *w, struct exec_child *c, struct exec_result *r)
{
	struct errbuf eb = { .service = w->service, .pid = c->pid };
	struct plan pl = { .term_at = INT64_MAX, .kill_at = INT64_MAX, .termed = false,
	    .killed = false, .stop_planned = false, .last_activity = c->started_ms,
	    .next_probe = w->moved != NULL ? c->started_ms : INT64_MAX };
	bool done = false;

	memset(r, 0, sizeof(*r));
	if (w->max_runtime > 0)
		pl.term_at = c->started_ms + (int64_t)w->max_runtime * 1000;
	while (!done) {
		struct pollfd pf[3 + EXEC_SIDE_FDS] = {
			{ .fd = w->wake_fd, .events = POLLIN }, { .fd = c->err_fd, .events = POLLIN },
			{ .fd = c->pidfd, .events = POLLIN }, { .fd = -1 }, { .fd = -1 }
		};
		int64_t now = util_now_ms();

		if (w->side_events != NULL)
			w->side_events(w->side_ctx, &pf[3]);

		plan_stop(w, &pl, r, now);
		plan_idle(w, &pl, r, now);
		carry_out(w, c, &pl, r, now);
		if (w->progress != NULL)
			atomic_store_explicit(w->progress, util_coarse_now_ms(), memory_order_relaxed);
		if (poll(pf, 3 + EXEC_SIDE_FDS, poll_timeout(&pl, c->pidfd >= 0, now)) == -1 && errno != EINTR)
			log_warn("service %s: poll", w->service);
		if (w->side_step != NULL)
			w->side_step(w->side_ctx);
		if (pf[0].revents & POLLIN)
			drain_wake(w->wake_fd);
		if ((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && !read_stderr(&eb, c->err_fd)) {
			close(c->err_fd);
			c->err_fd = -1;
		}
		if (c->pidfd < 0 || (pf[2].revents & POLLIN))
			done = reaped(c, &r->status, c->pidfd >= 0);
	}
	/* what it wrote just before it ended; a descendant holding the pipe is not waited for */
	if (c->err_fd >= 0) {
		(void)read_stderr(&eb, c->err_fd);
		close(c->err_fd);
		c->err_fd = -1;
	}
	flush_line(&eb);
	if (eb.suppressed > 0)
		log_warnx("service %s: program %ld: %lu stderr lines not logged (over %d a second)",
		    w->service, (long)c->pid, eb.suppressed, EXEC_STDERR_LINES_PER_S);
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}

void
exec_result_format(const struct exec_result *r, pid_t pid, char *buf, size_t len)
{
	int st = r->status;

	if (WIFEXITED(st))
		snprintf(buf, len, "program=%ld exit=%d", (long)pid, WEXITSTATUS(st));
	else if (WIFSIGNALED(st)) {
		const char *n = sigabbrev_np(WTERMSIG(st));
		if (n != NULL)
			snprintf(buf, len, "program=%ld signal=SIG%s", (long)pid, n);
		else
			snprintf(buf, len, "program=%ld signal=%d", (long)pid, WTERMSIG(st));
	} else
		snprintf(buf, len, "program=%ld status=%d", (long)pid, st);
}
