/* A TCP connection from a balancer (proxy_from): its PROXY header read, and the client it names made the peer. */
#ifndef NETSRVD_WORKER_PROXY_H
#define NETSRVD_WORKER_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "worker_shared.h"

/* The specification's "at least 3 seconds to cover a TCP retransmit". */
#define WORKER_PROXY_TIMEOUT_MS	3000

struct worker_proxy {
	bool relayed;				/* a balancer named the client */
	struct sockaddr_storage client;		/* relayed: the header's source, the peer from now on */
	struct sockaddr_storage balancer;	/* relayed: who connected */
};

/*
 * Called first for every accepted connection. One from the service's
 * proxy_from prefixes must begin with a PROXY header, whole within
 * WORKER_PROXY_TIMEOUT_MS; it is read without taking a byte that
 * follows it, and *peer becomes the client it names (a version 2 LOCAL
 * or a version 1 UNKNOWN leaves the real peer). Any other connection is
 * left untouched. The scoreboard line notes the balancer, or that there
 * is none. Returns 0 to serve; -1 when the header is missing, malformed,
 * truncated or late: logged with the reason, counted as refused with
 * reason proxy, and the caller closes the connection before a byte is
 * served. buf is scratch room of len >= PROXY_MAX bytes.
 */
int worker_proxy_accept(const struct worker_args *a, int fd, unsigned char *buf, size_t len,
    const struct sockaddr **peer, struct worker_proxy *wp);

/* The balancer a relayed client came through (the access log's proxy=), or NULL. */
const struct sockaddr *worker_proxy_balancer(const struct worker_proxy *wp);

#endif
