/* The systemd notify protocol (sd_notify), spoken directly over NOTIFY_SOCKET. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static int nfd = -1;
static int64_t watchdog_ms = -1;

/*
 * WATCHDOG_USEC asks for WATCHDOG=1 at least that often; WATCHDOG_PID, if
 * set, names who is asked. Sent at half the interval, from the master's
 * loop itself, so a wedged loop stops them and systemd restarts us.
 */
static void
watchdog_init(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long u;

	if (usec == NULL)
		return;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return;
	errno = 0;
	u = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || u == 0) {
		log_warnx("WATCHDOG_USEC=%s is not a number of microseconds; no watchdog", usec);
		return;
	}
	watchdog_ms = (int64_t)(u / 2000);
	if (watchdog_ms < 1)
		watchdog_ms = 1;
}

int64_t
notify_watchdog_ms(void)
{
	return nfd == -1 ? -1 : watchdog_ms;
}
static struct sockaddr_un naddr;
static socklen_t naddrlen;

/* No NOTIFY_SOCKET: not under systemd's Type=notify, and every send is a no-op. */
int
notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (path == NULL || *path == '\0')
		return 0;
	watchdog_init();
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(naddr.sun_path)) {
		log_warnx("NOTIFY_SOCKET \"%s\" is not a unix socket path; not notifying", path);
		return -1;
	}
	memset(&naddr, 0, sizeof(naddr));
	naddr.sun_family = AF_UNIX;
	memcpy(naddr.sun_path, path, len);
	if (path[0] == '@')
		naddr.sun_path[0] = '\0';	/* abstract namespace */
	naddrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nfd == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		return -1;
	}
	/* left in the environment: a binary upgrade execs us again under the same service */
	return 0;
}

void
notify_send(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (nfd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (sendto(nfd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&naddr, naddrlen) == -1)
		log_warn("NOTIFY_SOCKET: sendto");
}

int
notify_fd(void)
{
	return nfd;
}

void
notify_close(void)
{
	if (nfd != -1)
		close(nfd);
	nfd = -1;
}
