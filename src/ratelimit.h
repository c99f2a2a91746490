/* Token buckets shared by all workers: UDP replies and TCP connections per source, TCP connections per service. */
#ifndef NETSRVD_RATELIMIT_H
#define NETSRVD_RATELIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit {
	_Atomic uint64_t *buckets;	/* MAP_SHARED|MAP_ANONYMOUS, made before any fork */
	size_t n;			/* per source, hashed */
	size_t nservices;		/* per service, after them: one each, by the stats table's index */
};

/*
 * n buckets per source, nservices per service. The master makes it once,
 * before the first fork, and keeps it for its life: a reload neither
 * refills a bucket nor empties it (a service is its stats entry, kept by
 * name across generations), so reloading in a loop gives a flood no new
 * burst, and a draining generation's workers spend from the same budget
 * as the new one's.
 */
struct ratelimit *ratelimit_create(size_t n, size_t nservices);
void ratelimit_destroy(struct ratelimit *rl);
/*
 * Takes one reply from the bucket of (service, source): an IPv4 source by
 * its address, an IPv6 one by its /64. rate replies a second, up to burst
 * saved. Lock-free (one compare-and-swap); two sources that hash to the
 * same bucket share it, which errs on the side of dropping.
 */
bool ratelimit_allow(struct ratelimit *rl, uint32_t service, const unsigned char addr[16],
    unsigned rate, unsigned burst, int64_t now_ms);
/* Takes one from service index's own bucket; an index out of the table is refused. */
bool ratelimit_allow_service(struct ratelimit *rl, size_t index, unsigned rate, unsigned burst,
    int64_t now_ms);

#endif
