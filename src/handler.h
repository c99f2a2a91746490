/* The service handlers behind one interface, and the table that names them. */
#ifndef NETSRVD_HANDLER_H
#define NETSRVD_HANDLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct service_config;

/* How a TCP session ended, for the access log. */
enum session_end {
	END_DONE,		/* the server said all it had to say */
	END_CLIENT_CLOSED,	/* the client closed (EOF) */
	END_TIMEOUT,		/* no progress for `timeout` seconds */
	END_RESET,		/* the client went away (ECONNRESET, EPIPE) */
	END_ERROR		/* a local failure, logged where it happened */
};

/* One accepted TCP connection, served by exactly one handler call. */
struct tcp_session {
	/*
	 * The connected socket. Every call on it says MSG_DONTWAIT, except
	 * io_recv_wait(), which blocks when `blocking` says the socket has no
	 * O_NONBLOCK (the worker's, from accept4 without it).
	 */
	int fd;
	bool blocking;
	bool rcvtimeo_set;		/* io_recv_wait set SO_RCVTIMEO */
	const struct service_config *svc;
	unsigned char *buf;		/* the worker's buffer, allocated once */
	size_t bufsize;
	int timeout_ms;			/* no-progress limit; -1 = none */
	uint64_t bytes_in;
	uint64_t bytes_out;
	/* the worker's scoreboard line: when a byte last moved (may be NULL) */
	_Atomic int64_t *progress;
};

struct handler {
	const char *name;
	enum session_end (*serve_tcp)(struct tcp_session *s);
	/*
	 * Builds the reply to one datagram of inlen bytes into out (outcap
	 * bytes, at least 65536). Returns the reply's length, or -1 for no
	 * reply. Pure apart from the clock and the random source: fuzzable.
	 * A reply of unbounded size (chargen, qotd) is never longer than
	 * inlen: no amplification for a forged source.
	 */
	ssize_t (*answer_udp)(const struct service_config *svc,
	    const unsigned char *in, size_t inlen,
	    unsigned char *out, size_t outcap);
	bool needs_quotes;		/* the service must set `quotes` */
};

const struct handler *handler_find(const char *name);
/* "echo, discard, ..." for error messages */
const char *handler_names(void);
const char *session_end_name(enum session_end e);

/* Each handler's entry, defined in its own handler_<name>.c. */
extern const struct handler handler_echo;
extern const struct handler handler_discard;
extern const struct handler handler_chargen;
extern const struct handler handler_daytime;
extern const struct handler handler_time;
extern const struct handler handler_qotd;
extern const struct handler handler_status;

struct scoreboard;
struct stats;
struct config;
/* What the status handler reports on; set by a status worker before it serves. */
int status_attach(const struct scoreboard *sb, const struct stats *st, const struct config *cfg);

/* A uniform random number in [0, bound); cheap, seeded once per process. */
uint32_t handler_random(uint32_t bound);

/*
 * Transitional: tests/service_test.c (not this change's file) still takes
 * the pure helpers from here. Drop these once it includes them itself.
 */
#include "handler_chargen.h"
#include "handler_daytime.h"
#include "handler_time.h"

#endif
