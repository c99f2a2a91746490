/* The PROXY protocol header (versions 1 and 2) a balancer puts before a client's bytes: a pure parser. */
#ifndef NETSRVD_PROXY_H
#define NETSRVD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Version 1: the longest line a receiver must take, CRLF included. */
#define PROXY_V1_MAX	107
/* Version 2: the fixed part, and the most we take in all (TLVs included). */
#define PROXY_V2_FIXED	16
#define PROXY_V2_MAX	4096
/* Room for any header we accept. */
#define PROXY_MAX	PROXY_V2_MAX

enum proxy_status {
	PROXY_NEED_MORE,	/* a valid start of a header: read more */
	PROXY_DONE,		/* a whole, valid header of out->consumed bytes */
	PROXY_ERROR		/* not a header we accept: out->reason says why */
};

struct proxy_result {
	size_t consumed;		/* PROXY_DONE: the header's length; what follows is the client's */
	int version;			/* 1 or 2, once the first byte told; 0 before */
	/*
	 * PROXY_DONE: whether the header names the client. False for a
	 * version 2 LOCAL (the balancer's own health check), a version 1
	 * UNKNOWN, and an address family or protocol we do not take
	 * (unspecified, UNIX): then the connection's own peer stands.
	 */
	bool relayed;
	struct sockaddr_storage source;		/* relayed: the client, address and port */
	struct sockaddr_storage destination;	/* relayed: where it connected to */
	const char *reason;		/* PROXY_ERROR: a constant string, for the log */
};

/*
 * Reads the header at the start of buf[0..len). It keeps no state: called
 * again with more bytes, it answers anew, so a reader can take bytes as
 * they come. NEED_MORE means that no header ends within buf and that every
 * byte so far can still begin a valid one: garbage is refused as soon as
 * it shows, never waited for. So a reader that peeks at what arrived, asks,
 * and takes all it peeked on NEED_MORE but only up to consumed on DONE,
 * never takes a byte of what follows the header.
 */
enum proxy_status proxy_parse(const unsigned char *buf, size_t len, struct proxy_result *out);

#endif
