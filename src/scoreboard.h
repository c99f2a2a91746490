/* The shared scoreboard: one slot per worker, on a page only that worker can write, read by the master. */
#ifndef NETSRVD_SCOREBOARD_H
#define NETSRVD_SCOREBOARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "logpeer.h"
#include "shm.h"
#include "stats.h"

enum sb_state {
	SB_FREE = 0,		/* no worker */
	SB_STARTING,		/* forked, not serving yet */
	SB_IDLE,		/* waiting for a client */
	SB_BUSY,		/* serving one */
	SB_STOPPING		/* told to stop, finishing */
};

/*
 * One worker's line, alone on its page. The master writes pid, service
 * and generation before the fork and frees the slot after reaping;
 * everything else is the worker's, stored without locks: readers may see
 * a slightly stale line, never a torn counter. The worker's page is the
 * only one it can write (shm_confine), and its counters are its own: the
 * master folds them into its service's totals when it reaps the worker.
 */
struct sb_slot {
	_Atomic int state;
	pid_t pid;
	unsigned generation;
	uint32_t service;		/* stats_service_id(name): the same across reloads */
	/*
	 * The client as the service's log_peer shows it, masked by the worker
	 * before it is stored (see scoreboard_begin): peer_shown says how.
	 */
	unsigned char peer[16];		/* IPv6 or v4-mapped; prefix: the /24 or /48; none: zeros */
	_Atomic uint16_t peer_port;	/* 0 unless peer_shown is LOG_PEER_FULL */
	_Atomic int peer_shown;		/* enum log_peer; read back with logpeer_mode_of */
	_Atomic uint64_t source;	/* scoreboard_source_of(the client), for max_per_source */
	/* the balancer the client came through (PROXY protocol), while relayed is set */
	unsigned char proxy[16];
	_Atomic uint16_t proxy_port;
	_Atomic int relayed;
	_Atomic int64_t conn_start_ms;	/* monotonic (coarse) */
	_Atomic int64_t progress_ms;	/* last byte moved */
	_Atomic int violation;		/* 1 + the call the seccomp filter refused; 0: none */
	/* max_per_source's order among lines beginning at once (scoreboard_begin_in_turn) */
	_Atomic int choosing;		/* taking its turn: turn and source not final yet */
	_Atomic uint64_t turn;
	struct svc_stats counters;	/* what this worker served, not yet folded */
};

/*
 * The handle, in private memory: sizes and which lines are taken are the
 * master's own, never read back from the lines workers write. The board
 * opens with the master's published copy of `taken`, one bit a line, on
 * pages no worker can write: readers visit the taken lines only, so a
 * line no worker ever had is never faulted in (a service allowed 4096
 * workers has a board of 16 MB, nearly all of it never used).
 */
struct scoreboard {
	size_t nslots;
	size_t stride;			/* bytes from one line to the next: a page */
	size_t lines_off;		/* where line 0 starts, after the bitmap's pages */
	struct shm shm;			/* the bitmap, then the lines, made before any fork */
	bool *taken;			/* master: line i belongs to a worker not yet reaped */
};

struct scoreboard *scoreboard_create(size_t nslots);
void scoreboard_destroy(struct scoreboard *sb);
/* A free slot for a worker about to be forked, or -1. */
int scoreboard_claim(struct scoreboard *sb, pid_t pid, uint32_t service, unsigned generation);
void scoreboard_release(struct scoreboard *sb, int slot);
/* Line i (i < nslots). */
struct sb_slot *scoreboard_slot(const struct scoreboard *sb, size_t i);
/*
 * For the readers: fn on each line the master has given a worker, in
 * order, without touching the others. The bitmap is the master's; the
 * line's own fields are the worker's and still to be checked.
 */
void scoreboard_each_live(const struct scoreboard *sb,
    void (*fn)(const struct sb_slot *line, void *arg), void *arg);
/*
 * Its generation forks no more workers: the descriptor goes, the mappings
 * stay (the master still frees lines; newer workers read them).
 */
void scoreboard_retire(struct scoreboard *sb);
/* In the worker of line slot: every other line becomes read-only for good. */
int scoreboard_confine(struct scoreboard *sb, int slot);

/* For the worker, on its own slot: cheap, no syscalls (coarse clock via vDSO). */
void scoreboard_set_state(struct sb_slot *s, enum sb_state st);
/* Busy with peer, stored as shown says (the service's log_peer). */
void scoreboard_begin(struct sb_slot *s, const struct sockaddr *peer, enum log_peer shown);
/* The balancer the client of this connection came through, or NULL: it came itself. */
void scoreboard_set_proxy(struct sb_slot *s, const struct sockaddr *proxy);
/* The client is gone (its bytes are counted in s->counters, by the worker). */
void scoreboard_end(struct sb_slot *s);
/*
 * Who a client is for max_per_source, without saying it: a keyed digest
 * of its address (IPv6: of its /64), the key drawn once per master
 * before any fork, so every worker of this daemon gets the same digest
 * for the same client and nobody reading the board learns the address.
 */
uint64_t scoreboard_source_of(const struct sockaddr *sa);
/*
 * scoreboard_begin for a service with max_per_source: the line also takes
 * a turn after every line of the service on boards (Lamport's bakery), so
 * that clients of one source arriving together are counted in an order
 * and not each against all the others.
 */
void scoreboard_begin_in_turn(struct sb_slot *s, const struct scoreboard *const *boards, size_t nboards,
    const struct sockaddr *peer, enum log_peer shown);
/*
 * Lines of the same service now busy with the same source
 * (scoreboard_source_of). With me (a line that began in turn), only those
 * that took their turn before it, waiting briefly for a line still taking
 * its own; with NULL, all of them.
 */
size_t scoreboard_busy_from(const struct scoreboard *sb, uint32_t service, uint64_t source,
    const struct sb_slot *me);
/* A busy line's client, as its worker let it be shown ("-" when none is). */
void scoreboard_format_peer(const struct sb_slot *s, char *buf, size_t len);
void scoreboard_peer_key(const struct sockaddr *sa, unsigned char out[16], uint16_t *port);
const char *scoreboard_state_name(enum sb_state st);

#endif
