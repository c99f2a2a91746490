/* Processes exec programs leave behind: the master adopts them (a child subreaper) and ends them at its stop. */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
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
	char path[64];
	FILE *f;
	size_t n = 0;
	long pid;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)getpid());
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &pid) == 1)
		out[n++] = (pid_t)pid;
	fclose(f);
	return n;
}

static void
reap_any(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

size_t
orphans_end_all(int bound_ms)
{
	int64_t deadline = util_now_ms() + bound_ms;
	size_t killed = 0;
	pid_t kids[256];

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
			if (kill(kids[i], SIGKILL) == 0)
				killed++;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (killed > 0)
		log_notice("stop: killed %zu processes that programs left behind", killed);
	return killed;
}
