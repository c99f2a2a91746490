/* tcp_wrappers: a TCP client checked against hosts.allow and hosts.deny by libwrap, as tcpd does. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_LIBWRAP
#include <tcpd.h>
#endif

#include "config_types.h"
#include "handler.h"
#include "log.h"
#include "pidfd.h"
#include "sandbox.h"
#include "util.h"
#include "wrappers.h"

/* libwrap's own bound on a daemon name (tcpd.h's STRING_LENGTH) */
#define WRAPPERS_NAME_MAX 127
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#ifdef HAVE_LIBWRAP
/* A name a table line can match: its separators (space, comma, colon) would split it. */
static bool
daemon_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= WRAPPERS_NAME_MAX && strcspn(s, " \t\r\n,:/") == n;
}
#endif

int
wrappers_config_check(const struct service_config *s, bool seccomp, char *why, size_t len)
{
	if (s->tcp_wrappers == NULL)
		return 0;
#ifndef HAVE_LIBWRAP
	(void)seccomp;
	snprintf(why, len, "service \"%s\": tcp_wrappers: this netsrvd was built without libwrap",
	    s->name);
	return -1;
#else
	if (!daemon_name_valid(s->tcp_wrappers)) {
		snprintf(why, len, "service \"%s\": tcp_wrappers \"%s\" is no daemon name a table can "
		    "match (1 to %d characters, no space, comma, colon or slash)", s->name,
		    s->tcp_wrappers, WRAPPERS_NAME_MAX);
		return -1;
	}
	if (!s->handler->runs_programs && seccomp) {
		snprintf(why, len, "service \"%s\": tcp_wrappers on handler %s needs seccomp = false: "
		    "libwrap opens the tables, may look names up, and spawn and twist run a shell, "
		    "which the workers' filter forbids", s->name, s->handler->name);
		return -1;
	}
	return 0;
#endif
}

#ifdef HAVE_LIBWRAP

/* --- the child: tcpd's part, between fork and its exit (or a twist's exec) --- */

/* As a program started by inetd finds them: default dispositions, nothing blocked. */
static void
child_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);	/* EINVAL for KILL, STOP and glibc's own */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* What a twist or spawn runs inherits only the client (libwrap dup2s it onto 0, 1 and 2). */
static void
child_cloexec_from_3(void)
{
	struct rlimit rl;

	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 65536;
	for (rlim_t fd = 3; fd < rl.rlim_cur; fd++)
		(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

static void __attribute__((noreturn))
child_ask(const char *name, int fd, const struct sockaddr *peer, int verdict_fd, pid_t parent)
{
	struct request_info req;
	char v;

	child_reset_signals();
	/* its own group: what a spawn leaves behind is killed with the connection */
	if (setsid() == -1 || prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(127);
	child_cloexec_from_3();
	request_init(&req, RQ_DAEMON, name, RQ_FILE, fd, 0);
	fromhost(&req);
	/* behind a balancer (proxy_from) the client is the one its header named */
	if (peer != NULL)
		request_set(&req, RQ_CLIENT_SIN, peer, 0);
	v = hosts_access(&req) ? 'y' : 'n';
	if (write(verdict_fd, &v, 1) != 1)
		_exit(127);
	_exit(0);
}

/* --- the worker's side -------------------------------------------------- */

/* fd readable before the deadline (-1: none) and before a stop: 1; else 0. */
static int
wait_readable(int fd, int wake_fd, int64_t deadline)
{
	for (;;) {
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = wake_fd, .events = POLLIN } };
		int64_t left = deadline < 0 ? -1 : deadline - util_now_ms();
		int r;

		if (deadline >= 0 && left <= 0)
			return 0;
		r = poll(pf, wake_fd >= 0 ? 2 : 1, left < 0 ? -1 : (int)(left > INT32_MAX ? INT32_MAX : left));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_error("poll");
			return 0;
		}
		if (pf[0].revents != 0)
			return 1;
		if (r > 0)
			return 0;	/* the wake pipe: we are stopping */
	}
}

static void
reap(pid_t pid)
{
	pid_t r;

	do
		r = waitpid(pid, NULL, 0);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		log_error("waitpid(%ld)", (long)pid);
}

/* The verdict byte, or 0: the child exec'd a twist, or ended, before it wrote one; -1: no answer in time. */
static int
read_verdict(int rfd, int wake_fd, int64_t deadline, char *v)
{
	ssize_t n;

	if (!wait_readable(rfd, wake_fd, deadline))
		return -1;
	do
		n = read(rfd, v, 1);
	while (n == -1 && errno == EINTR);
	return n == 1 ? 1 : 0;
}

/* A twist: its command has the client until it exits, within what the check may take. */
static void
wait_for_twist(pid_t pid, int wake_fd, int64_t deadline)
{
	int pidfd = pidfd_for(pid);

	/* without a pidfd (valgrind): its end, which PDEATHSIG bounds by ours */
	if (pidfd >= 0 && !wait_readable(pidfd, wake_fd, deadline))
		(void)kill(-pid, SIGKILL);
	if (pidfd >= 0)
		close(pidfd);
	reap(pid);
}

/*
 * The check's child, its verdict's pipe in *rfd; -1 (logged) if none.
 * Signals stay blocked across the fork: no handler of the worker's (its
 * stop flag, its wake pipe) may run in the child before it resets them.
 */
static pid_t
start_check(const char *name, int fd, const struct sockaddr *peer, int *rfd)
{
	int p[2];
	pid_t pid, parent = getpid();
	sigset_t all, old;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_error("tcp_wrappers %s: pipe", name);
		return -1;
	}
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) == -1) {
		log_error("tcp_wrappers %s: sigprocmask", name);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if ((pid = fork()) == 0) {
		close(p[0]);
		child_ask(name, fd, peer, p[1], parent);
	}
	if (pid == -1)
		log_error("tcp_wrappers %s: fork", name);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	if (pid == -1)
		close(p[0]);
	*rfd = p[0];
	return pid;
}

enum wrappers_verdict
wrappers_ask(const char *name, int fd, const struct sockaddr *peer, int wake_fd, int timeout_ms,
    struct wrappers_check *chk)
{
	int64_t deadline = timeout_ms < 0 ? -1 : util_now_ms() + timeout_ms;
	pid_t pid;
	char v = 'n';
	int got, rfd;

	chk->group = 0;
	if ((pid = start_check(name, fd, peer, &rfd)) == -1)
		return WRAPPERS_DENY;
	got = read_verdict(rfd, wake_fd, deadline, &v);
	close(rfd);
	chk->group = pid;
	if (got == 0) {
		wait_for_twist(pid, wake_fd, deadline);
		wrappers_end(chk);
		return WRAPPERS_TAKEN;
	}
	if (got == -1) {
		log_warnx("tcp_wrappers %s: no verdict in time; client refused", name);
		(void)kill(-pid, SIGKILL);
	}
	reap(pid);
	if (got == 1 && v == 'y')
		return WRAPPERS_ALLOW;
	wrappers_end(chk);
	return WRAPPERS_DENY;
}

void
wrappers_end(struct wrappers_check *chk)
{
	if (chk->group > 0 && kill(-chk->group, SIGKILL) == -1 && errno != ESRCH)
		log_debug("kill(-%ld): %s", (long)chk->group, strerror(errno));
	chk->group = 0;
}

#else /* no libwrap: the configuration refuses the key (wrappers_config_check) */

enum wrappers_verdict
wrappers_ask(const char *name, int fd, const struct sockaddr *peer, int wake_fd, int timeout_ms,
    struct wrappers_check *chk)
{
	(void)name, (void)fd, (void)peer, (void)wake_fd, (void)timeout_ms;
	chk->group = 0;
	return WRAPPERS_DENY;
}

void
wrappers_end(struct wrappers_check *chk)
{
	chk->group = 0;
}

#endif
