/* A generation: one configuration with its sockets and service runtimes, built whole, swapped in, freed when its last worker is gone. */
#ifndef NETSRVD_GENERATION_H
#define NETSRVD_GENERATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "listener.h"
#include "pool.h"
#include "stats.h"

/* What the master keeps of one enabled service of a generation. */
struct service_rt {
	const struct service_config *cfg;
	struct listener *ls;	/* NULL: down, its socket could not be bound yet */
	int running;		/* its live workers */
	struct pool_state pool;	/* pool.target: how many it should have */
	struct backoff backoff;	/* start failures; no fork before backoff.next_start_ms */
	struct backoff bind_retry;	/* ls NULL (down): binds failed; the next try at bind_retry.next_start_ms */
	uint32_t id;		/* stats_service_id(name) */
	struct svc_stats *st;	/* the service's totals (stats.c) */
	size_t stats_index;	/* st's place in the table: its connection_rate bucket */
};

struct shared_config;

struct generation {
	unsigned id;			/* 1, 2, ...: what the status table shows as GEN */
	const struct config *cfg;	/* NULL once retired */
	struct service_rt *svcs;	/* one per enabled service, in the file's order */
	size_t nsvcs;
	size_t live;			/* its workers not reaped yet */
	struct generation *older;	/* a retired generation still draining, or NULL */
	struct shared_config *sc;	/* cfg, shared with clones (log rotation) */
	struct scoreboard *sb;		/* a line for every worker it may run, freed with it */
};

/*
 * Builds a generation of cfg, whole or not at all: its sockets reconciled
 * against reuse[] (the sockets of the generations alive, or inherited
 * ones), a runtime per service with its counters from stats. A service
 * whose socket cannot be bound is part of it all the same, down: logged
 * with the cause, to be tried again (generation_retry_binds). Takes cfg
 * on success; on failure cfg is the caller's still, nothing it had is
 * touched, and *err says why.
 */
struct generation *generation_create(struct config *cfg, struct listener *const *reuse,
    size_t nreuse, struct stats *stats, unsigned id, char *err, size_t errlen);
/* The names its allow and deny lists use (names.h), or NULL: none, or it is retired. */
struct names *generation_names(const struct generation *g);
/* Its services that are down: no socket yet. */
size_t generation_down(const struct generation *g);
/*
 * Binds again each service that is down and due (delays doubling from 1 s
 * to 60 s), logging what happens; the number that came up, whose state it
 * has published to stats.
 */
size_t generation_retry_binds(struct generation *g, struct stats *stats, int64_t now);
/* When the next bind is due (ms, util_now_ms), or -1: every service is up. */
int64_t generation_next_bind_ms(const struct generation *g);
/* Tells stats which of its services are up, which down, where each listens; the rest are gone. */
void generation_publish(const struct generation *g, struct stats *stats);
/* "" when all are up, else " (1 down: web 192.0.2.10:80)", for STATUS= */
void generation_describe_down(const struct generation *g, char *buf, size_t len);
/* The same configuration and sockets, new runtimes: to replace every worker (log rotation). */
struct generation *generation_clone(const struct generation *g, unsigned id);
/* Every worker a generation of cfg may run at once: the lines of its scoreboard. */
size_t generation_slots(const struct config *cfg);
/* Lets go of its sockets (the last generation to hold one closes it) and its configuration. */
void generation_free(struct generation *g);
/*
 * Every socket of g and of the generations older than it, each once,
 * into a new array (*n entries); NULL when out of memory.
 */
struct listener **generation_sockets(const struct generation *g, size_t *n);

/*
 * The list: the current generation, ->older the retired ones still
 * draining. Each counts its live workers: joined when one is forked,
 * left when it is reaped (workers.c calls both, nobody else).
 */
void generation_join(struct generation *g, size_t si);
void generation_leave(struct generation *g, size_t si);
/*
 * g takes over from *cur, which retires and drains behind it: its
 * sockets that g does not use stop accepting (listener_pause), and its
 * configuration goes (cfg and svcs[].cfg become NULL), and so does its
 * scoreboard's descriptor (scoreboard_retire); from then on it is the
 * sockets its workers hold, until they go. stats is told where g's
 * services listen, before any of g's workers is forked.
 */
void generation_switch(struct generation **cur, struct generation *g, struct stats *stats);
/* Frees each generation older than cur whose last worker is gone; the heap goes back once none is left. */
void generation_sweep(struct generation *cur);
/* cur and every older one, at the end. */
void generation_free_all(struct generation *cur);
/*
 * In a new worker of cur: the scoreboards it may read (status,
 * max_per_source), cur's first, then the draining generations', which
 * become read-only to it here. NULL, logged, if that fails.
 */
const struct scoreboard **generation_boards(const struct generation *cur, size_t *n);
/* In a new worker: closes every socket of cur and the older ones but its own (fd mine). */
void generation_close_sockets(const struct generation *cur, int mine);

/* The workers its pools want now (a service that is down wants none). */
size_t generation_workers(const struct generation *g);
/* Its bound sockets into ls (room for nsvcs); how many. */
size_t generation_bound(const struct generation *g, struct listener **ls);
/* A stop: its TCP sockets refuse new connections instead of queueing them for nobody. */
void generation_refuse_connections(const struct generation *g);
/* How long a stop of g may take: shutdown_timeout, and what its slowest handler's workers need after it (exec: its SIGKILL). */
int64_t generation_stop_ms(const struct generation *g);
/* Its log target is a file, which a log rotation reopens (not syslog, not stderr). */
bool generation_logs_to_file(const struct generation *g);

#endif
