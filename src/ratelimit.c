/* Token buckets shared by all workers: UDP replies and TCP connections per source, TCP connections per service. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "ratelimit.h"

struct ratelimit *
ratelimit_create(size_t n, size_t nservices)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	void *p;

	if (rl == NULL)
		return NULL;
	p = mmap(NULL, (n + nservices) * sizeof(uint64_t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_error("rate limit table: mmap");
		free(rl);
		return NULL;
	}
	rl->buckets = p;
	rl->n = n;
	rl->nservices = nservices;
	return rl;
}

void
ratelimit_destroy(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	if (munmap((void *)rl->buckets, (rl->n + rl->nservices) * sizeof(uint64_t)) == -1)
		log_error("rate limit table: munmap");
	free(rl);
}

static size_t
bucket_of(const struct ratelimit *rl, uint32_t service, const unsigned char addr[16])
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	size_t keylen = memcmp(addr, v4mapped, 12) == 0 ? 16 : 8;	/* IPv6: its /64 */
	uint64_t h = 1469598103934665603ULL ^ service;

	for (size_t i = 0; i < keylen; i++)
		h = (h ^ addr[i]) * 1099511628211ULL;
	return (size_t)(h % rl->n);
}

/*
 * A bucket is one 64-bit word: milli-tokens above, the last refill time
 * (ms, mod 2^32) below. A zeroed bucket reads as long idle, hence full.
 *
 * Each worker reads the clock before it takes the bucket, so one that
 * read it just before another worker's update finds the bucket's time a
 * few ms ahead of its own. That is no time at all: taken as an unsigned
 * difference it was 49 days of refill, a full bucket, and a source that
 * kept two workers busy got through at well over its rate (605 replies in
 * a second at 200 a second). A bucket time up to BEHIND_MS ahead is kept.
 */
#define BEHIND_MS 1000u

static uint32_t
ms_since(uint64_t bucket, uint32_t now, uint32_t *stamp)
{
	uint32_t last = (uint32_t)bucket;

	*stamp = now;
	if (bucket != 0 && last != now && last - now <= BEHIND_MS) {
		*stamp = last;
		return 0;
	}
	return now - last;
}

/* One token from bucket b, if it has one: a compare-and-swap loop, lock-free. */
static bool
take(_Atomic uint64_t *b, unsigned rate, unsigned burst, int64_t now_ms)
{
	uint64_t old = atomic_load_explicit(b, memory_order_relaxed), next;
	uint32_t now = (uint32_t)now_ms;
	uint64_t cap = (uint64_t)burst * 1000;
	bool allowed;

	do {
		uint64_t tokens = old >> 32;
		uint32_t stamp, elapsed = ms_since(old, now, &stamp);

		tokens += (uint64_t)elapsed * rate;	/* rate a second = rate milli-tokens a ms */
		if (tokens > cap)
			tokens = cap;
		allowed = tokens >= 1000;
		if (allowed)
			tokens -= 1000;
		next = tokens << 32 | stamp;
	} while (!atomic_compare_exchange_weak_explicit(b, &old, next,
	    memory_order_relaxed, memory_order_relaxed));
	return allowed;
}

bool
ratelimit_allow(struct ratelimit *rl, uint32_t service, const unsigned char addr[16],
    unsigned rate, unsigned burst, int64_t now_ms)
{
	return take(&rl->buckets[bucket_of(rl, service, addr)], rate, burst, now_ms);
}

bool
ratelimit_allow_service(struct ratelimit *rl, size_t index, unsigned rate, unsigned burst,
    int64_t now_ms)
{
	if (index >= rl->nservices)
		return false;
	return take(&rl->buckets[rl->n + index], rate, burst, now_ms);
}
