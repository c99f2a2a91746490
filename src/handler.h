/* The service handlers behind one interface, and the table that names them. */
#ifndef NETSRVD_HANDLER_H
#define NETSRVD_HANDLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct service_config;
struct tls_conn;

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
	 * O_NONBLOCK (the worker's, from accept4 without it). A handler that
	 * closes it itself sets it to -1.
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
	const struct sockaddr *peer;	/* the client */
	struct svc_stats *counters;	/* the worker's own (may be NULL) */
	int wake_fd;			/* readable once the worker is told to stop */
	int shutdown_timeout;		/* the daemon's, for what a stop may still take */
	char log_extra[96];		/* the handler's words for the access log: "program=12 exit=0" */
	const char *reason;		/* the access log's reason= for how it ended ("connect"), or NULL */
	bool bytes_unknown;		/* bytes_in and bytes_out are not the session's: in=? out=? */
	void *state;			/* what the handler's init made (NULL: none) */
	/*
	 * The session's TLS (tls_conn.h), or NULL: the io layer reads and
	 * writes through it, so a handler that uses io.h speaks TLS unchanged.
	 * fd is then non-blocking and never read or written by the handler.
	 */
	struct tls_conn *tls;
};

/*
 * A listening socket a handler serves itself (exec's wait mode): UDP not
 * datagram by datagram, TCP with no accept of ours.
 */
struct socket_session {
	int fd;				/* the service's socket, shared with the master */
	int wake_fd;			/* readable once the worker is told to stop */
	const struct service_config *svc;
	_Atomic int64_t *progress;	/* the worker's line, as for TCP (may be NULL) */
	struct svc_stats *counters;	/* the worker's own (may be NULL) */
	int shutdown_timeout;
	bool access_log;		/* log.connections: a line per program run */
	void *state;			/* what the handler's init made (NULL: none) */
};

struct config_key;
struct config_where;
struct svc_stats;
struct scoreboard;
struct stats;
struct config;
struct control;

/* What a worker hands its handler's init: the daemon's shared state, read only. */
struct handler_env {
	/* every live worker's line: its generation's board, then the older ones' */
	const struct scoreboard *const *boards;
	size_t nboards;
	const struct stats *stats;
	const struct config *cfg;
	const struct control *control;	/* the master's words (control.h) */
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
	/*
	 * The service keys this handler adds to the schema (scope
	 * SCOPE_SERVICE; offsets into a block of conf_size bytes the loader
	 * allocates as service_config.hconf and frees with the service).
	 * Only a service of this handler may set them.
	 */
	const struct config_key *keys;
	size_t nkeys;
	size_t conf_size;
	/*
	 * Config time, once the keys are stored and defaulted: checks them
	 * and prepares what they name (qotd reads its quotes). An error goes
	 * through config_error(w, ...), so it says FILE:LINE. NULL: nothing
	 * to check.
	 */
	int (*check)(struct service_config *svc, const struct config_where *w);
	/* Frees what check made; the keys' own values are the loader's. */
	void (*release)(struct service_config *svc);
	/*
	 * In the worker before it serves: makes the handler's state, what it
	 * reads while serving, from env (which outlives the worker's loop),
	 * into *state; every session then carries it (tcp_session.state,
	 * socket_session.state) for the life of the worker. -1, logged
	 * by init itself, is a start failure. NULL: nothing to prepare.
	 */
	int (*init)(const struct service_config *svc, const struct handler_env *env, void **state);
	bool reports_status;	/* serves the daemon's status: what netsrvd -s asks */
	/*
	 * Its workers run the sysadmin's programs (exec): they keep what the
	 * service's user may do (no seccomp filter, chroot or capability
	 * drop, which the programs would inherit) and never parse a byte.
	 */
	bool runs_programs;
	/*
	 * Its workers open TCP connections of their own and splice between
	 * them (redirect): their seccomp filter also allows AF_INET and
	 * AF_INET6 sockets and splice(2), no other worker's does.
	 */
	bool connects_out;
	/*
	 * Serves the socket itself until the worker is told to stop, for a
	 * service whose check set serves_socket (exec with wait = true, TCP or
	 * UDP; UDP without answer_udp needs it).
	 */
	void (*serve_socket)(struct socket_session *s);
	/*
	 * How long a worker told to stop by a reload may still take, in
	 * seconds (-1: as long as its client); NULL: shutdown_timeout. A
	 * stop of the daemon is bounded by shutdown_timeout and stop_extra_ms.
	 */
	int (*reload_grace_s)(const struct service_config *svc, int shutdown_timeout);
	int stop_extra_ms;	/* what its workers need after shutdown_timeout to end cleanly */
	/* netsrvd -t --explain: what its own keys give the programs (limits...); NULL: nothing */
	void (*explain)(const struct service_config *svc, FILE *out);
};

const struct handler *handler_find(const char *name);
/* "echo, discard, ..." for error messages */
const char *handler_names(void);
const char *session_end_name(enum session_end e);
/* The table, for whoever walks every handler's keys (the loader, the docs test). */
size_t handler_count(void);
const struct handler *handler_at(size_t i);
/*
 * Serves the standard protocol of its name with no key of its own (echo,
 * discard, chargen, daytime, time): what inetd and xinetd call an internal
 * service, so --import maps one of that name to it.
 */
bool handler_is_internal(const struct handler *h);

/* Each handler's entry, defined in its own handler_<name>.c. */
extern const struct handler handler_echo;
extern const struct handler handler_discard;
extern const struct handler handler_chargen;
extern const struct handler handler_daytime;
extern const struct handler handler_time;
extern const struct handler handler_qotd;
extern const struct handler handler_status;
extern const struct handler handler_exec;
extern const struct handler handler_redirect;

/* A uniform random number in [0, bound); cheap, seeded once per process. */
uint32_t handler_random(uint32_t bound);

#endif
