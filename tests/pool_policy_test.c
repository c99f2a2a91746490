/* The pool policy and the respawn back-off, as tables of cases: no daemon, no sleeps. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "pool.h"

struct pool_case {
	const char *what;
	struct pool_view v;
	struct pool_state before;
	int64_t now;
	int grow;
	bool retire;
	struct pool_state after;
};

/* workers 4, max_workers 32, min_spare 1, max_spare 4 unless the row says otherwise */
#define CFG(w, mx, mn, ms) w, mx, mn, ms
static const struct pool_case pool_cases[] = {
	{ "a static pool never changes", { CFG(4, 4, 1, 4), 0, 0, 50, false },
	  { 4, 0, 0, 0 }, 10000, 0, false, { 4, 0, 0, 0 } },
	{ "no idle worker: grow by one", { CFG(4, 32, 1, 4), 0, 0, 0, false },
	  { 4, 0, 0, 0 }, 10000, 1, false, { 5, 1, 10000, 0 } },
	{ "still short a second later: two", { CFG(4, 32, 1, 4), 0, 0, 0, false },
	  { 5, 1, 10000, 0 }, 11000, 2, false, { 7, 2, 11000, 0 } },
	{ "short for 5 s: the batch is 32", { CFG(4, 64, 1, 4), 0, 0, 0, false },
	  { 10, 5, 10000, 0 }, 11000, 32, false, { 42, 6, 11000, 0 } },
	{ "the batch stops doubling at 32", { CFG(4, 200, 1, 4), 0, 0, 0, false },
	  { 42, 9, 10000, 0 }, 11000, 32, false, { 74, 10, 11000, 0 } },
	{ "within the same second: wait", { CFG(4, 32, 1, 4), 0, 0, 0, false },
	  { 5, 1, 10000, 0 }, 10999, 0, false, { 5, 1, 10000, 0 } },
	{ "a queue of 10: grow by what it needs", { CFG(4, 32, 1, 4), 0, 0, 10, false },
	  { 4, 0, 0, 0 }, 10000, 11, false, { 15, 1, 10000, 0 } },
	{ "a queue of 50: at most 32 at once", { CFG(4, 200, 1, 4), 0, 0, 50, false },
	  { 4, 0, 0, 0 }, 10000, 32, false, { 36, 1, 10000, 0 } },
	{ "starting workers count as spare", { CFG(4, 32, 2, 4), 0, 2, 0, false },
	  { 6, 0, 0, 0 }, 10000, 0, false, { 6, 0, 0, 0 } },
	{ "never past max_workers", { CFG(4, 8, 1, 4), 0, 0, 50, false },
	  { 6, 3, 0, 0 }, 10000, 2, false, { 8, 4, 10000, 0 } },
	{ "at max_workers: no growth", { CFG(4, 8, 1, 4), 0, 0, 50, false },
	  { 8, 4, 9000, 0 }, 10000, 0, false, { 8, 0, 9000, 0 } },
	{ "too many idle: retire one", { CFG(4, 32, 1, 4), 6, 0, 0, true },
	  { 10, 0, 0, 0 }, 10000, 0, true, { 9, 0, 0, 10000 } },
	{ "exactly max_spare idle: keep them", { CFG(4, 32, 1, 4), 4, 0, 0, true },
	  { 10, 0, 0, 0 }, 10000, 0, false, { 10, 0, 0, 0 } },
	{ "one a second at most", { CFG(4, 32, 1, 4), 6, 0, 0, true },
	  { 9, 0, 0, 10000 }, 10500, 0, false, { 9, 0, 0, 10000 } },
	{ "never below workers", { CFG(4, 32, 1, 2), 4, 0, 0, true },
	  { 4, 0, 0, 0 }, 10000, 0, false, { 4, 0, 0, 0 } },
	{ "no idle worker to tell: keep", { CFG(4, 32, 1, 4), 6, 0, 0, false },
	  { 10, 0, 0, 0 }, 10000, 0, false, { 10, 0, 0, 0 } },
	{ "enough idle again: the doubling starts over", { CFG(4, 32, 1, 4), 2, 0, 0, false },
	  { 10, 4, 9000, 0 }, 10000, 0, false, { 10, 0, 9000, 0 } },
	{ "the shipped default (min_spare 0): grows only for a queue", { CFG(4, 32, 0, 0), 0, 0, 0, false },
	  { 4, 0, 0, 0 }, 10000, 0, false, { 4, 0, 0, 0 } },
	{ "the shipped default, 3 waiting", { CFG(4, 32, 0, 0), 0, 0, 3, false },
	  { 4, 0, 0, 0 }, 10000, 3, false, { 7, 1, 10000, 0 } },
	{ "the shipped default, queue gone: back to workers", { CFG(4, 32, 0, 0), 3, 0, 0, true },
	  { 7, 0, 10000, 0 }, 12000, 0, true, { 6, 0, 10000, 12000 } },
};

static void
pool_decide_table_test(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pool_cases) / sizeof(pool_cases[0]); i++) {
		const struct pool_case *c = &pool_cases[i];
		struct pool_state st = c->before;
		struct pool_decision d = pool_decide(&c->v, &st, c->now);

		if (d.grow != c->grow || d.retire_one != c->retire || st.target != c->after.target ||
		    st.short_secs != c->after.short_secs || st.last_grow_ms != c->after.last_grow_ms ||
		    st.last_retire_ms != c->after.last_retire_ms)
			fail_msg("case %zu (%s): grow %d retire %d -> target %d short %d grew %lld retired %lld",
			    i, c->what, d.grow, d.retire_one, st.target, st.short_secs,
			    (long long)st.last_grow_ms, (long long)st.last_retire_ms);
	}
}

/* Start failures, one every 100 ms from t = 100 s: the delays each one imposes. */
static void
pool_backoff_table_test(void **state)
{
	static const int64_t want[] = { 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };
	struct backoff b = { 0, 0, 0 };
	int64_t t = 100000;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++, t += 100) {
		int64_t d = backoff_start_failure(&b, t);
		if (d != want[i])
			fail_msg("failure %zu: delay %lld, want %lld", i + 1, (long long)d, (long long)want[i]);
		assert_int_equal(backoff_active(&b), i + 1 >= POOL_FAILURES_BEFORE_BACKOFF);
		if (d > 0)
			assert_true(b.next_start_ms == t + d);
	}
	/* a minute without a failure: forgiven, the next one is the first again */
	t += POOL_STABLE_RESET_MS;
	assert_int_equal(backoff_start_failure(&b, t), 0);
	assert_int_equal(b.fails, 1);
	assert_false(backoff_active(&b));
}

/* Binds that fail, however far apart: 1 s from the first, doubling to 60 s, and never given up. */
static void
pool_bind_backoff_table_test(void **state)
{
	static const int64_t want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000 };
	struct backoff b = { 0, 0, 0 };
	int64_t t = 100000;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int64_t d = backoff_bind_failure(&b, t);
		if (d != want[i])
			fail_msg("bind failure %zu: delay %lld, want %lld", i + 1, (long long)d, (long long)want[i]);
		assert_true(b.next_start_ms == t + d);
		t += d + POOL_STABLE_RESET_MS;	/* a bind failure is not forgiven by time */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_decide_table_test),
		cmocka_unit_test(pool_backoff_table_test),
		cmocka_unit_test(pool_bind_backoff_table_test),
	};

	return cmocka_run_group_tests_name("pool_policy", tests, NULL, NULL);
}
