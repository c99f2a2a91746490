/* tcp_wrappers: a TCP client checked against hosts.allow and hosts.deny by libwrap, as tcpd does. */
#ifndef NETSRVD_WRAPPERS_H
#define NETSRVD_WRAPPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct service_config;

/* What the tables said of one connection. */
enum wrappers_verdict {
	WRAPPERS_ALLOW,		/* serve it */
	WRAPPERS_DENY,		/* refuse it (a reset, as any refusal) */
	WRAPPERS_TAKEN,		/* a twist had it, and has ended: close it, serve nothing */
};

/* One connection's check: the process group a spawn may have left behind, ended by wrappers_end. */
struct wrappers_check {
	pid_t group;		/* 0: none */
};

/*
 * tcp_wrappers, when set: a build with libwrap, a daemon name a table can
 * match, and a worker that may run libwrap (an exec service's, or a
 * built-in one without the seccomp filter). -1 with why.
 */
int wrappers_config_check(const struct service_config *s, bool seccomp, char *why, size_t len);

/*
 * Asks libwrap about the client on fd (peer: the one a PROXY header named,
 * or NULL for the socket's own) in a child of its own, which a twist
 * replaces as it would tcpd. Waits up to timeout_ms (-1: no bound) or
 * until wake_fd is readable (a stop); past that the child is killed and
 * the client denied.
 */
enum wrappers_verdict wrappers_ask(const char *name, int fd, const struct sockaddr *peer,
    int wake_fd, int timeout_ms, struct wrappers_check *chk);

/* The connection is over: what a spawn left running in the check's group ends with it. */
void wrappers_end(struct wrappers_check *chk);

#endif
