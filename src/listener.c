/* Listening sockets: bind, keep across reloads, close. */
#include "autoconfig.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"
#include "util.h"

void
listener_describe(const struct service_config *s, char *buf, size_t len)
{
	char where[LISTENER_WHERE_MAX];

	listener_describe_address(s, where, sizeof(where));
	snprintf(buf, len, "%s %s", s->protocol_name, where);
}

void
listener_describe_address(const struct service_config *s, char *buf, size_t len)
{
	if (strchr(s->address, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", s->address, s->port);
	else
		snprintf(buf, len, "%s:%d", s->address, s->port);
}

static int
set_int_opt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/*
 * SO_BINDTODEVICE: the socket only sees what came in on that interface
 * (an empty name: on any). The name was checked at load (config.c);
 * one gone since fails here, never binds to every interface instead.
 */
static int
bind_to_interface(struct listener *l, const char *ifname)
{
	const char *name = ifname != NULL ? ifname : "";

	if (strcmp(l->ifname, name) == 0)
		return 0;
	if (setsockopt(l->fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name)) == -1)
		return -1;
	snprintf(l->ifname, sizeof(l->ifname), "%s", name);
	return 0;
}

/*
 * freebind: the bind succeeds for an address the host does not have yet
 * (a VRRP or failover address, an interface still coming up); the socket
 * serves it once it appears. No privilege needed.
 */
static int
set_freebind(int fd, int family)
{
#ifdef IPV6_FREEBIND
	if (family == AF_INET6)
		return set_int_opt(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1);
#endif
	/* before Linux 4.15 IP_FREEBIND is what an IPv6 socket honours too */
	(void)family;
	return set_int_opt(fd, IPPROTO_IP, IP_FREEBIND, 1);
}

/*
 * "*" asks for every address: a dual-stack :: socket, or 0.0.0.0 on a host
 * without IPv6. An explicit IPv6 address gets IPV6_V6ONLY, so "::" and
 * "0.0.0.0" can be two services.
 */
static int
open_socket(const struct service_config *s, struct sockaddr_storage *addr, socklen_t *addrlen)
{
	int type = (s->protocol == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC;
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
	if (s->freebind && set_freebind(fd, addr->ss_family) == -1)
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
 * The socket blocks: idle workers wait in accept4() or a receive on it
 * (worker.c, worker_udp.c tell how a stop still reaches them).
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
	if (bind_to_interface(l, s->interface) == -1) {
		snprintf(err, errlen, "service %s: cannot bind %s to interface %s: %s", s->name,
		    l->desc, s->interface, strerror(errno));
		goto undo;
	}
	step = "bind";
	if (bind(l->fd, (struct sockaddr *)&l->addr, l->addrlen) == -1)
		goto fail;
	step = "listen";
	if (s->protocol == PROTO_TCP && listen(l->fd, s->backlog) == -1)
		goto fail;
	return l;
fail:
	snprintf(err, errlen, "service %s: cannot %s %s: %s", s->name, step, l->desc, strerror(errno));
undo:
	if (l->fd != -1)
		close(l->fd);
	free(l);
	return NULL;
}

static bool
is_any_address(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr);
	return false;
}

/*
 * What the socket is, from the socket itself: its type, its address, and
 * for :: whether it is dual-stack. Only then can it stand for a service's
 * "*" (dual-stack ::, or 0.0.0.0) or a specific address.
 */
struct listener *
listener_from_fd(int fd, const char *name, char *err, size_t errlen)
{
	struct listener *l = calloc(1, sizeof(*l));
	int type = 0, v6only = 1, listening = 0;
	socklen_t len = sizeof(type);
	char where[80];

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->fd = fd;
	l->backlog = -1;	/* unknown: the first service to use it sets its own */
	l->addrlen = sizeof(l->addr);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    getsockname(fd, (struct sockaddr *)&l->addr, &l->addrlen) == -1) {
		snprintf(err, errlen, "passed fd %d%s%s: not a socket: %s", fd,
		    *name ? " " : "", name, strerror(errno));
		free(l);
		return NULL;
	}
	if ((type != SOCK_STREAM && type != SOCK_DGRAM) ||
	    (l->addr.ss_family != AF_INET && l->addr.ss_family != AF_INET6)) {
		snprintf(err, errlen, "passed fd %d%s%s: not a TCP or UDP socket", fd,
		    *name ? " " : "", name);
		free(l);
		return NULL;
	}
	l->protocol = type == SOCK_STREAM ? PROTO_TCP : PROTO_UDP;
	len = sizeof(listening);
	if (l->protocol == PROTO_TCP &&
	    (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == -1 || !listening)) {
		snprintf(err, errlen, "passed fd %d%s%s: a TCP socket that is not listening", fd,
		    *name ? " " : "", name);
		free(l);
		return NULL;
	}
	/* bound to an interface by whoever made it: a service without one unbinds it */
	len = sizeof(l->ifname);
	if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, l->ifname, &len) == -1)
		l->ifname[0] = '\0';
	l->ifname[sizeof(l->ifname) - 1] = '\0';
	len = sizeof(v6only);
	if (l->addr.ss_family == AF_INET6 &&
	    getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) == -1)
		v6only = 1;
	/* "*" is :: without V6ONLY, or 0.0.0.0 on a host without IPv6 */
	l->any_address = is_any_address(&l->addr) &&
	    (l->addr.ss_family == AF_INET || v6only == 0);
	util_format_sockaddr((struct sockaddr *)&l->addr, where, sizeof(where));
	snprintf(l->desc, sizeof(l->desc), "%s %s", l->protocol == PROTO_TCP ? "tcp" : "udp",
	    l->any_address ? "*" : where);
	if (l->any_address)
		snprintf(l->desc, sizeof(l->desc), "%s *:%d", l->protocol == PROTO_TCP ? "tcp" : "udp",
		    util_sockaddr_port((struct sockaddr *)&l->addr));
	/*
	 * O_NONBLOCK belongs to the open file, which workers of the image
	 * before an upgrade share: it is left as it is. Workers wait in a
	 * blocking accept4() or receive and clear the flag themselves.
	 */
	if (util_set_cloexec(fd, 1) == -1) {
		snprintf(err, errlen, "passed fd %d: fcntl: %s", fd, strerror(errno));
		free(l);
		return NULL;
	}
	return l;
}

/* The identity a reload keeps a socket by: (protocol, address, port). */
bool
listener_matches(const struct listener *l, const struct service_config *s)
{
	if (l->protocol != s->protocol || l->any_address != s->any_address ||
	    util_sockaddr_port((const struct sockaddr *)&l->addr) != s->port)
		return false;
	if (l->any_address)
		return true;
	if (l->addr.ss_family != s->addr.ss_family)
		return false;
	/* compare addresses only: a socket from getsockname has zeroed padding, flow info... */
	if (s->addr.ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)&l->addr)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)(const void *)&s->addr)->sin_addr.s_addr;
	return IN6_ARE_ADDR_EQUAL(&((const struct sockaddr_in6 *)(const void *)&l->addr)->sin6_addr,
	    &((const struct sockaddr_in6 *)(const void *)&s->addr)->sin6_addr);
}

/* Linux lets listen() be called again on a listening socket to resize its queue. */
int
listener_set_backlog(struct listener *l, int backlog)
{
	if (l->protocol != PROTO_TCP || (l->backlog == backlog && !l->paused))
		return 0;
	if (listen(l->fd, backlog) == -1)
		return -1;
	l->backlog = backlog;
	l->paused = false;
	return 0;
}

void
listener_pause(struct listener *l)
{
	if (l->protocol != PROTO_TCP || l->paused)
		return;
	if (shutdown(l->fd, SHUT_RD) == -1)
		log_warn("shutdown %s", l->desc);
	else
		l->paused = true;
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

static bool
was_given(const struct listener *l, struct listener *const *reuse, size_t nreuse)
{
	for (size_t j = 0; j < nreuse; j++)
		if (reuse[j] == l)
			return true;
	return false;
}

/*
 * The kept sockets take their services' interfaces once every new one is
 * bound, so a failure here has only these to put back.
 */
static int
rebind_kept(const struct config *cfg, struct bound *out, struct listener *const *reuse,
    size_t nreuse, char *err, size_t errlen)
{
	size_t k = 0, done;

	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		struct listener *l;

		if (!s->enabled)
			continue;
		l = out[k].ls;
		if (l != NULL)
			memcpy(l->ifname_before, l->ifname, sizeof(l->ifname));
		if (l != NULL && was_given(l, reuse, nreuse) && bind_to_interface(l, s->interface) == -1) {
			snprintf(err, errlen, "service %s: cannot bind %s to interface %s: %s", s->name,
			    l->desc, s->interface != NULL ? s->interface : "(any)", strerror(errno));
			goto fail;
		}
		k++;
	}
	return 0;
fail:
	done = k;
	for (k = 0; k < done; k++) {
		struct listener *l = out[k].ls;

		if (l != NULL && was_given(l, reuse, nreuse) && bind_to_interface(l, l->ifname_before) == -1)
			log_warn("%s: cannot bind back to interface %s", l->desc,
			    l->ifname_before[0] != '\0' ? l->ifname_before : "(any)");
	}
	return -1;
}

/* A socket of reuse[] no service of this call took yet that matches s, or NULL. */
static struct listener *
take_matching(const struct service_config *s, struct listener *const *reuse, size_t nreuse)
{
	for (size_t j = 0; j < nreuse; j++)
		if (!reuse[j]->used && listener_matches(reuse[j], s)) {
			reuse[j]->used = true;
			return reuse[j];
		}
	return NULL;
}

int
listener_reconcile(const struct config *cfg, struct listener *const *reuse, size_t nreuse,
    struct bound *out, char *err, size_t errlen)
{
	size_t k = 0;

	for (size_t j = 0; j < nreuse; j++)
		reuse[j]->used = false;
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		struct bound *b;

		if (!s->enabled)
			continue;
		b = &out[k++];
		b->why[0] = '\0';
		b->fresh = false;
		b->ls = take_matching(s, reuse, nreuse);
		if (b->ls == NULL) {
			/* one service that cannot bind never stops the others */
			b->ls = listener_open(s, b->why, sizeof(b->why));
			b->fresh = b->ls != NULL;
		} else if (listener_set_backlog(b->ls, s->backlog) == -1)
			log_warn("service %s: listen(backlog %d) on kept socket", s->name, s->backlog);
	}
	if (rebind_kept(cfg, out, reuse, nreuse, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	/* what this call opened is the only thing it may close */
	for (size_t i = 0; i < k; i++)
		if (out[i].fresh) {
			listener_close(out[i].ls);
			out[i].ls = NULL;
		}
	return -1;
}
