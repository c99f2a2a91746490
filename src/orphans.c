/* Processes exec programs leave behind: the master adopts them (a child subreaper) and ends them at its stop. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "orphans.h"
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
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)getpid());
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
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
		struct timespec ts = { 0, 10L * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (killed > 0)
		log_notice("stop: killed %zu processes that programs left behind", killed);
	return killed;
}
