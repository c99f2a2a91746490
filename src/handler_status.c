/* status: the scoreboard as plain text, or Prometheus metrics to an HTTP GET /metrics. */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "handler.h"
#include "io.h"
#include "log.h"
#include "control.h"
#include "scoreboard.h"
#include "stats.h"
#include "util.h"

/*
 * The handler's state, made by its init: what every request reads, for
 * the life of the worker process (env points into memory the worker
 * keeps mapped).
 */
struct status {
	const struct scoreboard *const *boards;	/* every live worker's line is on one */
	size_t nboards;
	const struct stats *stats;
	const struct control *control;	/* the master's words: the generation number */
	struct svc_stats *totals;	/* per service: folded by the master plus its live workers' own */
};

static int
status_init(const struct service_config *svc, const struct handler_env *env, void **state)
{
	struct status *st = calloc(1, sizeof(*st));

	if (st != NULL && env->stats != NULL)
		st->totals = calloc(env->stats->n, sizeof(*st->totals));
	if (st == NULL || st->totals == NULL) {
		log_errorx("service %s: out of memory", svc->name);
		free(st);
		return -1;
	}
	st->boards = env->boards;
	st->nboards = env->nboards;
	st->stats = env->stats;
	st->control = env->control;
	*state = st;
	return 0;
}

/* fn on each line a worker holds, board by board; lines never taken are not touched. */
static void
each_live_line(const struct status *st, void (*fn)(const struct sb_slot *line, void *arg), void *arg)
{
	for (size_t b = 0; b < st->nboards; b++)
		scoreboard_each_live(st->boards[b], fn, arg);
}

static ssize_t
service_index(const struct stats *stats, uint32_t id)
{
	for (size_t i = 0; i < stats->used; i++)
		if (stats->names[i].id == id)
			return (ssize_t)i;
	return -1;
}

/* A live worker's own counters, into its service's total. */
static void
add_line_counters(const struct sb_slot *l, void *arg)
{
	const struct status *st = arg;
	int state = atomic_load_explicit(&l->state, memory_order_acquire);
	ssize_t i = state >= SB_STARTING && state <= SB_STOPPING ? service_index(st->stats, l->service) : -1;

	if (i >= 0)
		stats_add(&st->totals[i], &l->counters);
}

/*
 * A service's counters: what the master folded in from the workers it
 * reaped plus what its live workers hold in their lines. The master folds
 * and frees a line inside the fold seqlock (stats.c); a sum that saw it
 * move is taken again (a few times at most: a dead master must not hang us).
 */
static void
sum_totals(struct status *st)
{
	const struct stats *stats = st->stats;
	struct svc_stats *totals = st->totals;
	unsigned before;
	int tries = 0;

	do {
		before = stats_read_begin(stats);
		memset(totals, 0, stats->n * sizeof(*totals));
		for (size_t i = 0; i < stats->used; i++)
			stats_add(&totals[i], &stats->svc[i]);
		each_live_line(st, add_line_counters, st);
	} while (stats_read_again(stats, before) && ++tries < 100);
}

/*
 * An appending printf into a buffer. With a session, a full buffer is sent
 * and emptied, so the output has no size limit (a /metrics of 200 services
 * is some 300 KB); without one, a line that does not fit is left out,
 * whole. Either way no line is ever cut.
 */
struct out {
	struct status *st;
	char *buf;
	size_t len, used;
	struct tcp_session *s;		/* NULL: keep what fits */
	const char *http_type;		/* an HTTP header still to send, for this type */
	enum session_end end;		/* END_DONE until a send fails */
	bool full;			/* a line was left out */
};

/*
 * Sends what is buffered, after the HTTP header if it is still due. The
 * header has a Content-Length only when the whole body is here (last);
 * else the body ends when the connection closes, as HTTP/1.0 allows.
 */
static void
flush(struct out *o, bool last)
{
	if (o->s == NULL || o->end != END_DONE)
		return;
	if (o->http_type != NULL) {
		char hdr[256], clen[48] = "";
		int n;

		if (last)
			snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", o->used);
		n = snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\nContent-Type: %s\r\n%s"
		    "Connection: close\r\n\r\n", o->http_type, clen);
		o->http_type = NULL;
		o->end = io_write_all(o->s, hdr, n > 0 ? (size_t)n : 0);
	}
	if (o->end == END_DONE && o->used > 0)
		o->end = io_write_all(o->s, o->buf, o->used);
	o->used = 0;
}

static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->end != END_DONE || o->full)
		return;
	for (int tries = 0; tries < 2; tries++) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < o->len - o->used) {
			o->used += (size_t)n;
			return;
		}
		if (o->s == NULL || o->used == 0)
			break;
		flush(o, false);	/* then format it again into the empty buffer */
		if (o->end != END_DONE)
			return;
	}
	o->full = true;
}

/* The name of the service a scoreboard line says it serves (a number only compared). */
static const char *
service_name(const struct stats *stats, uint32_t id)
{
	for (size_t i = 0; stats != NULL && i < stats->used; i++)
		if (stats->names[i].id == id)
			return stats->names[i].name;
	return "?";
}

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

/* Entry i's state as the master published it; a service the running configuration lacks: unconfigured. */
static enum svc_state
service_state(const struct stats *stats, size_t i)
{
	int st = atomic_load_explicit(&stats->state[i], memory_order_acquire);

	return st == SVC_UP || st == SVC_DOWN ? (enum svc_state)st : SVC_UNCONFIGURED;
}

/* Each service of the running configuration: where it listens, and whether it does (up) or waits to bind (down). */
static void
service_table(struct out *o)
{
	const struct stats *stats = o->st->stats;

	put(o, "%-16s %-5s %-48s %s\r\n", "SERVICE", "PROTO", "ADDRESS", "STATE");
	for (size_t i = 0; i < stats->used; i++) {
		enum svc_state st = service_state(stats, i);

		if (st == SVC_UNCONFIGURED)
			continue;
		put(o, "%-16s %-5s %-48s %s\r\n", stats->names[i].name, stats->names[i].protocol,
		    stats->names[i].where, st == SVC_UP ? "up" : "down");
	}
}

struct worker_rows {
	struct out *o;
	int64_t now;
	size_t workers;
};

/* A worker's row of the plain-text table. */
static void
worker_row(const struct sb_slot *s, void *arg)
{
	struct worker_rows *r = arg;
	int st = atomic_load(&s->state);
	char peer[80] = "-", proxy[80] = "-", secs[24] = "-";

	if (st == SB_FREE)
		return;
	r->workers++;
	if (st == SB_BUSY) {
		scoreboard_format_peer(s, peer, sizeof(peer));
		if (atomic_load_explicit(&s->relayed, memory_order_acquire))
			util_format_peer_key(s->proxy, atomic_load(&s->proxy_port), proxy,
			    sizeof(proxy));
		snprintf(secs, sizeof(secs), "%lld",
		    (long long)((r->now - atomic_load(&s->conn_start_ms)) / 1000));
	}
	/* GEN: a worker below the header's generation belongs to one a reload replaced */
	put(r->o, "%-8ld %-16s %-9s %-40s %-22s %6s %8llu %5u\r\n", (long)s->pid,
	    service_name(r->o->st->stats, s->service), scoreboard_state_name((enum sb_state)st), peer, proxy,
	    secs, LOAD(s->counters.connections), s->generation);
}

static void
format_text(struct out *o)
{
	const struct stats *stats = o->st->stats;
	const struct svc_stats *totals = o->st->totals;
	struct worker_rows rows = { .o = o, .now = util_coarse_now_ms(), .workers = 0 };

	sum_totals(o->st);
	put(o, "netsrvd %s, up %lld s, generation %u\r\n", PACKAGE_VERSION,
	    (long long)(time(NULL) - stats->g->started),
	    o->st->control != NULL ? atomic_load(&o->st->control->generation) : 0);
	/* PROXY: the balancer a client came through (proxy_from); GEN stays the last column */
	put(o, "%-8s %-16s %-9s %-40s %-22s %6s %8s %5s\r\n", "PID", "SERVICE", "STATE", "PEER",
	    "PROXY", "SECS", "CONNS", "GEN");
	each_live_line(o->st, worker_row, &rows);
	put(o, "%zu workers\r\n", rows.workers);
	service_table(o);
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *v = &totals[i];
		const struct stats_name *nm = &stats->names[i];
		put(o, "service %s (%s): %llu connections, %llu bytes in, %llu bytes out, "
		    "%llu refused, %llu datagrams, %llu dropped, %llu worker starts, %llu crashes\r\n",
		    nm->name, nm->protocol, LOAD(v->connections), LOAD(v->bytes_in), LOAD(v->bytes_out),
		    LOAD(v->refused_acl) + LOAD(v->refused_per_source) + LOAD(v->refused_proxy) +
		    LOAD(v->refused_rate) + LOAD(v->refused_wrappers) + LOAD(v->refused_load) + LOAD(v->refused_tls),
		    LOAD(v->datagrams),
		    LOAD(v->dropped_reflection) + LOAD(v->dropped_acl) + LOAD(v->dropped_rate),
		    LOAD(v->worker_starts), LOAD(v->worker_crashes));
	}
	put(o, "reloads: %llu ok, %llu failed\r\n", LOAD(stats->g->reloads_ok), LOAD(stats->g->reloads_failed));
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * Whether a family applies to a service: connections, bytes, refusals and
 * durations are TCP's, datagrams and their drops UDP's (NULL: both).
 */
static bool
applies(const struct stats_name *nm, const char *protocol)
{
	return protocol == NULL || strcmp(nm->protocol, protocol) == 0;
}

/* One counter family, a sample per service of protocol: the field at offset off of struct svc_stats. */
static void
per_service(struct out *o, const char *name, const char *help, size_t off, const char *protocol)
{
	const struct stats *stats = o->st->stats;
	const struct svc_stats *totals = o->st->totals;

	family(o, name, "counter", help);
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *v = &totals[i];
		const struct stats_name *nm = &stats->names[i];
		const _Atomic uint64_t *f = (const _Atomic uint64_t *)(const void *)((const char *)v + off);
		if (applies(nm, protocol))
			put(o, "%s{service=\"%s\"} %llu\n", name, nm->name,
			    (unsigned long long)atomic_load_explicit(f, memory_order_relaxed));
	}
}

#define OFF(f) offsetof(struct svc_stats, f)

static void
service_up(struct out *o)
{
	const struct stats *stats = o->st->stats;

	family(o, "netsrvd_service_up", "gauge",
	    "Whether the service's socket is bound and served (1), or could not be bound yet (0).");
	for (size_t i = 0; i < stats->used; i++) {
		enum svc_state st = service_state(stats, i);

		if (st != SVC_UNCONFIGURED)
			put(o, "netsrvd_service_up{service=\"%s\"} %d\n", stats->names[i].name, st == SVC_UP);
	}
}

/* exec: how programs ended (zero for the built-in handlers' services) */
static void
program_exits(struct out *o)
{
	const struct stats *stats = o->st->stats;
	const struct svc_stats *totals = o->st->totals;

	family(o, "netsrvd_program_exits_total", "counter", "exec programs that ended, by result.");
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *v = &totals[i];
		const char *n = stats->names[i].name;
		put(o, "netsrvd_program_exits_total{service=\"%s\",result=\"ok\"} %llu\n", n, LOAD(v->exec_exit_ok));
		put(o, "netsrvd_program_exits_total{service=\"%s\",result=\"error\"} %llu\n", n, LOAD(v->exec_exit_error));
		put(o, "netsrvd_program_exits_total{service=\"%s\",result=\"signal\"} %llu\n", n, LOAD(v->exec_signaled));
		put(o, "netsrvd_program_exits_total{service=\"%s\",result=\"timeout\"} %llu\n", n, LOAD(v->exec_timed_out));
		put(o, "netsrvd_program_exits_total{service=\"%s\",result=\"not_started\"} %llu\n", n,
		    LOAD(v->exec_start_failed));
	}
}

/*
 * A service with a cgroup group: what the master last sampled from its
 * cgroup (stats_cgroup). No family at all when no service has one, so
 * the page of a daemon without cgroups is what it was.
 */
static void
cgroups(struct out *o)
{
	const struct stats *stats = o->st->stats;
	size_t on = 0, mem = 0;

	for (size_t i = 0; i < stats->used; i++) {
		on += atomic_load_explicit(&stats->cg[i].on, memory_order_acquire) != 0;
		mem += atomic_load_explicit(&stats->cg[i].have_memory, memory_order_relaxed) != 0;
	}
	if (on == 0)
		return;
	family(o, "netsrvd_service_cpu_seconds_total", "counter",
	    "CPU time of the service's cgroup (its workers and programs), cpu.stat usage_usec.");
	for (size_t i = 0; i < stats->used; i++) {
		const struct stats_cgroup *c = &stats->cg[i];
		uint64_t us = LOAD(c->cpu_usec);
		if (atomic_load(&c->on))
			put(o, "netsrvd_service_cpu_seconds_total{service=\"%s\"} %llu.%06llu\n", stats->names[i].name,
			    (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
	}
	if (mem == 0)
		return;
	family(o, "netsrvd_service_memory_bytes", "gauge", "Memory of the service's cgroup, memory.current.");
	for (size_t i = 0; i < stats->used; i++)
		if (atomic_load(&stats->cg[i].on) && atomic_load(&stats->cg[i].have_memory))
			put(o, "netsrvd_service_memory_bytes{service=\"%s\"} %llu\n", stats->names[i].name,
			    LOAD(stats->cg[i].memory_bytes));
	family(o, "netsrvd_service_memory_peak_bytes", "gauge", "Peak memory of the service's cgroup, memory.peak.");
	for (size_t i = 0; i < stats->used; i++)
		if (atomic_load(&stats->cg[i].on) && atomic_load(&stats->cg[i].have_memory))
			put(o, "netsrvd_service_memory_peak_bytes{service=\"%s\"} %llu\n", stats->names[i].name,
			    LOAD(stats->cg[i].memory_peak_bytes));
}

/* Workers of one service, by state: starting, idle, busy, stopping. */
struct state_count {
	uint32_t service;
	unsigned n[4];
};

static void
count_state(const struct sb_slot *l, void *arg)
{
	struct state_count *c = arg;
	int st = atomic_load(&l->state);

	/* a line is the worker's to write: a state out of range counts nowhere */
	if (st >= SB_STARTING && st <= SB_STOPPING && l->service == c->service)
		c->n[st - SB_STARTING]++;
}

/* TCP connections refused, by reason. */
static void
refusals(struct out *o)
{
	const struct stats *stats = o->st->stats;

	family(o, "netsrvd_refused_total", "counter", "TCP connections refused, by reason.");
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *v = &o->st->totals[i];
		const struct stats_name *nm = &stats->names[i];
		if (!applies(nm, "tcp"))
			continue;
		put(o, "netsrvd_refused_total{service=\"%s\",reason=\"acl\"} %llu\n", nm->name, LOAD(v->refused_acl));
		put(o, "netsrvd_refused_total{service=\"%s\",reason=\"per_source\"} %llu\n", nm->name,
		    LOAD(v->refused_per_source));
		put(o, "netsrvd_refused_total{service=\"%s\",reason=\"proxy\"} %llu\n", nm->name,
		    LOAD(v->refused_proxy));
		put(o, "netsrvd_refused_total{service=\"%s\",reason=\"rate\"} %llu\n", nm->name,
		    LOAD(v->refused_rate));
		put(o, "netsrvd_refused_total{service=\"%s\",reason=\"wrappers\"} %llu\n", nm->name,
		    LOAD(v->refused_wrappers));
		put(o, "netsrvd_refused_total{service=\"%s\",reason=\"load\"} %llu\n", nm->name,
		    LOAD(v->refused_load));
		put(o, "netsrvd_refused_total{service=\"%s\",reason=\"tls\"} %llu\n", nm->name,
		    LOAD(v->refused_tls));
	}
}

/* UDP datagrams not answered, by reason. */
static void
datagram_drops(struct out *o)
{
	const struct stats *stats = o->st->stats;

	family(o, "netsrvd_datagrams_dropped_total", "counter", "UDP datagrams not answered, by reason.");
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *v = &o->st->totals[i];
		const struct stats_name *nm = &stats->names[i];
		if (!applies(nm, "udp"))
			continue;
		put(o, "netsrvd_datagrams_dropped_total{service=\"%s\",reason=\"reflection\"} %llu\n",
		    nm->name, LOAD(v->dropped_reflection));
		put(o, "netsrvd_datagrams_dropped_total{service=\"%s\",reason=\"acl\"} %llu\n",
		    nm->name, LOAD(v->dropped_acl));
		put(o, "netsrvd_datagrams_dropped_total{service=\"%s\",reason=\"rate\"} %llu\n",
		    nm->name, LOAD(v->dropped_rate));
	}
}

/* Each service's workers, by the state their lines say. */
static void
workers_by_state(struct out *o)
{
	static const char *const states[] = { "starting", "idle", "busy", "stopping" };
	const struct stats *stats = o->st->stats;

	family(o, "netsrvd_workers", "gauge", "Workers, by state.");
	for (size_t i = 0; i < stats->used; i++) {
		const struct stats_name *nm = &stats->names[i];
		struct state_count c = { .service = nm->id, .n = { 0, 0, 0, 0 } };

		each_live_line(o->st, count_state, &c);
		for (size_t k = 0; k < 4; k++)
			put(o, "netsrvd_workers{service=\"%s\",state=\"%s\"} %u\n", nm->name, states[k], c.n[k]);
	}
}

/* How long TCP connections lasted: a histogram per service. */
static void
durations(struct out *o)
{
	const struct stats *stats = o->st->stats;

	family(o, "netsrvd_connection_duration_seconds", "histogram", "How long TCP connections lasted.");
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *v = &o->st->totals[i];
		const struct stats_name *nm = &stats->names[i];
		unsigned long long cum = 0;
		if (!applies(nm, "tcp"))
			continue;
		for (size_t b = 0; b < STATS_NBUCKETS; b++) {
			cum += LOAD(v->duration_bucket[b]);
			if (b < STATS_NBUCKETS - 1)
				put(o, "netsrvd_connection_duration_seconds_bucket{service=\"%s\",le=\"%g\"} %llu\n",
				    nm->name, (double)stats_bucket_ms[b] / 1000.0, cum);
			else
				put(o, "netsrvd_connection_duration_seconds_bucket{service=\"%s\",le=\"+Inf\"} %llu\n",
				    nm->name, cum);
		}
		put(o, "netsrvd_connection_duration_seconds_sum{service=\"%s\"} %.3f\n", nm->name,
		    (double)LOAD(v->duration_sum_ms) / 1000.0);
		put(o, "netsrvd_connection_duration_seconds_count{service=\"%s\"} %llu\n", nm->name,
		    LOAD(v->duration_count));
	}
}

/* The handshakes of each TLS service: by result and version, and how long they took. */
static void
tls_handshakes(struct out *o)
{
	const struct stats *stats = o->st->stats;
	bool any = false;

	for (size_t i = 0; i < stats->used; i++)
		any |= stats->names[i].tls;
	if (!any)
		return;	/* no TLS service: no empty families */

	family(o, "netsrvd_tls_handshakes_total", "counter", "TLS handshakes, by result and version.");
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *v = &o->st->totals[i];
		const char *n = stats->names[i].name;
		if (!stats->names[i].tls)
			continue;
		for (size_t k = 0; k < STATS_TLS_NVERSIONS; k++)
			put(o, "netsrvd_tls_handshakes_total{service=\"%s\",result=\"ok\",version=\"%s\"} %llu\n",
			    n, stats_tls_versions[k], LOAD(v->tls_ok[k]));
		put(o, "netsrvd_tls_handshakes_total{service=\"%s\",result=\"failed\",version=\"unknown\"} %llu\n",
		    n, LOAD(v->tls_failed));
		put(o, "netsrvd_tls_handshakes_total{service=\"%s\",result=\"timeout\",version=\"unknown\"} %llu\n",
		    n, LOAD(v->tls_timeout));
	}
	family(o, "netsrvd_tls_resumed_total", "counter", "TLS handshakes that resumed a session (tickets).");
	for (size_t i = 0; i < stats->used; i++)
		if (stats->names[i].tls)
			put(o, "netsrvd_tls_resumed_total{service=\"%s\"} %llu\n", stats->names[i].name,
			    LOAD(o->st->totals[i].tls_resumed));
	family(o, "netsrvd_tls_handshake_duration_seconds", "histogram", "How long TLS handshakes took.");
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *v = &o->st->totals[i];
		const char *n = stats->names[i].name;
		unsigned long long cum = 0;
		if (!stats->names[i].tls)
			continue;
		for (size_t b = 0; b < STATS_TLS_NBUCKETS; b++) {
			cum += LOAD(v->tls_duration_bucket[b]);
			if (b < STATS_TLS_NBUCKETS - 1)
				put(o, "netsrvd_tls_handshake_duration_seconds_bucket{service=\"%s\",le=\"%g\"} %llu\n",
				    n, (double)stats_tls_bucket_us[b] / 1e6, cum);
			else
				put(o, "netsrvd_tls_handshake_duration_seconds_bucket{service=\"%s\",le=\"+Inf\"} %llu\n",
				    n, cum);
		}
		put(o, "netsrvd_tls_handshake_duration_seconds_sum{service=\"%s\"} %.6f\n", n,
		    (double)LOAD(v->tls_duration_sum_us) / 1e6);
		put(o, "netsrvd_tls_handshake_duration_seconds_count{service=\"%s\"} %llu\n", n,
		    LOAD(v->tls_duration_count));
	}
}

static void
format_metrics(struct out *o)
{
	const struct stats *stats = o->st->stats;

	sum_totals(o->st);
	family(o, "netsrvd_build_info", "gauge", "The running netsrvd's version, as a label; always 1.");
	put(o, "netsrvd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	service_up(o);
	per_service(o, "netsrvd_connections_total", "TCP connections served.", OFF(connections), "tcp");
	per_service(o, "netsrvd_received_bytes_total", "Bytes received from TCP clients.", OFF(bytes_in), "tcp");
	per_service(o, "netsrvd_sent_bytes_total", "Bytes sent to TCP clients.", OFF(bytes_out), "tcp");
	refusals(o);
	per_service(o, "netsrvd_datagrams_total", "UDP datagrams received.", OFF(datagrams), "udp");
	datagram_drops(o);
	per_service(o, "netsrvd_worker_starts_total", "Workers started.", OFF(worker_starts), NULL);
	per_service(o, "netsrvd_worker_crashes_total", "Workers that died abnormally.", OFF(worker_crashes), NULL);
	program_exits(o);
	cgroups(o);
	workers_by_state(o);
	family(o, "netsrvd_reloads_total", "counter", "Configuration reloads, by result.");
	put(o, "netsrvd_reloads_total{result=\"ok\"} %llu\n", LOAD(stats->g->reloads_ok));
	put(o, "netsrvd_reloads_total{result=\"failed\"} %llu\n", LOAD(stats->g->reloads_failed));
	family(o, "netsrvd_uptime_seconds", "gauge", "Seconds since the master started.");
	put(o, "netsrvd_uptime_seconds %lld\n", (long long)(time(NULL) - stats->g->started));
	durations(o);
	tls_handshakes(o);
}

/*
 * A client that says nothing (nc, netsrvd -s) gets the plain text after a
 * short wait; "GET /metrics" gets an HTTP/1.0 response in Prometheus text
 * format, any other GET the plain text over HTTP.
 */
static enum session_end
status_serve_tcp(struct tcp_session *s)
{
	char req[512] = "";
	size_t got = 0;
	short rev = 0;
	bool metrics = false;
	struct out o = { .st = s->state, .buf = (char *)s->buf, .len = s->bufsize, .s = s };
	int64_t end = util_now_ms() + 300;

	/* the request line, if any, within 300 ms */
	while (got < sizeof(req) - 1 && memchr(req, '\n', got) == NULL) {
		int left = (int)(end - util_now_ms());
		if (left <= 0 || io_wait_session(s, POLLIN, left, &rev) <= 0)
			break;
		ssize_t n = io_recv(s, req + got, sizeof(req) - 1 - got);
		if (n == -1 && IO_AGAIN(errno))
			continue;	/* a TLS record not whole yet */
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req[got] = '\0';
	if (strncmp(req, "GET ", 4) == 0) {
		metrics = strncmp(req + 4, "/metrics", 8) == 0 &&
		    (req[12] == ' ' || req[12] == '?' || req[12] == '\r' || req[12] == '\n');
		o.http_type = metrics ? "text/plain; version=0.0.4; charset=utf-8" :
		    "text/plain; charset=utf-8";
	}
	/* streamed: a buffer sent whenever full, so any number of services fits */
	if (o.st != NULL && o.st->stats != NULL) {
		if (metrics)
			format_metrics(&o);
		else
			format_text(&o);
	}
	flush(&o, true);
	return o.end;
}

const struct handler handler_status = {
	.name = "status",
	.serve_tcp = status_serve_tcp,
	.answer_udp = NULL,
	.init = status_init,
	.reports_status = true,
};
