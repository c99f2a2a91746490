/* The access log: one key=value line per connection, datagram, program run or refusal, its keys always in one order. */
#ifndef NETSRVD_ACCESS_H
#define NETSRVD_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "logpeer.h"

/*
 * One line's fields, each written only when it applies, always in this
 * order: service peer proxy in out duration_ms end reason, the TLS
 * words, then the handler's own words (exec: program exit|signal), then detail.
 */
struct access_line {
	const char *service;
	const struct sockaddr *peer;	/* NULL: none (a UDP program reads its own peers) */
	enum log_peer log_peer;		/* how peer= shows it (the service's log_peer) */
	const struct sockaddr *proxy;	/* the balancer a relayed client came through, or NULL */
	bool counted;			/* in=, out= and duration_ms= apply */
	bool timed;			/* duration_ms= applies without in= and out= */
	unsigned long long in, out;
	long long duration_ms;
	const char *end;		/* done closed timeout reset error answered dropped refused */
	const char *reason;		/* end=refused: acl load per_source proxy rate reflection wrappers; redirect: connect backend */
	const char *words;		/* the handler's, already key=value ("program=12 exit=0"), or NULL */
	const char *detail;		/* free text, written quoted, or NULL */
	/*
	 * With counted: in=? out=?, no numbers. The kernel keeps no counts of a
	 * closed connection, and an exec program's is closed by the program:
	 * a count taken before it would be silently short.
	 */
	bool bytes_unknown;
	const char *tls;		/* "tls=TLSv1.3 resumed=1 client_sha256=...", or NULL: before the handler's words */
};

/* Whether a line is also logged when the access log is off (log.connections = false). */
enum access_otherwise {
	ACCESS_ONLY,		/* no: an ordinary end */
	ACCESS_OR_INFO,		/* at info: refusals, timeouts */
	ACCESS_OR_DEBUG		/* at debug: drops a flood could repeat (rate, reflection) */
};

/* The line into buf (NUL-terminated, never cut inside a field); its length. */
size_t access_format(const struct access_line *l, char *buf, size_t len);
/* Writes the line to the access log when on is true, else as otherwise says. */
void access_log(const struct access_line *l, bool on, enum access_otherwise otherwise);

#endif
