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
/* The plain-text status and the Prometheus text, into buf; return the length. */
size_t status_format_text(char *buf, size_t len);
size_t status_format_metrics(char *buf, size_t len);

/*
 * The pure parts of the handlers, shared by their TCP and UDP halves and
 * checked byte for byte by tests/handler_test.c.
 */

/* A uniform random number in [0, bound); cheap, seeded once per process. */
uint32_t handler_random(uint32_t bound);

/* RFC 864: 72 of the 95 printable characters per line, then CRLF. */
#define CHARGEN_CHARS		95
#define CHARGEN_LINE_CHARS	72
#define CHARGEN_LINE_BYTES	(CHARGEN_LINE_CHARS + 2)
/* The stream repeats itself after 95 lines. */
#define CHARGEN_PERIOD		((size_t)CHARGEN_CHARS * CHARGEN_LINE_BYTES)
/* len bytes of the TCP chargen stream from its byte offset pos on. */
void chargen_fill(unsigned char *buf, size_t len, uint64_t pos);

/* Room for any daytime line, NUL included. */
#define DAYTIME_MAX		64
/*
 * The RFC 867 line for t: "Wednesday, November 25, 2026 07:38:47-UTC\r\n",
 * English whatever the locale. Returns its length (the NUL not counted),
 * or 0 if t cannot be converted or len is too small.
 */
size_t daytime_format(time_t t, char *buf, size_t len);

/* RFC 868: seconds since 1900-01-01T00:00Z, modulo 2^32. */
uint32_t time_rfc868(int64_t unix_seconds);

#endif
