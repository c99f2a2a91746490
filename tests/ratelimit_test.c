/* Unit tests of the shared token buckets: UDP replies per source, TCP connections per service. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"

/* a table large enough that the few sources here never share a bucket */
#define BUCKETS	4096
#define SVC	1u
#define SERVICES	4
/* long after time 0, so a never-used (zeroed) bucket reads as full */
#define T0	((int64_t)1000000)

/* An address as the workers key it: IPv6, or IPv4 v4-mapped. */
static void
key(const char *text, unsigned char k[16])
{
	memset(k, 0, 16);
	if (strchr(text, ':') != NULL) {
		assert_int_equal(inet_pton(AF_INET6, text, k), 1);
		return;
	}
	k[10] = k[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, text, k + 12), 1);
}

static int
setup(void **state)
{
	*state = ratelimit_create(BUCKETS, SERVICES);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	ratelimit_destroy(*state);
	return 0;
}

/* How many replies in a row the source gets at now_ms, up to max. */
static unsigned
drain(struct ratelimit *rl, uint32_t svc, const char *src, unsigned rate, unsigned burst,
    int64_t now_ms, unsigned max)
{
	unsigned char k[16];
	unsigned n = 0;

	key(src, k);
	while (n < max && ratelimit_allow(rl, svc, k, rate, burst, now_ms))
		n++;
	return n;
}

static void
ratelimit_burst_test(void **state)
{
	struct ratelimit *rl = *state;

	/* a fresh source gets exactly its burst at once, then nothing */
	assert_int_equal(drain(rl, SVC, "192.0.2.1", 10, 5, T0, 100), 5);
	assert_int_equal(drain(rl, SVC, "192.0.2.1", 10, 5, T0, 100), 0);
}

static void
ratelimit_refill_test(void **state)
{
	struct ratelimit *rl = *state;

	assert_int_equal(drain(rl, SVC, "192.0.2.2", 10, 5, T0, 100), 5);
	/* 10 a second: one token every 100 ms, none before */
	assert_int_equal(drain(rl, SVC, "192.0.2.2", 10, 5, T0 + 99, 100), 0);
	/* the 99 ms already counted are kept: one more ms makes the token */
	assert_int_equal(drain(rl, SVC, "192.0.2.2", 10, 5, T0 + 100, 100), 1);
	assert_int_equal(drain(rl, SVC, "192.0.2.2", 10, 5, T0 + 350, 100), 2);
	/* a long pause refills up to the burst, no more */
	assert_int_equal(drain(rl, SVC, "192.0.2.2", 10, 5, T0 + 60000, 100), 5);
}

static void
ratelimit_sources_independent_test(void **state)
{
	struct ratelimit *rl = *state;

	assert_int_equal(drain(rl, SVC, "192.0.2.3", 10, 3, T0, 100), 3);
	/* another source, and the same source of another service, start full */
	assert_int_equal(drain(rl, SVC, "192.0.2.4", 10, 3, T0, 100), 3);
	assert_int_equal(drain(rl, SVC + 1, "192.0.2.3", 10, 3, T0, 100), 3);
	/* an IPv4 source is its whole address: the neighbour in its /24 too */
	assert_int_equal(drain(rl, SVC, "192.0.2.5", 10, 3, T0, 100), 3);
}

static void
ratelimit_ipv6_prefix_test(void **state)
{
	struct ratelimit *rl = *state;

	assert_int_equal(drain(rl, SVC, "2001:db8:1:2::1", 10, 4, T0, 100), 4);
	/* every address of the same /64 is the same source */
	assert_int_equal(drain(rl, SVC, "2001:db8:1:2:ffff:ffff:ffff:ffff", 10, 4, T0, 100), 0);
	assert_int_equal(drain(rl, SVC, "2001:db8:1:2::2", 10, 4, T0, 100), 0);
	/* the next /64 is another */
	assert_int_equal(drain(rl, SVC, "2001:db8:1:3::1", 10, 4, T0, 100), 4);
}

/*
 * Two workers share a bucket; one read the clock a few ms before the
 * other's update landed. Its "now" is behind the bucket's time: that is
 * no time passed, not a wrapped 49 days that fills the bucket.
 */
static void
ratelimit_clock_behind_test(void **state)
{
	struct ratelimit *rl = *state;

	assert_int_equal(drain(rl, SVC, "192.0.2.8", 10, 5, T0 + 5, 100), 5);
	assert_int_equal(drain(rl, SVC, "192.0.2.8", 10, 5, T0, 100), 0);
	/* the later time was kept: 100 ms after it, one token */
	assert_int_equal(drain(rl, SVC, "192.0.2.8", 10, 5, T0 + 104, 100), 0);
	assert_int_equal(drain(rl, SVC, "192.0.2.8", 10, 5, T0 + 105, 100), 1);
	/* far behind is not a race but the clock wrapping (49 days idle): full */
	assert_int_equal(drain(rl, SVC, "192.0.2.8", 10, 5, T0 - 5000, 100), 5);
}

/*
 * udp_rate = 0 means unlimited, and the callers (worker_udp.c) never ask
 * the table then: a bucket at rate 0 never refills, so asking would
 * refuse every reply.
 */
static void
ratelimit_rate_zero_test(void **state)
{
	struct ratelimit *rl = *state;

	assert_int_equal(drain(rl, SVC, "192.0.2.6", 0, 0, T0, 100), 0);
	assert_int_equal(drain(rl, SVC, "192.0.2.6", 0, 0, T0 + 3600000, 100), 0);
	/* not even a burst: at rate 0 nothing ever fills the bucket */
	assert_int_equal(drain(rl, SVC, "192.0.2.7", 0, 2, T0, 100), 0);
}

/* How many connections in a row service index gets at now_ms, up to max. */
static unsigned
drain_service(struct ratelimit *rl, size_t index, unsigned rate, int64_t now_ms, unsigned max)
{
	unsigned n = 0;

	while (n < max && ratelimit_allow_service(rl, index, rate, rate, now_ms))
		n++;
	return n;
}

/* connection_rate: a burst of the rate, then one token per 1/rate s, never above the burst. */
static void
ratelimit_service_refill_test(void **state)
{
	struct ratelimit *rl = *state;

	assert_int_equal(drain_service(rl, 0, 20, T0, 100), 20);
	assert_int_equal(drain_service(rl, 0, 20, T0, 100), 0);
	/* 20 a second: one every 50 ms */
	assert_int_equal(drain_service(rl, 0, 20, T0 + 49, 100), 0);
	assert_int_equal(drain_service(rl, 0, 20, T0 + 50, 100), 1);
	assert_int_equal(drain_service(rl, 0, 20, T0 + 550, 100), 10);
	/* an hour idle is a full bucket, not 72000 connections */
	assert_int_equal(drain_service(rl, 0, 20, T0 + 3600000, 100), 20);
}

/* A clock that does not move gives nothing back, however often it is asked. */
static void
ratelimit_service_clock_still_test(void **state)
{
	struct ratelimit *rl = *state;

	assert_int_equal(drain_service(rl, 1, 3, T0, 100), 3);
	for (int i = 0; i < 1000; i++)
		assert_false(ratelimit_allow_service(rl, 1, 3, 3, T0));
	/* nor one a moment behind (another worker's read): no wrap to a full bucket */
	assert_int_equal(drain_service(rl, 1, 3, T0 - 3, 100), 0);
	assert_int_equal(drain_service(rl, 1, 3, T0 + 334, 100), 1);
}

/* Each service has its own bucket, apart from the per-source ones; an index past the table is refused. */
static void
ratelimit_service_separate_test(void **state)
{
	struct ratelimit *rl = *state;

	assert_int_equal(drain_service(rl, 2, 5, T0, 100), 5);
	assert_int_equal(drain_service(rl, 3, 5, T0, 100), 5);
	assert_int_equal(drain(rl, SVC, "192.0.2.9", 5, 5, T0, 100), 5);
	assert_false(ratelimit_allow_service(rl, SERVICES, 5, 5, T0));
	assert_false(ratelimit_allow_service(rl, (size_t)-1, 5, 5, T0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ratelimit_burst_test, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_refill_test, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_sources_independent_test, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_ipv6_prefix_test, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_rate_zero_test, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_clock_behind_test, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_service_refill_test, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_service_clock_still_test, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_service_separate_test, setup, teardown),
	};

	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
