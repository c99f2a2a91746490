/* Becoming a daemon: detach after binding, and let the starting process go only once we serve. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

/*
 * Forked after binding, so bind errors still reach the terminal; the
 * parent exits only when the daemon reports it is serving, so an init
 * script that checks the pid file right after sees it.
 */
int
daemon_detach(bool keep_stderr, int exit_failed, int *ready_fd)
{
	int p[2], fd;
	pid_t pid;
	char c = 0;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_error("pipe");
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_error("fork");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		while (read(p[0], &c, 1) == -1 && errno == EINTR)
			;
		_exit(c == 'R' ? 0 : exit_failed);
	}
	close(p[0]);
	*ready_fd = p[1];
	if (setsid() == -1 || chdir("/") == -1) {
		log_error("setsid/chdir");
		return -1;
	}
	umask(027);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		log_error("open /dev/null");
		return -1;
	}
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    (!keep_stderr && dup2(fd, STDERR_FILENO) == -1)) {
		log_error("dup2 /dev/null");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void
daemon_ready(int *ready_fd)
{
	if (*ready_fd == -1)
		return;
	if (write(*ready_fd, "R", 1) == -1)
		log_warn("telling the starting process we are up");
	close(*ready_fd);
	*ready_fd = -1;
}

void
daemon_not_ready(int *ready_fd)
{
	if (*ready_fd == -1)
		return;
	close(*ready_fd);
	*ready_fd = -1;
}
