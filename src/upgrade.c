/* In-place binary upgrade (SIGUSR2): check the binary on disk, hand the sockets, pid file and workers to it across an exec, and keep a guard that brings the old binary back if the new one fails. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "generation.h"
#include "handover.h"
#include "log.h"
#include "pidfile.h"
#include "upgrade.h"
#include "util.h"
#include "workers.h"

/* the new image has this long from its exec to READY */
#define GUARD_READY_MS 30000

/*
 * The guard's whole life. It holds what the master passes across the
 * exec (listening sockets, the pid file: they are not close-on-exec now)
 * and the read end of a pipe whose only write end the new image holds.
 * 'R' on the pipe: the new image serves, the guard's work is done. EOF
 * (the new image died: exit, crash, kill) or no word in time (it hangs,
 * and is killed): the guard executes the binary it was forked from, as
 * the old master did at its start, and so becomes the master, adopting
 * the sockets and the pid file. The old workers, whose parent died, are
 * told to stop (PDEATHSIG); the worker list and the pidfds on them cross
 * this exec too, so the master it becomes drains them as after a reload
 * and ends them (and their programs) at its stop, though they are not its
 * children. Connections wait in the kept sockets' queues meanwhile; none
 * is refused.
 */
static void __attribute__((noreturn))
guard(int rfd, pid_t master, char *const *argv)
{
	struct pollfd pf = { .fd = rfd, .events = POLLIN };
	int64_t end = util_now_ms() + GUARD_READY_MS;
	sigset_t none;
	char c = 0;
	ssize_t n = -1;
	int r;

	do
		r = poll(&pf, 1, (int)(end - util_now_ms() > 0 ? end - util_now_ms() : 0));
	while (r == -1 && errno == EINTR);
	if (r == 1) {
		while ((n = read(rfd, &c, 1)) == -1 && errno == EINTR)
			;
	}
	if (n == 1 && c == 'R')
		_exit(0);
	if (r == 0) {
		log_errorx("upgrade failed: the new image (pid %ld) did not report ready within %d s; killing it",
		    (long)master, GUARD_READY_MS / 1000);
		if (kill(master, SIGKILL) == -1 && errno != ESRCH)
			log_error("kill(%ld)", (long)master);
	} else
		log_errorx("upgrade failed: the new image (pid %ld) exited before it was ready", (long)master);
	log_notice("the previous binary takes over the sockets as pid %ld", (long)getpid());
	close(rfd);
	if (handover_export_recovered() == -1) {
		log_error("upgrade guard: environment");
		_exit(1);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* the binary this process runs, even if the file was replaced on disk */
	execv("/proc/self/exe", argv);
	log_error("upgrade guard: cannot execute the previous binary (/proc/self/exe)");
	_exit(1);
}

static pid_t
guard_start(char *const *argv, int *ready_fd)
{
	int p[2];
	pid_t pid, master = getpid();

	/* the write end crosses the exec: no O_CLOEXEC on it */
	if (pipe(p) == -1) {
		log_error("upgrade: pipe");
		return -1;
	}
	if (util_set_cloexec(p[0], 1) == -1) {
		log_error("upgrade: fcntl");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_error("upgrade: fork");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		guard(p[0], master, argv);
	}
	close(p[0]);
	*ready_fd = p[1];
	return pid;
}

static void
guard_cancel(pid_t pid, int ready_fd)
{
	int status;

	close(ready_fd);
	if (kill(pid, SIGKILL) == -1 && errno != ESRCH)
		log_error("kill(%ld)", (long)pid);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
}

void
upgrade_release_guard(int ready_fd)
{
	if (ready_fd < 0)
		return;
	if (write(ready_fd, "R", 1) != 1)
		log_warn("telling the upgrade guard we are ready");
	close(ready_fd);
}

/*
 * Runs `exe -t -c config`, bounded to 10 s; its first line of output goes
 * to msg. Returns its exit status, or -1.
 */
int
upgrade_check(const char *exe, const char *config_path, char *msg, size_t len)
{
	int p[2], status = -1;
	pid_t pid;
	size_t got = 0;
	int64_t end = util_now_ms() + 10000;

	msg[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(msg, len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) == -1 || dup2(p[1], STDERR_FILENO) == -1)
			_exit(127);
		execl(exe, exe, "-t", "-c", config_path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (util_now_ms() < end) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		int r = poll(&pf, 1, (int)(end - util_now_ms()));
		if (r <= 0)
			break;
		ssize_t n = read(p[0], msg + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= len - 1)
			break;
	}
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	close(p[0]);
	while (util_now_ms() < end && waitpid(pid, &status, WNOHANG) == 0)
		poll(NULL, 0, 10);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(msg, len, "%s -t did not finish within 10 s", exe);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
upgrade_prepare(struct upgrade_handover *h, const struct upgrade_image *img,
    const struct generation *g, const struct worker_table *t, _Atomic int *handed_over)
{
	size_t nworkers = workers_count(t);

	*h = (struct upgrade_handover){
		.exe = img->exe, .config_path = img->config_path,
		.pid_file_opt = img->pid_file_opt, .foreground = img->foreground,
		.ls = calloc(g->nsvcs + 1, sizeof(struct listener *)),
		.pidfile_fd = pidfile_fd(),
		.workers = calloc(nworkers + 1, sizeof(struct inherited_worker)),
		.handed_over = handed_over,
	};
	if (h->ls == NULL || h->workers == NULL) {
		log_errorx("upgrade: out of memory");
		return -1;
	}
	h->nls = generation_bound(g, h->ls);
	workers_describe(t, h->workers, util_now_ms());
	h->nworkers = nworkers;
	return 0;
}

void
upgrade_release(struct upgrade_handover *h)
{
	for (size_t i = 0; i < h->nworkers; i++)
		if (h->workers[i].pidfd >= 0)
			close(h->workers[i].pidfd);
	free(h->workers);
	free(h->ls);
	h->workers = NULL;
	h->ls = NULL;
	h->nworkers = h->nls = 0;
}

/*
 * execve() in this very process, so the pid systemd, the pid file and
 * init scripts know stays the same. The sockets, the locked pid file and
 * the workers cross the exec, described in the environment (handover.c);
 * the guard (above) keeps the sockets should the new image fail.
 */
static void
exec_with_guard(const struct upgrade_handover *h)
{
	const char *argv[8];
	int k = 0, guard_fd, e;
	pid_t guard_pid;

	argv[k++] = h->exe;
	argv[k++] = "-c";
	argv[k++] = h->config_path;
	if (h->pid_file_opt != NULL) {
		argv[k++] = "-p";
		argv[k++] = h->pid_file_opt;
	}
	if (h->foreground)
		argv[k++] = "-f";
	argv[k] = NULL;
	atomic_store(h->handed_over, 1);
	guard_pid = guard_start((char *const *)argv, &guard_fd);
	if (guard_pid == -1) {
		atomic_store(h->handed_over, 0);
		return;
	}
	if (handover_export_guard(guard_fd) == 0)
		execv(h->exe, (char *const *)argv);
	/* still here: the old binary goes on as it was */
	e = errno;
	log_error("upgrade: execv %s", h->exe);
	guard_cancel(guard_pid, guard_fd);
	atomic_store(h->handed_over, 0);
	errno = e;
}

int
upgrade_exec(const struct upgrade_handover *h)
{
	const struct handover out = {
		.ls = h->ls, .nls = h->nls, .pidfile_fd = h->pidfile_fd,
		.workers = h->workers, .nworkers = h->nworkers,
		.detached = !h->foreground, .guard_fd = -1,	/* the guard's comes once it runs */
	};
	int workers_fd = -1, e;

	if (handover_export(&out, &workers_fd) == -1) {
		log_error("upgrade: the environment for the new image");
		return -1;
	}
	exec_with_guard(h);
	e = errno;
	handover_abandon(&out, workers_fd);
	errno = e;
	return -1;
}
