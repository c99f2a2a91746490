/* Counters that outlive workers: per service and for the daemon, in memory the master writes and workers read, for the status handler and /metrics. */
#ifndef NETSRVD_STATS_H
#define NETSRVD_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "shm.h"

/* connection durations, upper bounds in ms; the last bucket is +Inf */
#define STATS_NBUCKETS 8
extern const int64_t stats_bucket_ms[STATS_NBUCKETS - 1];
/* TLS handshake durations, upper bounds in us; the last bucket is +Inf */
#define STATS_TLS_NBUCKETS 11
extern const int64_t stats_tls_bucket_us[STATS_TLS_NBUCKETS - 1];
/* the versions a handshake that worked is counted by: TLSv1.2, TLSv1.3, any other */
#define STATS_TLS_NVERSIONS 3
extern const char *const stats_tls_versions[STATS_TLS_NVERSIONS];

/*
 * One service's counters: its totals in the table (the master's to write,
 * folded from its workers as they go), or one worker's own in its
 * scoreboard line. The name is not here (below).
 */
struct svc_stats {
	_Atomic uint64_t connections, bytes_in, bytes_out;
	_Atomic uint64_t refused_acl, refused_per_source, refused_proxy, refused_rate,
	    refused_wrappers, refused_load;
	_Atomic uint64_t datagrams, dropped_reflection, dropped_acl, dropped_rate;
	_Atomic uint64_t worker_starts, worker_crashes;
	_Atomic uint64_t duration_count, duration_sum_ms;
	_Atomic uint64_t duration_bucket[STATS_NBUCKETS];
	/* exec: how its programs ended */
	_Atomic uint64_t exec_exit_ok, exec_exit_error, exec_signaled, exec_timed_out, exec_start_failed;
	/* TLS: handshakes by how they ended (and the version of those that worked), their durations */
	_Atomic uint64_t refused_tls;
	_Atomic uint64_t tls_ok[STATS_TLS_NVERSIONS], tls_failed, tls_timeout, tls_resumed;
	_Atomic uint64_t tls_duration_bucket[STATS_TLS_NBUCKETS], tls_duration_count, tls_duration_sum_us;
};

/* The daemon's own counters, in the shared mapping before the services'. */
struct stats_global {
	_Atomic uint64_t reloads_ok, reloads_failed;
	int64_t started;		/* unix time */
	/* odd while the master folds a worker's counters into svc[] (a seqlock) */
	_Atomic unsigned fold_seq;
};

/*
 * The table's handle. It lives in each process's private memory (a worker
 * has its copy from the fork): sizes and pointers are never read from the
 * shared mapping, which any worker can write.
 */
struct stats_name {
	uint32_t id;			/* stats_service_id(name) */
	char name[NETSRVD_NAME_MAX + 1];
	char protocol[4];
	char where[64];			/* its address and port in the running configuration */
	bool tls;			/* it serves TLS: /metrics shows its handshakes */
};

/*
 * A service's cgroup (cgroup = { }), as the master samples it each second
 * (cgroup.c): the status worker reads these, no file. on is 0 for a
 * service without one, and the rest is then unused.
 */
struct stats_cgroup {
	_Atomic int on;
	_Atomic int have_memory;	/* the memory controller is there: memory_* are the kernel's */
	_Atomic uint64_t cpu_usec;	/* cpu.stat usage_usec */
	_Atomic uint64_t memory_bytes, memory_peak_bytes;	/* memory.current, memory.peak */
};

/* A service of the running configuration: listening, or waiting to bind (-s, netsrvd_service_up). */
enum svc_state { SVC_UNCONFIGURED, SVC_DOWN, SVC_UP };

struct stats {
	size_t n;			/* entries in svc[] and names[] */
	size_t used;			/* entries claimed, in order */
	struct stats_name *names;	/* private: whom svc[i] counts for */
	struct shm shm;
	struct stats_global *g;		/* shared: the master writes, workers read */
	struct svc_stats *svc;		/* shared, right after *g */
	_Atomic int *state;		/* shared, after svc[]: an enum svc_state each */
	struct stats_cgroup *cg;	/* shared, after state[]: one each */
};

/* A service's number, from its name: the same in every generation, so lines and totals match. */
uint32_t stats_service_id(const char *name);
struct stats *stats_create(size_t nservices);
void stats_destroy(struct stats *st);
/* The entry of a service by name, claimed on first use (master only); NULL if full. */
struct svc_stats *stats_service(struct stats *st, const char *name, const char *protocol);
void stats_connection_done(struct svc_stats *s, uint64_t in, uint64_t out, int64_t ms);
/* One handshake: ok (version as OpenSSL names it, resumed or not), failed, or timed out; its duration. */
enum stats_tls_result { STATS_TLS_OK, STATS_TLS_FAILED, STATS_TLS_TIMEOUT };
void stats_tls_handshake(struct svc_stats *s, enum stats_tls_result r, const char *version, bool resumed,
    int64_t us);
/* dst += src, counter by counter */
void stats_add(struct svc_stats *dst, const struct svc_stats *src);
/*
 * The master says whether the service of entry s is up, down or gone, and
 * where it listens; a worker forked later sees the address, every worker
 * the state at once.
 */
void stats_set_state(struct stats *st, const struct svc_stats *s, const char *where,
    enum svc_state state);
/* The cgroup sample of a service by name (an entry already claimed), or NULL. */
struct stats_cgroup *stats_cgroup(struct stats *st, const char *name);
/* The master says whether the service of entry s serves TLS (for workers forked from now on). */
void stats_mark_tls(struct stats *st, const struct svc_stats *s, bool on);
/* The master counts a reload that applied (ok) or failed. */
void stats_count_reload(struct stats *st, bool ok);
/* In a worker: the table becomes read-only for good. */
int stats_confine(struct stats *st);

/*
 * The fold seqlock. The master, writer: a reaped worker's line joins
 * its service's totals and is freed between stats_fold_begin and
 * stats_fold_end. A reader summing totals and live lines (status) takes
 * stats_read_begin first and sums again while stats_read_again says the
 * fold moved under it, so nothing counts twice.
 */
void stats_fold_begin(struct stats *st);
void stats_fold_end(struct stats *st);
unsigned stats_read_begin(const struct stats *st);
bool stats_read_again(const struct stats *st, unsigned before);

#endif
