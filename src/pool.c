/* Pool policy as pure functions: how many workers a service should have, and when a failing one may start again. */
#include "autoconfig.h"

#include "pool.h"

void
pool_init(struct pool_state *st, int workers)
{
	st->target = workers;
	st->short_secs = 0;
	st->last_grow_ms = st->last_retire_ms = 0;
}

/* The batch grows 1, 2, 4 ... 32 for each second the pool stays short, and is at least what the queue needs. */
static int
growth(const struct pool_view *v, const struct pool_state *st)
{
	int batch = 1 << (st->short_secs < 5 ? st->short_secs : 5);
	int need = v->min_spare + v->waiting - v->idle - v->starting;

	if (batch < need)
		batch = need;
	if (batch > POOL_BATCH_MAX)
		batch = POOL_BATCH_MAX;
	if (batch > v->max_workers - st->target)
		batch = v->max_workers - st->target;
	return batch;
}

/*
 * Apache's prefork rule, per service: fewer idle workers than min_spare
 * and room under max_workers: grow, doubling the batch each second it
 * stays short; more idle than max_spare: retire one idle worker a second,
 * never going below workers. One addition: the batch is at least what the
 * clients already waiting in the accept queue need, so a burst is served
 * within a second, not after five rounds of doubling. A static pool
 * (max_workers == workers) never changes.
 */
struct pool_decision
pool_decide(const struct pool_view *v, struct pool_state *st, int64_t now)
{
	struct pool_decision d = { .grow = 0, .retire_one = false };

	if (v->max_workers == v->workers)
		return d;
	if (v->idle + v->starting < v->min_spare + v->waiting && st->target < v->max_workers) {
		if (now - st->last_grow_ms < 1000)
			return d;
		st->last_grow_ms = now;
		d.grow = growth(v, st);
		st->target += d.grow;
		st->short_secs++;
		return d;
	}
	if (now - st->last_grow_ms >= 1000)
		st->short_secs = 0;
	if (v->idle > v->max_spare && st->target > v->workers && v->can_retire &&
	    now - st->last_retire_ms >= 1000) {
		st->last_retire_ms = now;
		st->target--;
		d.retire_one = true;
	}
	return d;
}

/* 1 s, 2 s, 4 s ... for the shift-th delay in a row, never more than POOL_BACKOFF_MAX_MS. */
static int64_t
doubling_delay(int shift)
{
	int64_t delay = shift >= 6 ? POOL_BACKOFF_MAX_MS : (int64_t)1000 << shift;

	return delay > POOL_BACKOFF_MAX_MS ? POOL_BACKOFF_MAX_MS : delay;
}

/*
 * After FAILURES_BEFORE_BACKOFF failures in a row the delays double from
 * 1 s to BACKOFF_MAX_MS; POOL_STABLE_RESET_MS without a failure forgets
 * them. Never a fork storm, never a service given up for good.
 */
int64_t
backoff_start_failure(struct backoff *b, int64_t now)
{
	int64_t delay;

	if (now - b->last_fail_ms >= POOL_STABLE_RESET_MS)
		b->fails = 0;
	b->fails++;
	b->last_fail_ms = now;
	if (b->fails < POOL_FAILURES_BEFORE_BACKOFF)
		return 0;
	delay = doubling_delay(b->fails - POOL_FAILURES_BEFORE_BACKOFF);
	b->next_start_ms = now + delay;
	return delay;
}

/*
 * A bind fails for reasons outside us (an address not up yet, a port
 * another program holds): every failure counts, from the first, and
 * nothing forgets them but a bind that works (the caller's fresh state).
 */
int64_t
backoff_bind_failure(struct backoff *b, int64_t now)
{
	int64_t delay = doubling_delay(b->fails);

	b->fails++;
	b->last_fail_ms = now;
	b->next_start_ms = now + delay;
	return delay;
}

bool
backoff_active(const struct backoff *b)
{
	return b->fails >= POOL_FAILURES_BEFORE_BACKOFF;
}
