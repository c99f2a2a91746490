/* Counters that outlive workers: per service and for the daemon, in shared memory, for the status handler and /metrics. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "log.h"
#include "scoreboard.h"
#include "stats.h"

const int64_t stats_bucket_ms[STATS_NBUCKETS - 1] = { 1, 10, 100, 1000, 10000, 60000, 600000 };

static size_t
stats_size(size_t n)
{
	return sizeof(struct stats) + n * sizeof(struct svc_stats);
}

struct stats *
stats_create(size_t n)
{
	struct stats *st = mmap(NULL, stats_size(n), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (st == MAP_FAILED) {
		log_error("statistics: mmap");
		return NULL;
	}
	st->n = n;
	st->started = time(NULL);
	return st;
}

void
stats_destroy(struct stats *st)
{
	if (st != NULL && munmap(st, stats_size(st->n)) == -1)
		log_error("statistics: munmap");
}

/* Entries are never given back: counters of a service removed and re-added go on. */
struct svc_stats *
stats_service(struct stats *st, const char *name, const char *protocol)
{
	uint32_t id = scoreboard_service_id(name);

	if (id == 0)
		id = 1;
	for (size_t i = 0; i < st->n; i++) {
		struct svc_stats *s = &st->svc[i];
		if (s->id == id && strcmp(s->name, name) == 0)
			return s;
		if (s->id == 0) {
			snprintf(s->name, sizeof(s->name), "%s", name);
			snprintf(s->protocol, sizeof(s->protocol), "%s", protocol);
			s->id = id;
			return s;
		}
	}
	return NULL;
}

void
stats_connection_done(struct svc_stats *s, uint64_t in, uint64_t out, int64_t ms)
{
	size_t b = 0;

	atomic_fetch_add_explicit(&s->connections, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->bytes_in, in, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->bytes_out, out, memory_order_relaxed);
	while (b < STATS_NBUCKETS - 1 && ms > stats_bucket_ms[b])
		b++;
	atomic_fetch_add_explicit(&s->duration_bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->duration_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->duration_sum_ms, (uint64_t)(ms < 0 ? 0 : ms), memory_order_relaxed);
}
