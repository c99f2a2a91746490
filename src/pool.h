/* Pool policy as pure functions: how many workers a service should have, and when a failing one may start again. */
#ifndef NETSRVD_POOL_H
#define NETSRVD_POOL_H

#include <stdbool.h>
#include <stdint.h>

/* the pool is looked at this often; it changes at most once a second per direction */
#define POOL_TICK_MS		250
#define POOL_BATCH_MAX		32

/* respawn throttling (netsrvd(8), SIGNALS: CHLD) */
#define POOL_START_FAILURE_MS	1000	/* dying this young is a start failure */
#define POOL_FAILURES_BEFORE_BACKOFF	3
#define POOL_BACKOFF_MAX_MS	60000
#define POOL_STABLE_RESET_MS	60000

/* What the master sees of one service's pool at one tick. */
struct pool_view {
	int workers, max_workers, min_spare, max_spare;	/* its configuration */
	int idle, starting;	/* its workers of the current generation, not told to stop */
	int waiting;		/* clients in the accept queue */
	bool can_retire;	/* one of the idle workers may be told to stop */
};

/* What the policy remembers of a service from one tick to the next. */
struct pool_state {
	int target;		/* workers..max_workers */
	int short_secs;		/* seconds in a row with too few idle workers */
	int64_t last_grow_ms, last_retire_ms;
};

struct pool_decision {
	int grow;		/* workers to add to the target now */
	bool retire_one;	/* tell one idle worker to stop (the target is one less) */
};

void pool_init(struct pool_state *st, int workers);
/* Applies the decision to *st too. */
struct pool_decision pool_decide(const struct pool_view *v, struct pool_state *st, int64_t now);

/* Start failures in a row, and when a service that keeps failing may fork again. */
struct backoff {
	int fails;
	int64_t last_fail_ms;
	int64_t next_start_ms;	/* no fork before this */
};

/* A worker died within POOL_START_FAILURE_MS of its start: returns the delay now imposed (0: none yet). */
int64_t backoff_start_failure(struct backoff *b, int64_t now);
/* While backing off, one probe worker must survive its first second before the pool refills. */
bool backoff_active(const struct backoff *b);
/* A socket that could not be bound (again): returns the delay before the next try, 1 s doubling to 60 s. */
int64_t backoff_bind_failure(struct backoff *b, int64_t now);

#endif
