/* The in-place upgrade's safety net: a child that keeps the sockets until the new image says it serves, and brings the old binary back if it does not. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "upgrade_guard.h"
#include "util.h"

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
 * the sockets and the pid file. The old workers, whose parent died, stop
 * on their own (PDEATHSIG). Connections wait in the kept sockets' queues
 * meanwhile; none is refused.
 */
static void __attribute__((noreturn))
guard(int rfd, pid_t master, char *const *argv)
{
	struct pollfd pf = { rfd, POLLIN, 0 };
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
	/* nothing of the old master's to adopt but its sockets and pid file */
	if (unsetenv("NETSRVD_WORKERS") == -1 || unsetenv("NETSRVD_WORKERS_FD") == -1 ||
	    setenv("NETSRVD_RECOVERED", "1", 1) == -1) {
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

pid_t
upgrade_guard_start(char *const *argv, int *ready_fd)
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

void
upgrade_guard_cancel(pid_t pid, int ready_fd)
{
	int status;

	close(ready_fd);
	if (kill(pid, SIGKILL) == -1 && errno != ESRCH)
		log_error("kill(%ld)", (long)pid);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
}

void
upgrade_guard_release(int ready_fd)
{
	if (ready_fd < 0)
		return;
	if (write(ready_fd, "R", 1) != 1)
		log_warn("telling the upgrade guard we are ready");
	close(ready_fd);
}
