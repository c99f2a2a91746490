/* What a worker's TCP loop and its UDP engine share: what the master hands them, buffer sizes, access control, the back-off when descriptors or memory run out. */
#ifndef NETSRVD_WORKER_SHARED_H
#define NETSRVD_WORKER_SHARED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sys/types.h>

#include "config.h"
#include "control.h"
#include "ratelimit.h"
#include "scoreboard.h"
#include "stats.h"

/* What the master hands a worker it forks. */
struct worker_args {
	const struct config *cfg;
	const struct service_config *svc;
	int listen_fd;
	pid_t master_pid;
	unsigned generation;
	struct scoreboard *sb;		/* its generation's: its line is there */
	/* what it reads (status, max_per_source): sb first, then the draining generations' */
	const struct scoreboard **boards;
	size_t nboards;
	struct sb_slot *slot;		/* this worker's line; never NULL in a worker (worker_run) */
	int slot_index;			/* its number in sb */
	struct ratelimit *rl;		/* UDP replies per source, TCP connections */
	uint32_t service_id;
	size_t service_index;		/* its per-service bucket in rl */
	struct svc_stats *st;		/* this worker's counters, in its line; never NULL either */
	struct stats *stats;		/* everything, for the status handler */
	struct control_block *control;	/* the master's words: stopping, handed over, generation */
	struct names *names;		/* its generation's host names and reverse names, or NULL */
};

/* big enough for any UDP datagram (65527 bytes over IPv6); the TCP echo's pending window */
#define WORKER_BUF ((size_t)64 * 1024)

/*
 * A worker told to stop leaves when its socket has nothing waiting, not
 * the moment it is told: the kernel wakes one waiting worker per arrival,
 * and a wake-up it consumed may be the only one a waiting client gets.
 * WORKER_DRAIN_MAX bounds the extra clients (or datagrams) it takes when
 * the queue never empties.
 */
#define WORKER_DRAIN_MAX 64

/* Out of descriptors or memory: the back-off state (see worker_shared.c). */
struct worker_shortage {
	const char *service;	/* for the warning */
	int wake_fd;		/* the self-pipe's read end: SIGTERM ends a pause */
	int pause_ms;		/* the next back-off; 0 = none yet */
	int64_t next_log_ms;	/* the next warning may go out then */
	unsigned long quiet;	/* repeats since the last warning */
};

/* Warns (rate-limited) and waits, on the self-pipe only, for a pause that doubles while it lasts. */
void worker_shortage_wait(struct worker_shortage *sh, const char *call);
/* A call succeeded: the next shortage starts over at the shortest pause. */
void worker_shortage_over(struct worker_shortage *sh);
/* The process is short of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM). */
bool worker_error_resource(int e);
/* allow and deny: addresses, then host names and domain suffixes (a wait of lookup_timeout at most) */
bool worker_acl_allows(const struct worker_args *a, const struct sockaddr *peer);

/* one of the worker's own counters (worker_run checks it has them) */
static inline void
worker_count(_Atomic uint64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

#endif
