/* redirect: each TCP connection relayed to a backend (xinetd's redirect), with splice(2). */
#include "autoconfig.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "handler.h"
#include "io.h"
#include "log.h"
#include "proxy_encode.h"
#include "redirect_relay.h"
#include "util.h"

/* A name's addresses tried in turn, at most this many (a name with a thousand is cut short). */
#define REDIRECT_ADDRS_MAX	8

struct redirect_conf {
	char *to;
	int send_proxy;			/* 0: none; 1 or 2: the PROXY header's version */
	int connect_timeout;		/* ms */
	/* what check resolved `to` into, in getaddrinfo's order */
	struct sockaddr_storage addr[REDIRECT_ADDRS_MAX];
	socklen_t addrlen[REDIRECT_ADDRS_MAX];
	size_t naddr;
};

/* --- config ---------------------------------------------------------------- */

/* "host:port", "[v6]:port": host and port copied out, or -1 for a malformed one. */
static int
split_to(const char *to, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = to;
	size_t n;

	if (to[0] == '[') {
		const char *close = strchr(to, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		h = to + 1;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(to, ':');
		/* an IPv6 address unbracketed: where its port starts is a guess */
		if (colon == NULL || strchr(to, ':') != colon)
			return -1;
		n = (size_t)(colon - to);
	}
	if (n == 0 || n >= hostlen || strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

static bool
port_valid(const char *port)
{
	char *end;
	long v;

	if (port[0] < '0' || port[0] > '9')
		return false;
	errno = 0;
	v = strtol(port, &end, 10);
	return errno == 0 && *end == '\0' && v >= 1 && v <= 65535;
}

/*
 * Resolved here, at load and reload, in the master: a worker's filter
 * lets it open no socket to a resolver, and a lookup per connection
 * would hold each client for the resolver's time.
 */
static int
resolve_to(struct service_config *svc, struct redirect_conf *x, const struct config_where *w)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_protocol = IPPROTO_TCP, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char host[256], port[8];
	int rc;

	if (split_to(x->to, host, sizeof(host), port, sizeof(port)) == -1 || !port_valid(port))
		return config_error(w, "to", "service \"%s\": to = \"%s\" is not host:port "
		    "(an IPv6 address in brackets: \"[::1]:8080\"; a port from 1 to 65535)", svc->name, x->to);
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return config_error(w, "to", "service \"%s\": to = \"%s\": %s", svc->name, x->to,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	x->naddr = 0;
	for (ai = res; ai != NULL && x->naddr < REDIRECT_ADDRS_MAX; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(x->addr[0]))
			continue;
		memcpy(&x->addr[x->naddr], ai->ai_addr, ai->ai_addrlen);
		x->addrlen[x->naddr++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (x->naddr == 0)
		return config_error(w, "to", "service \"%s\": to = \"%s\" has no IPv4 or IPv6 address",
		    svc->name, x->to);
	return 0;
}

static int
redirect_check(struct service_config *svc, const struct config_where *w)
{
	return resolve_to(svc, svc->hconf, w);
}

/* --- in the worker ----------------------------------------------------------- */

static int
redirect_init(const struct service_config *svc, const struct handler_env *env, void **state)
{
	struct redirect_pipes *p = calloc(1, sizeof(*p));

	(void)env;
	if (p == NULL) {
		log_errorx("service %s: out of memory", svc->name);
		return -1;
	}
	/* before the filter goes on: it allows no pipe2 */
	if (redirect_pipes_open(p, svc->name) == -1) {
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

/* The access log's word for a connect that failed. */
static const char *
connect_word(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case ENETUNREACH:
	case EHOSTUNREACH:
		return "unreachable";
	default:
		return "error";
	}
}

/*
 * The master replaces a worker that shows no progress for `timeout` (and a
 * grace) as hung; a connect is bounded by connect_timeout instead, which
 * may be longer. So the wait is taken a second at a time, each a sign of
 * life on the worker's line.
 */
#define CONNECT_SLICE_MS	1000

static void
still_connecting(_Atomic int64_t *progress)
{
	if (progress != NULL)
		atomic_store_explicit(progress, util_coarse_now_ms(), memory_order_relaxed);
}

/* One address, within what is left of connect_timeout: the socket, or -1 with errno. */
static int
connect_one(const struct sockaddr *sa, socklen_t len, int64_t until, _Atomic int64_t *progress)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0, r;
	socklen_t elen = sizeof(err);
	int64_t now;

	if (fd == -1)
		return -1;
	if (connect(fd, sa, len) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	do {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };

		now = util_now_ms();
		if (now >= until) {
			errno = ETIMEDOUT;
			goto fail;
		}
		still_connecting(progress);
		r = poll(&pf, 1, until - now > CONNECT_SLICE_MS ? CONNECT_SLICE_MS : (int)(until - now));
	} while ((r == -1 && errno == EINTR) || (r == 0 && util_now_ms() < until));
	if (r == 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (r == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		goto fail;
	if (err == 0)
		return fd;
	errno = err;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* The backend, trying its addresses in turn: the socket, or -1 with s->reason and the access log's words set. */
static int
connect_backend(struct tcp_session *s, const struct redirect_conf *x, char *addr, size_t addrlen)
{
	int64_t until = util_now_ms() + x->connect_timeout;
	int fd = -1;

	for (size_t i = 0; i < x->naddr && fd == -1; i++) {
		util_format_sockaddr((const struct sockaddr *)&x->addr[i], addr, addrlen);
		fd = connect_one((const struct sockaddr *)&x->addr[i], x->addrlen[i], until, s->progress);
		if (fd == -1)
			log_debug("service %s: redirect: connect %s: %s", s->svc->name, addr, strerror(errno));
	}
	if (fd == -1) {
		s->reason = "connect";
		snprintf(s->log_extra, sizeof(s->log_extra), "backend=%s connect=%s", addr, connect_word(errno));
	}
	return fd;
}

/* The PROXY header, before any byte of the client's: the client, and the address it connected to. */
static enum session_end
send_proxy_header(struct tcp_session *s, int backend, int version)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	unsigned char hdr[PROXY_ENCODE_MAX];
	struct tcp_session b = { .fd = backend, .svc = s->svc, .timeout_ms = s->timeout_ms };
	ssize_t n;
	enum session_end e;

	if (getsockname(s->fd, (struct sockaddr *)&local, &llen) == -1) {
		log_error("service %s: redirect: getsockname", s->svc->name);
		return END_ERROR;
	}
	if ((n = proxy_encode(version, s->peer, (struct sockaddr *)&local, hdr, sizeof(hdr))) < 0) {
		log_errorx("service %s: redirect: no PROXY header for this client", s->svc->name);
		return END_ERROR;
	}
	/* a session of its own: the header's bytes are not the client's */
	if ((e = io_write_all(&b, hdr, (size_t)n)) == END_RESET)
		s->reason = "backend";
	return e;
}

static enum session_end
redirect_serve_tcp(struct tcp_session *s)
{
	const struct redirect_conf *x = s->svc->hconf;
	char addr[64];
	uint64_t unsent = 0;
	enum session_end e;
	size_t used;
	int backend;

	if (s->state == NULL)
		return END_ERROR;
	/* splice(2) to a socket waits unless its file says O_NONBLOCK */
	if (util_set_nonblock(s->fd, 1) == -1) {
		log_error("service %s: redirect: fcntl", s->svc->name);
		return END_ERROR;
	}
	s->blocking = false;
	if ((backend = connect_backend(s, x, addr, sizeof(addr))) == -1)
		return END_ERROR;
	used = (size_t)snprintf(s->log_extra, sizeof(s->log_extra), "backend=%s", addr);
	e = x->send_proxy != 0 ? send_proxy_header(s, backend, x->send_proxy) : END_DONE;
	if (e == END_DONE)
		e = redirect_relay(s, backend, s->state, &unsent);
	if (unsent > 0 && used < sizeof(s->log_extra))
		snprintf(s->log_extra + used, sizeof(s->log_extra) - used, " unsent=%llu",
		    (unsigned long long)unsent);
	if (close(backend) == -1 && errno != EINTR)
		log_debug("service %s: redirect: close backend: %s", s->svc->name, strerror(errno));
	return e;
}

static const struct config_key redirect_keys[] = {
	{ .name = "to", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .reloadable = true,
	  .required = true, .need = "a backend (to = \"host:port\";)",
	  .offset = offsetof(struct redirect_conf, to) },
	{ .name = "send_proxy", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 0, .max = 2,
	  .def = "0", .reloadable = true, .offset = offsetof(struct redirect_conf, send_proxy) },
	{ .name = "connect_timeout", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 1,
	  .max = 600000, .def = "3000", .reloadable = true,
	  .offset = offsetof(struct redirect_conf, connect_timeout) },
};

const struct handler handler_redirect = {
	.name = "redirect",
	.serve_tcp = redirect_serve_tcp,
	.keys = redirect_keys,
	.nkeys = sizeof(redirect_keys) / sizeof(redirect_keys[0]),
	.conf_size = sizeof(struct redirect_conf),
	.check = redirect_check,
	.init = redirect_init,
	.connects_out = true,
};
