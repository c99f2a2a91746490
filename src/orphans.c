/* Processes exec programs leave behind: the master adopts them (a child subreaper) and ends them at its stop; a worker takes their connection back. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "orphans.h"
#include "sandbox.h"
#include "util.h"

/*
 * A program that forks and lets its parent exit, or calls setsid() to
 * leave the process group its worker kills, would otherwise end up under
 * init and outlive netsrvd. As a subreaper the master inherits such
 * processes; its reaping loop collects them like any unknown child.
 */
int
orphans_adopt(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
		log_warn("prctl(PR_SET_CHILD_SUBREAPER): programs' orphans will outlive a stop");
		return -1;
	}
	return 0;
}

/* The children the kernel lists for us (single-threaded: our one task), up to max. */
static size_t
list_children(pid_t *out, size_t max)
{
	char path[64], buf[4096];
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)getpid());
	if (util_read_small(path, buf, sizeof(buf)) == -1)
		return 0;
	for (char *p = buf, *end; n < max; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p || pid <= 1)
			break;
		out[n++] = (pid_t)pid;
	}
	return n;
}

static void
reap_any(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Whether pid is among the *n in seen; if not, it is added (while there is room). */
static bool
seen_before(pid_t *seen, size_t *n, size_t max, pid_t pid)
{
	for (size_t i = 0; i < *n; i++)
		if (seen[i] == pid)
			return true;
	if (*n < max)
		seen[(*n)++] = pid;
	return false;
}

size_t
orphans_end_all(int bound_ms)
{
	int64_t deadline = util_now_ms() + bound_ms;
	size_t killed = 0;
	pid_t kids[256], seen[256];

	for (;;) {
		size_t n;

		reap_any();
		n = list_children(kids, sizeof(kids) / sizeof(kids[0]));
		if (n == 0 || util_now_ms() >= deadline)
			break;
		for (size_t i = 0; i < n; i++) {
			/* its whole group too, when it leads one: its own children go with it */
			if (getpgid(kids[i]) == kids[i])
				(void)kill(-kids[i], SIGKILL);
			/* one still dying is listed again: counted once */
			if (kill(kids[i], SIGKILL) == 0)
				(void)seen_before(seen, &killed, sizeof(seen) / sizeof(seen[0]), kids[i]);
		}
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 10L * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (killed > 0)
		log_notice("stop: killed %zu processes that programs left behind", killed);
	return killed;
}

/* --- in a worker: a leftover holding its program's connection ------------- */

/* A /proc or fd directory entry's number, or -1 when the name is not one. */
static long
entry_number(const char *name)
{
	char *end;
	long v;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	errno = 0;
	v = strtol(name, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : v;
}

/* The first of pid's descriptors that is the socket ino, or -1. */
static int
holding_fd(pid_t pid, unsigned long ino)
{
	char dir[64], path[384], link[64], want[48];
	struct dirent *e;
	int found = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while (found < 0 && (e = readdir(d)) != NULL) {
		ssize_t n;
		if (entry_number(e->d_name) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, want) == 0)
			found = (int)entry_number(e->d_name);
	}
	closedir(d);
	return found;
}

/*
 * One shutdown through any holder's descriptor ends the connection for
 * all of them. Only the program had the socket, so whoever holds it now
 * got it from the program: its process group and session, or processes
 * that left them (setsid, a double fork). Our own user's processes are
 * all we can see, and all a program of ours could have handed it to.
 */
static bool
shut_down_through(pid_t pid, int fd)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
	int pidfd, copy = -1;
	bool done = false;

	/* valgrind 3.19 knows neither call, and says so in its log each time: as a refusal */
	if (sandbox_under_valgrind())
		return false;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0)
		copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (copy >= 0) {
		done = shutdown(copy, SHUT_RDWR) == 0 || errno == ENOTCONN;
		close(copy);
	}
	if (pidfd >= 0)
		close(pidfd);
	return done;
#else
	(void)pid;
	(void)fd;
	return false;
#endif
}

size_t
orphans_release_socket(const char *service, pid_t program, unsigned long ino)
{
	pid_t holders[64];
	size_t n = 0;
	bool shut = false;
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (d == NULL) {
		log_error("service %s: opendir /proc", service);
		return 0;
	}
	while ((e = readdir(d)) != NULL && n < sizeof(holders) / sizeof(holders[0])) {
		pid_t pid = (pid_t)entry_number(e->d_name);
		int fd;
		if (pid <= 1 || (fd = holding_fd(pid, ino)) < 0)
			continue;
		holders[n++] = pid;
		shut = shut || shut_down_through(pid, fd);
	}
	closedir(d);
	if (n == 0)
		return 0;
	if (shut) {
		log_info("service %s: program %ld exited; its connection is shut down for the %zu processes it left holding it",
		    service, (long)program, n);
		return n;
	}
	/* no copy for us (ptrace rules, no pidfd): they end instead, the connection with them */
	log_warnx("service %s: program %ld exited; the %zu processes it left holding its connection get SIGKILL",
	    service, (long)program, n);
	for (size_t i = 0; i < n; i++)
		if (kill(holders[i], SIGKILL) == -1 && errno != ESRCH)
			log_error("service %s: kill(%ld, SIGKILL)", service, (long)holders[i]);
	return n;
}
