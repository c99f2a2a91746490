/* A pidfd for a child we started (an exec program, a tcp_wrappers check). */
#include "autoconfig.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "pidfd.h"
#include "sandbox.h"

int
pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
	if (sandbox_under_valgrind())
		return -1;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		log_debug("fcntl(pidfd, FD_CLOEXEC)");
	return fd;
#else
	(void)pid;
	return -1;
#endif
}
