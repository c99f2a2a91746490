/*
 * An exec program's stream over TLS: the worker relays between the
 * client's TLS session and the program's end of a socket pair, both ways,
 * each end of file passed on (a close_notify to the client, a shutdown to
 * the program), through two buffers of a record each.
 *
 * Room for kTLS: where the kernel has the `tls' ULP, OpenSSL can hand it
 * the session's keys (SSL_OP_ENABLE_KTLS) and the program could be given
 * the TCP socket itself, the kernel en- and decrypting, with no relay and
 * no copy; handler_exec.c's exec_serve_tls is the one place that would
 * choose. This kernel has no tls module, so it is not done (records
 * OpenSSL already read would have to reach the program first).
 */
#ifndef NETSRVD_TLS_RELAY_H
#define NETSRVD_TLS_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_session;

/* a TLS record's worth: a read fills it at most, a write empties it at once when it can */
#define TLS_RELAY_BUF 16384

struct tls_relay_dir {
	unsigned char buf[TLS_RELAY_BUF];
	size_t len, off;		/* what is held, and how much of it went */
	bool eof;			/* the sending side closed */
	bool passed;			/* its end of file went to the other side */
};

struct tls_relay {
	struct tcp_session *s;		/* the client: its TLS, its byte counts */
	int fd;				/* our end of the program's socket pair (non-blocking) */
	struct tls_relay_dir in;	/* client -> program */
	struct tls_relay_dir out;	/* program -> client */
	bool program_deaf;		/* it shut its reading side: the client's bytes go nowhere */
	bool broken;			/* the client's session failed: nothing more moves */
	uint64_t moves;			/* steps that moved a byte or an end of file */
};

void tls_relay_init(struct tls_relay *r, struct tcp_session *s, int fd);
/* The two descriptors to poll and what for: pf[0] the client, pf[1] the program. */
void tls_relay_events(const struct tls_relay *r, struct pollfd pf[2]);
/* Moves all it can without waiting; true if anything moved. */
bool tls_relay_step(struct tls_relay *r);
/* The program is gone: what it wrote to the pair goes to the client, for up to timeout_ms without progress. */
void tls_relay_drain(struct tls_relay *r, int timeout_ms);

#endif
