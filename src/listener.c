/* Listening sockets: bind, keep across reloads, close. */
#include "autoconfig.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listener.h"
#include "util.h"

void
listener_describe(const struct service_config *s, char *buf, size_t len)
{
	if (strchr(s->address, ':') != NULL)
		snprintf(buf, len, "%s [%s]:%d", s->protocol_name, s->address, s->port);
	else
		snprintf(buf, len, "%s %s:%d", s->protocol_name, s->address, s->port);
}

static int
set_int_opt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/*
 * "*" asks for every address: a dual-stack :: socket, or 0.0.0.0 on a host
 * without IPv6. An explicit IPv6 address gets IPV6_V6ONLY, so "::" and
 * "0.0.0.0" can be two services.
 */
static int
open_socket(const struct service_config *s, struct sockaddr_storage *addr, socklen_t *addrlen)
{
	int type = (s->protocol == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK;
	int fd;

	*addr = s->addr;
	*addrlen = s->addrlen;
	fd = socket(addr->ss_family, type, 0);
	if (fd == -1 && s->any_address && errno == EAFNOSUPPORT) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)addr;
		memset(addr, 0, sizeof(*addr));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons((uint16_t)s->port);
		*addrlen = sizeof(*s4);
		fd = socket(AF_INET, type, 0);
	}
	if (fd == -1)
		return -1;
	if (addr->ss_family == AF_INET6 &&
	    set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, s->any_address ? 0 : 1) == -1)
		goto fail;
	if (set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1)
		goto fail;
	return fd;
fail:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

/*
 * The socket is O_NONBLOCK: workers wait in epoll and then accept, so a
 * worker told to stop is never stuck inside accept().
 */
struct listener *
listener_open(const struct service_config *s, char *err, size_t errlen)
{
	struct listener *l = calloc(1, sizeof(*l));
	const char *step = "socket";

	if (l == NULL) {
		snprintf(err, errlen, "service %s: out of memory", s->name);
		return NULL;
	}
	l->protocol = s->protocol;
	l->any_address = s->any_address;
	l->backlog = s->backlog;
	listener_describe(s, l->desc, sizeof(l->desc));
	l->fd = open_socket(s, &l->addr, &l->addrlen);
	if (l->fd == -1)
		goto fail;
	step = "bind";
	if (bind(l->fd, (struct sockaddr *)&l->addr, l->addrlen) == -1)
		goto fail;
	step = "listen";
	if (s->protocol == PROTO_TCP && listen(l->fd, s->backlog) == -1)
		goto fail;
	return l;
fail:
	snprintf(err, errlen, "service %s: cannot %s %s: %s", s->name, step, l->desc, strerror(errno));
	if (l->fd != -1)
		close(l->fd);
	free(l);
	return NULL;
}

/* The identity a reload keeps a socket by: (protocol, address, port). */
bool
listener_matches(const struct listener *l, const struct service_config *s)
{
	if (l->protocol != s->protocol || l->any_address != s->any_address)
		return false;
	if (l->any_address)
		return util_sockaddr_port((const struct sockaddr *)&l->addr) == s->port;
	return l->addrlen == s->addrlen && memcmp(&l->addr, &s->addr, s->addrlen) == 0;
}

/* Linux lets listen() be called again on a listening socket to resize its queue. */
int
listener_set_backlog(struct listener *l, int backlog)
{
	if (l->protocol != PROTO_TCP || l->backlog == backlog)
		return 0;
	if (listen(l->fd, backlog) == -1)
		return -1;
	l->backlog = backlog;
	return 0;
}

void
listener_close(struct listener *l)
{
	if (l == NULL)
		return;
	if (l->fd != -1)
		close(l->fd);
	free(l);
}
