/* Preloaded into the daemon by master_test: a worker's first accept makes a call its seccomp filter refuses. */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/* The master never accepts; only a worker, once confined, gets here. */
int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	(void)fd;
	(void)addr;
	(void)len;
	(void)flags;
	return (int)syscall(SYS_uname, (void *)0);
}
