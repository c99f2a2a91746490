/* Listening sockets: bind, keep across reloads, close. */
#ifndef NETSRVD_LISTENER_H
#define NETSRVD_LISTENER_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

struct listener {
	int fd;
	enum proto protocol;
	struct sockaddr_storage addr;	/* as configured ("*" = ::) */
	socklen_t addrlen;
	bool any_address;
	int backlog;
	char desc[96];			/* "tcp 127.0.0.1:7", for logs */
	char ifname[IF_NAMESIZE];	/* SO_BINDTODEVICE; "" = every interface */
	char ifname_before[IF_NAMESIZE];	/* a reconcile's undo */
	bool used;			/* mark for the reload's sweep */
	bool paused;			/* TCP: out of LISTEN (shutdown) until listened on again */
	int refs;			/* generations using it; closed when the last lets go */
};

struct listener *listener_open(const struct service_config *s, char *err, size_t errlen);
/* A socket someone else bound (systemd, the master before an upgrade), described by asking it. */
struct listener *listener_from_fd(int fd, const char *name, char *err, size_t errlen);
bool listener_matches(const struct listener *l, const struct service_config *s);
/* listen() with this backlog, if it changed or the socket was paused. */
int listener_set_backlog(struct listener *l, int backlog);
/*
 * A TCP socket no service wants any more refuses new clients at once
 * (it leaves LISTEN, keeping its address), instead of queueing them for
 * workers that are leaving; listener_set_backlog() resumes it.
 */
void listener_pause(struct listener *l);
void listener_close(struct listener *l);

/* What a reconcile made of one enabled service. */
#define LISTENER_ERR_MAX 256
struct bound {
	struct listener *ls;	/* NULL: its socket could not be bound, see why */
	bool fresh;		/* opened by this call, not kept */
	char why[LISTENER_ERR_MAX];	/* "service S: cannot bind tcp A:P: reason" */
};

/*
 * Mark and sweep on (protocol, address, port): for each enabled service of
 * cfg, a socket of reuse[] that matches is kept (same fd, same accept
 * queue, listening again if it was paused, bound to the interface the
 * service names now), any other is bound anew. A service whose socket
 * cannot be bound gets no socket and the reason, and the others are bound
 * all the same. out gets one entry per enabled service, in order. -1 only
 * when a kept socket cannot take its service's new interface: then what
 * this call opened is closed, the kept sockets are bound to their
 * interfaces as before, and *err says why.
 */
int listener_reconcile(const struct config *cfg, struct listener *const *reuse, size_t nreuse,
    struct bound *out, char *err, size_t errlen);
/* "tcp 127.0.0.1:7", "udp [::1]:7", "tcp *:7" */
void listener_describe(const struct service_config *s, char *buf, size_t len);
/* Without the protocol: "127.0.0.1:7", "[::1]:7", "*:7" */
#define LISTENER_WHERE_MAX 64
void listener_describe_address(const struct service_config *s, char *buf, size_t len);

#endif
