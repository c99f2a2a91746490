/* A TCP connection from a balancer (proxy_from): its PROXY header read, and the client it names made the peer. */
#include "autoconfig.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "access.h"
#include "io.h"
#include "log.h"
#include "proxy.h"
#include "scoreboard.h"
#include "util.h"
#include "worker_proxy.h"

static bool
from_balancer(const struct service_config *svc, const struct sockaddr *peer)
{
	for (size_t i = 0; i < svc->nproxy_from; i++)
		if (cidr_match(&svc->proxy_from[i], peer))
			return true;
	return false;
}

/*
 * Takes the header off the socket and nothing after it: each round peeks
 * at what has arrived, asks the parser, and takes what the parser says is
 * header (all of it while the header is not whole, only up to its end
 * once it is). So the client's own first bytes, which may have come in
 * the same segment, are left for the handler. A peek that finds nothing
 * new waits, never past the deadline: a header sent a byte a second is
 * late like one never sent. Returns NULL, or why there is no header.
 */
static const char *
read_header(int fd, unsigned char *buf, size_t len, struct proxy_result *r)
{
	int64_t deadline = util_now_ms() + WORKER_PROXY_TIMEOUT_MS;
	size_t have = 0;

	for (;;) {
		int left = (int)(deadline - util_now_ms());
		enum proxy_status st;
		ssize_t n, got;
		size_t take;

		if (left <= 0)
			return "no whole header within 3 s";
		n = recv(fd, buf + have, len - have, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0)
			return "closed before a whole header";
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (!IO_AGAIN(errno))
				return strerror(errno);
			if (io_wait(fd, POLLIN, left, NULL) == -1)
				return strerror(errno);
			continue;
		}
		st = proxy_parse(buf, have + (size_t)n, r);
		if (st == PROXY_ERROR)
			return r->reason;
		take = st == PROXY_DONE ? r->consumed - have : (size_t)n;
		do
			got = recv(fd, buf + have, take, MSG_DONTWAIT);
		while (got == -1 && errno == EINTR);
		if (got <= 0)
			return got == 0 ? "closed before a whole header" : strerror(errno);
		have += (size_t)got;
		if (st == PROXY_DONE && have == r->consumed)
			return NULL;
		/* a short take: the rest is still queued, the next round sees it */
	}
}

/* The access log's end=refused reason=proxy line, with the header's fault as its detail. */
static void
refuse_logged(const struct worker_args *a, const struct sockaddr *peer, const char *why)
{
	struct access_line l = { .service = a->svc->name, .peer = peer, .end = "refused",
	    .log_peer = logpeer_mode(a->svc->log_peer),
	    .reason = "proxy", .detail = why };

	access_log(&l, a->cfg->log.connections, ACCESS_OR_INFO);
	worker_count(&a->st->refused_proxy);
}

int
worker_proxy_accept(const struct worker_args *a, int fd, unsigned char *buf, size_t len,
    const struct sockaddr **peer, struct worker_proxy *wp)
{
	struct proxy_result r;
	const char *why;

	wp->relayed = false;
	if (a->svc->nproxy_from == 0 || !from_balancer(a->svc, *peer)) {
		scoreboard_set_proxy(a->slot, NULL);
		return 0;
	}
	/* busy with the balancer while its header comes: the pool sees the worker taken */
	scoreboard_set_proxy(a->slot, NULL);
	scoreboard_begin(a->slot, *peer, logpeer_mode(a->svc->log_peer));
	memset(&r, 0, sizeof(r));
	why = len >= PROXY_MAX ? read_header(fd, buf, len, &r) : "no room for a header";
	/* idle again: the caller's checks begin the connection with the client */
	scoreboard_set_state(a->slot, SB_IDLE);
	if (why != NULL) {
		refuse_logged(a, *peer, why);
		return -1;
	}
	if (!r.relayed)
		return 0;	/* LOCAL, UNKNOWN: the balancer speaks for itself */
	memcpy(&wp->balancer, *peer, (*peer)->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	wp->client = r.source;
	wp->relayed = true;
	*peer = (const struct sockaddr *)&wp->client;
	scoreboard_set_proxy(a->slot, (const struct sockaddr *)&wp->balancer);
	return 0;
}

const struct sockaddr *
worker_proxy_balancer(const struct worker_proxy *wp)
{
	return wp->relayed ? (const struct sockaddr *)&wp->balancer : NULL;
}
