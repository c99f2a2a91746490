/* Per-source token buckets for UDP replies, shared by all workers: what keeps a UDP service from being an amplifier. */
#ifndef NETSRVD_RATELIMIT_H
#define NETSRVD_RATELIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit {
	_Atomic uint64_t *buckets;	/* MAP_SHARED|MAP_ANONYMOUS, made before any fork */
	size_t n;
};

struct ratelimit *ratelimit_create(size_t n);
void ratelimit_destroy(struct ratelimit *rl);
/*
 * Takes one reply from the bucket of (service, source): an IPv4 source by
 * its address, an IPv6 one by its /64. rate replies a second, up to burst
 * saved. Lock-free (one compare-and-swap); two sources that hash to the
 * same bucket share it, which errs on the side of dropping.
 */
bool ratelimit_allow(struct ratelimit *rl, uint32_t service, const unsigned char addr[16],
    unsigned rate, unsigned burst, int64_t now_ms);

#endif
