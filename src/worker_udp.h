/* A UDP worker's engine (batches of datagrams in, checked, answered, out) and what worker.c lends it. */
#ifndef NETSRVD_WORKER_UDP_H
#define NETSRVD_WORKER_UDP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "worker.h"

/* big enough for any UDP datagram (65527 bytes over IPv6); the TCP echo's pending window */
#define WORKER_BUF ((size_t)64 * 1024)

/*
 * A worker told to stop leaves when its socket has nothing waiting, not
 * the moment it is told: with EPOLLEXCLUSIVE, a wake-up it consumed may be
 * the only one a waiting client gets. WORKER_DRAIN_MAX bounds the extra
 * clients (or datagrams) it takes when the queue never empties.
 */
#define WORKER_DRAIN_MAX 64

/* Out of descriptors or memory: the back-off state (see worker_shortage_wait). */
struct worker_shortage {
	const char *service;	/* for the warning */
	int wake_fd;		/* the self-pipe's read end: SIGTERM ends a pause */
	int pause_ms;		/* the next back-off; 0 = none yet */
	int64_t next_log_ms;	/* the next warning may go out then */
	unsigned long quiet;	/* repeats since the last warning */
};

/* Lent by worker.c: the parts the TCP loop and the UDP engine share. */
void worker_shortage_wait(struct worker_shortage *sh, const char *call);
void worker_shortage_over(struct worker_shortage *sh);
bool worker_error_resource(int e);
bool worker_acl_allows(const struct service_config *svc, const struct sockaddr *peer);

/* (every worker has its service's counters: worker_run checks) */
static inline void
worker_count(_Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

struct worker_udp;

/* Setup phase, before the sandbox (it reads the host's addresses); NULL: logged, exit. */
struct worker_udp *worker_udp_new(const struct worker_args *a);
/* Serve phase: returns when the worker is to stop, or its socket broke (logged). */
void worker_udp_run(struct worker_udp *u, struct worker_shortage *sh);

#endif
