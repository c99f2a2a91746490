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
