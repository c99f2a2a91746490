/* redirect's relay: a client and its backend joined with splice(2), both directions, half-closes passed on. */
#ifndef NETSRVD_REDIRECT_RELAY_H
#define NETSRVD_REDIRECT_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "handler.h"

/* A worker's two pipes, made once before its filter goes on and reused by every session. */
struct redirect_pipes {
	int c2b[2];		/* client to backend: read end, write end */
	int b2c[2];		/* backend to client */
	size_t cap;		/* each pipe's size */
};

/* Both pipes, as large as REDIRECT_PIPE_SIZE if the kernel lets us; -1 logged. */
int redirect_pipes_open(struct redirect_pipes *p, const char *service);

/*
 * Relays s->fd (non-blocking) and backend (non-blocking, connected) until
 * both directions are done: each source's EOF is passed on as a shutdown
 * of the other side's sending half once everything before it went out.
 * Ends early when a side resets (s->reason "backend" for the backend's),
 * or on `timeout` (s->timeout_ms): no byte moved either way, or the
 * bytes one side sent waited that long for the other to take them (a
 * backend that never reads). s->bytes_in counts what the client sent,
 * s->bytes_out what it received; *unsent what was taken from one side
 * and never given to the other. Both pipes are empty again on return.
 */
enum session_end redirect_relay(struct tcp_session *s, int backend, struct redirect_pipes *p,
    uint64_t *unsent);

#endif
