/* Counters that outlive workers: per service and for the daemon, in shared memory, for the status handler and /metrics. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "stats.h"

const int64_t stats_bucket_ms[STATS_NBUCKETS - 1] = { 1, 10, 100, 1000, 10000, 60000, 600000 };
const int64_t stats_tls_bucket_us[STATS_TLS_NBUCKETS - 1] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000
};
const char *const stats_tls_versions[STATS_TLS_NVERSIONS] = { "TLSv1.2", "TLSv1.3", "other" };

/* svc[] starts on the next 64-byte line after the global counters */
#define SVC_OFFSET ((sizeof(struct stats_global) + 63) & ~(size_t)63)
/* cg[] after state[], on the next 64-byte line */
#define CG_OFFSET(n) ((SVC_OFFSET + (n) * sizeof(struct svc_stats) + (n) * sizeof(_Atomic int) + 63) & ~(size_t)63)

/* FNV-1a of the name: lines of old and new generations of a service compare equal. */
uint32_t
stats_service_id(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

struct stats *
stats_create(size_t n)
{
	struct stats *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->names = calloc(n, sizeof(*st->names));
	if (st->names == NULL) {
		free(st);
		return NULL;
	}
	st->n = n;
	if (shm_create(&st->shm, "netsrvd-statistics", CG_OFFSET(n) + n * sizeof(struct stats_cgroup)) == -1) {
		free(st->names);
		free(st);
		return NULL;
	}
	shm_close_fd(&st->shm);	/* no worker gets a page of it to write */
	st->g = st->shm.base;
	st->svc = (struct svc_stats *)(void *)((char *)st->shm.base + SVC_OFFSET);
	st->state = (_Atomic int *)(void *)(st->svc + n);
	st->cg = (struct stats_cgroup *)(void *)((char *)st->shm.base + CG_OFFSET(n));
	st->g->started = time(NULL);
	return st;
}

void
stats_destroy(struct stats *st)
{
	if (st == NULL)
		return;
	shm_destroy(&st->shm);
	free(st->names);
	free(st);
}

int
stats_confine(struct stats *st)
{
	return shm_confine(&st->shm, 0, 0);
}

/* Entries are never given back: counters of a service removed and re-added go on. */
struct svc_stats *
stats_service(struct stats *st, const char *name, const char *protocol)
{
	uint32_t id = stats_service_id(name);

	for (size_t i = 0; i < st->used; i++)
		if (st->names[i].id == id && strcmp(st->names[i].name, name) == 0) {
			/* re-added with the other protocol: /metrics shows the series of the one it has now */
			snprintf(st->names[i].protocol, sizeof(st->names[0].protocol), "%s", protocol);
			return &st->svc[i];
		}
	if (st->used == st->n)
		return NULL;
	snprintf(st->names[st->used].name, sizeof(st->names[0].name), "%s", name);
	snprintf(st->names[st->used].protocol, sizeof(st->names[0].protocol), "%s", protocol);
	st->names[st->used].id = id;
	return &st->svc[st->used++];
}

void
stats_set_state(struct stats *st, const struct svc_stats *s, const char *where, enum svc_state state)
{
	size_t i = (size_t)(s - st->svc);

	if (i >= st->used)
		return;
	snprintf(st->names[i].where, sizeof(st->names[i].where), "%s", where);
	atomic_store_explicit(&st->state[i], (int)state, memory_order_release);
}

struct stats_cgroup *
stats_cgroup(struct stats *st, const char *name)
{
	uint32_t id = stats_service_id(name);

	for (size_t i = 0; i < st->used; i++)
		if (st->names[i].id == id && strcmp(st->names[i].name, name) == 0)
			return &st->cg[i];
	return NULL;
}

void
stats_mark_tls(struct stats *st, const struct svc_stats *s, bool on)
{
	size_t i = (size_t)(s - st->svc);

	if (i < st->used)
		st->names[i].tls = on;
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

void
stats_tls_handshake(struct svc_stats *s, enum stats_tls_result r, const char *version, bool resumed,
    int64_t us)
{
	size_t b = 0, v = 0;

	if (r == STATS_TLS_OK) {
		while (v < STATS_TLS_NVERSIONS - 1 && strcmp(version, stats_tls_versions[v]) != 0)
			v++;
		atomic_fetch_add_explicit(&s->tls_ok[v], 1, memory_order_relaxed);
		if (resumed)
			atomic_fetch_add_explicit(&s->tls_resumed, 1, memory_order_relaxed);
	} else
		atomic_fetch_add_explicit(r == STATS_TLS_FAILED ? &s->tls_failed : &s->tls_timeout, 1,
		    memory_order_relaxed);
	while (b < STATS_TLS_NBUCKETS - 1 && us > stats_tls_bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&s->tls_duration_bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->tls_duration_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->tls_duration_sum_us, (uint64_t)(us < 0 ? 0 : us), memory_order_relaxed);
}

void
stats_add(struct svc_stats *dst, const struct svc_stats *src)
{
	const _Atomic uint64_t *from = (const _Atomic uint64_t *)(const void *)src;
	_Atomic uint64_t *to = (_Atomic uint64_t *)(void *)dst;

	/* every member is an _Atomic uint64_t (checked below) */
	for (size_t i = 0; i < sizeof(*src) / sizeof(*from); i++)
		atomic_store_explicit(&to[i], atomic_load_explicit(&to[i], memory_order_relaxed) +
		    atomic_load_explicit(&from[i], memory_order_relaxed), memory_order_relaxed);
}

_Static_assert(sizeof(struct svc_stats) % sizeof(_Atomic uint64_t) == 0,
    "struct svc_stats holds nothing but 64-bit counters");

void
stats_count_reload(struct stats *st, bool ok)
{
	atomic_fetch_add_explicit(ok ? &st->g->reloads_ok : &st->g->reloads_failed, 1,
	    memory_order_relaxed);
}

void
stats_fold_begin(struct stats *st)
{
	atomic_fetch_add_explicit(&st->g->fold_seq, 1, memory_order_acq_rel);
}

void
stats_fold_end(struct stats *st)
{
	atomic_fetch_add_explicit(&st->g->fold_seq, 1, memory_order_acq_rel);
}

unsigned
stats_read_begin(const struct stats *st)
{
	return atomic_load_explicit(&st->g->fold_seq, memory_order_acquire);
}

/* odd: a fold was under way when the sum began */
bool
stats_read_again(const struct stats *st, unsigned before)
{
	return (before & 1) || atomic_load_explicit(&st->g->fold_seq, memory_order_acquire) != before;
}
