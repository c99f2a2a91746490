/* A generation: one configuration with its sockets, service runtimes and scoreboard, built whole, swapped in, freed when its last worker is gone. */
#include "autoconfig.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "generation.h"
#include "handler.h"
#include "log.h"
#include "names.h"
#include "scoreboard.h"
#include "util.h"

/* A configuration two generations may share: a log rotation's clone runs the same one, and the same names. */
struct shared_config {
	struct config *cfg;
	struct names *names;	/* NULL: its allow and deny name no hosts */
	int refs;
};

static void
unref_config(struct shared_config *sc)
{
	if (sc != NULL && --sc->refs == 0) {
		names_free(sc->names);
		config_free(sc->cfg);
		free(sc);
	}
}

/* A socket no generation holds any more is closed; one a reload dropped says so. */
static void
unref_socket(struct listener *l)
{
	if (l == NULL || --l->refs > 0)
		return;
	if (l->paused)
		log_info("closing %s (no longer configured)", l->desc);
	listener_close(l);
}

size_t
generation_slots(const struct config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].enabled)
			n += (size_t)cfg->services[i].max_workers;
	return n > 0 ? n : 1;
}

/*
 * Its own scoreboard, sized by its configuration: a pool never runs more
 * than max_workers, and a reaped worker's line is free before its
 * replacement is forked, so the generation can never run out of lines.
 * Generations draining side by side each keep theirs until their last
 * worker is gone.
 */
static struct generation *
alloc_generation(size_t nsvcs, size_t nslots, unsigned id)
{
	struct generation *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->svcs = calloc(nsvcs > 0 ? nsvcs : 1, sizeof(*g->svcs));
	g->sb = scoreboard_create(nslots);
	if (g->svcs == NULL || g->sb == NULL) {
		scoreboard_destroy(g->sb);
		free(g->svcs);
		free(g);
		return NULL;
	}
	g->nsvcs = nsvcs;
	g->id = id;
	return g;
}

static void
free_generation_memory(struct generation *g)
{
	scoreboard_destroy(g->sb);
	free(g->svcs);
	free(g);
}

/*
 * A service that cannot bind: logged with its cause, its first retry due
 * in 1 s (said when it fails again: a startup where nothing could bind
 * tries no more).
 */
static void
note_bind_failure(struct service_rt *s, const char *why, int64_t now)
{
	(void)backoff_bind_failure(&s->bind_retry, now);	/* the delay: always the first */
	log_errorx("%s; the service is down", why);
}

static int
init_services(struct generation *g, const struct config *cfg, const struct bound *b,
    struct stats *stats, char *err, size_t errlen)
{
	size_t k = 0;

	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *c = &cfg->services[i];
		struct service_rt *s = &g->svcs[k];

		if (!c->enabled)
			continue;
		s->cfg = c;
		s->ls = b[k].ls;
		pool_init(&s->pool, c->workers);
		s->id = stats_service_id(c->name);
		s->st = stats_service(stats, c->name, c->protocol_name);
		if (s->st == NULL) {
			snprintf(err, errlen, "service %s: more services than the %zu counters kept",
			    c->name, stats->n);
			return -1;
		}
		s->stats_index = (size_t)(s->st - stats->svc);
		stats_mark_tls(stats, s->st, c->tls.on);
		k++;
	}
	return 0;
}

struct generation *
generation_create(struct config *cfg, struct listener *const *reuse, size_t nreuse,
    struct stats *stats, unsigned id, char *err, size_t errlen)
{
	size_t n = config_enabled_services(cfg);
	struct generation *g = alloc_generation(n, generation_slots(cfg), id);
	struct bound *b = calloc(n > 0 ? n : 1, sizeof(*b));
	struct shared_config *sc = calloc(1, sizeof(*sc));
	int64_t now = util_now_ms();

	if (g == NULL || b == NULL || sc == NULL) {
		snprintf(err, errlen, "cannot make a new generation (its scoreboard: %zu lines)",
		    generation_slots(cfg));
		goto fail;
	}
	if (names_create(cfg, &sc->names) == -1) {
		snprintf(err, errlen, "cannot make the table of the names in allow and deny");
		goto fail;
	}
	if (listener_reconcile(cfg, reuse, nreuse, b, err, errlen) == -1)
		goto fail;
	if (init_services(g, cfg, b, stats, err, errlen) == -1) {
		for (size_t i = 0; i < n; i++)
			if (b[i].fresh)
				listener_close(b[i].ls);
		goto fail;
	}
	/* Commit: nothing fails from here on. */
	for (size_t i = 0; i < n; i++) {
		if (b[i].ls != NULL)
			b[i].ls->refs++;
		else
			note_bind_failure(&g->svcs[i], b[i].why, now);
	}
	sc->cfg = cfg;
	sc->refs = 1;
	g->sc = sc;
	g->cfg = cfg;
	free(b);
	return g;
fail:
	free(b);
	if (sc != NULL)
		names_free(sc->names);
	free(sc);
	if (g != NULL)
		free_generation_memory(g);
	return NULL;
}

struct names *
generation_names(const struct generation *g)
{
	return g->sc != NULL ? g->sc->names : NULL;
}

size_t
generation_down(const struct generation *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nsvcs; i++)
		n += g->svcs[i].ls == NULL;
	return n;
}

size_t
generation_retry_binds(struct generation *g, struct stats *stats, int64_t now)
{
	char why[LISTENER_ERR_MAX];
	size_t up = 0;

	for (size_t i = 0; i < g->nsvcs; i++) {
		struct service_rt *s = &g->svcs[i];
		int64_t delay;

		if (s->ls != NULL || now < s->bind_retry.next_start_ms)
			continue;
		s->ls = listener_open(s->cfg, why, sizeof(why));
		if (s->ls == NULL) {
			delay = backoff_bind_failure(&s->bind_retry, now);
			log_warnx("%s; the service is still down, next try in %lld s", why,
			    (long long)(delay / 1000));
			continue;
		}
		s->ls->refs++;
		log_notice("service %s: bound %s after %d failed tries; it is up", s->cfg->name,
		    s->ls->desc, s->bind_retry.fails);
		memset(&s->bind_retry, 0, sizeof(s->bind_retry));
		up++;
	}
	if (up > 0)
		generation_publish(g, stats);
	return up;
}

int64_t
generation_next_bind_ms(const struct generation *g)
{
	int64_t next = -1;

	for (size_t i = 0; i < g->nsvcs; i++)
		if (g->svcs[i].ls == NULL && (next < 0 || g->svcs[i].bind_retry.next_start_ms < next))
			next = g->svcs[i].bind_retry.next_start_ms;
	return next;
}

/* Every entry of stats is one of g's services, or one g does not run (removed, disabled). */
void
generation_publish(const struct generation *g, struct stats *stats)
{
	for (size_t i = 0; i < stats->used; i++) {
		const struct svc_stats *st = &stats->svc[i];
		char where[LISTENER_WHERE_MAX] = "";
		enum svc_state state = SVC_UNCONFIGURED;

		for (size_t k = 0; g->cfg != NULL && k < g->nsvcs; k++)
			if (g->svcs[k].st == st) {
				listener_describe_address(g->svcs[k].cfg, where, sizeof(where));
				state = g->svcs[k].ls != NULL ? SVC_UP : SVC_DOWN;
			}
		stats_set_state(stats, st, where, state);
	}
}

/* STATUS= is one short line: the first few names, then how many more. */
#define DOWN_NAMED 3

void
generation_describe_down(const struct generation *g, char *buf, size_t len)
{
	size_t down = generation_down(g), named = 0, used;
	int n;

	buf[0] = '\0';
	if (down == 0 || len == 0)
		return;
	n = snprintf(buf, len, " (%zu down:", down);
	used = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < g->nsvcs && named < DOWN_NAMED && used < len; i++) {
		char where[LISTENER_WHERE_MAX];

		if (g->svcs[i].ls != NULL)
			continue;
		listener_describe_address(g->svcs[i].cfg, where, sizeof(where));
		n = snprintf(buf + used, len - used, "%s %s %s", named > 0 ? "," : "",
		    g->svcs[i].cfg->name, where);
		used += n > 0 ? (size_t)n : 0;
		named++;
	}
	if (used < len)
		snprintf(buf + used, len - used, "%s)", down > named ? ", ..." : "");
}

struct generation *
generation_clone(const struct generation *g, unsigned id)
{
	struct generation *c = alloc_generation(g->nsvcs, g->sb->nslots, id);

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < g->nsvcs; i++) {
		c->svcs[i] = g->svcs[i];
		c->svcs[i].running = 0;
		if (c->svcs[i].ls != NULL)
			c->svcs[i].ls->refs++;
	}
	c->cfg = g->cfg;
	c->sc = g->sc;
	c->sc->refs++;
	return c;
}

static bool
uses_socket(const struct generation *g, const struct listener *l)
{
	for (size_t i = 0; i < g->nsvcs; i++)
		if (g->svcs[i].ls == l)
			return true;
	return false;
}

/*
 * A retired generation keeps only its sockets (for its workers' sake,
 * until the last one goes): its configuration is no one's business any
 * more, and is let go at once, so generations draining side by side hold
 * no configurations, and the heap does not fragment around them. Nor
 * does it keep a descriptor of its own: its scoreboard stays mapped, which
 * is all its reaping and newer workers need, so however many generations
 * linger (a long session across daily log rotations), the master's
 * descriptors stay those of the one running.
 */
static void
retire(struct generation *g, const struct generation *cur)
{
	for (size_t i = 0; i < g->nsvcs; i++) {
		if (g->svcs[i].ls != NULL && !uses_socket(cur, g->svcs[i].ls))
			listener_pause(g->svcs[i].ls);
		g->svcs[i].cfg = NULL;
	}
	unref_config(g->sc);
	g->sc = NULL;
	g->cfg = NULL;
	scoreboard_retire(g->sb);
}

void
generation_free(struct generation *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->nsvcs; i++)
		unref_socket(g->svcs[i].ls);
	unref_config(g->sc);
	free_generation_memory(g);
}

struct listener **
generation_sockets(const struct generation *g, size_t *n)
{
	size_t cap = 0, k = 0;
	struct listener **all;

	for (const struct generation *o = g; o != NULL; o = o->older)
		cap += o->nsvcs;
	all = calloc(cap > 0 ? cap : 1, sizeof(struct listener *));
	if (all == NULL)
		return NULL;
	for (const struct generation *o = g; o != NULL; o = o->older)
		for (size_t i = 0; i < o->nsvcs; i++) {
			bool seen = o->svcs[i].ls == NULL;	/* down: nothing to keep */

			for (size_t j = 0; j < k && !seen; j++)
				seen = all[j] == o->svcs[i].ls;
			if (!seen)
				all[k++] = o->svcs[i].ls;
		}
	*n = k;
	return all;
}

/* --- the list: the current generation, then those still draining ------- */

void
generation_join(struct generation *g, size_t si)
{
	g->svcs[si].running++;
	g->live++;
}

/* A retired generation's counts are read only by generation_sweep: its svcs[].running go on down, unread. */
void
generation_leave(struct generation *g, size_t si)
{
	g->svcs[si].running--;
	g->live--;
}

void
generation_switch(struct generation **cur, struct generation *g, struct stats *stats)
{
	retire(*cur, g);
	g->older = *cur;
	*cur = g;
	generation_publish(g, stats);
}

/*
 * A retired generation goes with its last worker: its scoreboard, and its
 * sockets no one else uses, close then. Reloads in a burst keep several
 * alive at once, and the C library keeps the heap they grew: once none is
 * left draining, it goes back to the system, so a master that runs for
 * years stays the size of one configuration.
 */
void
generation_sweep(struct generation *cur)
{
	bool freed = false;

	for (struct generation **g = &cur->older; *g != NULL;) {
		struct generation *old = *g;

		if (old->live > 0) {
			g = &old->older;
			continue;
		}
		*g = old->older;
		log_debug("generation %u: its last worker is gone", old->id);
		generation_free(old);
		freed = true;
	}
	if (freed && cur->older == NULL)
		(void)malloc_trim(0);	/* 0 or 1: whether anything went back, nothing to act on */
}

void
generation_free_all(struct generation *cur)
{
	while (cur != NULL) {
		struct generation *older = cur->older;

		generation_free(cur);
		cur = older;
	}
}

const struct scoreboard **
generation_boards(const struct generation *cur, size_t *n)
{
	const struct scoreboard **boards;
	size_t k = 1;	/* cur's */

	for (const struct generation *g = cur->older; g != NULL; g = g->older)
		k++;
	boards = calloc(k, sizeof(struct scoreboard *));
	if (boards == NULL) {
		log_errorx("out of memory for the list of scoreboards");
		return NULL;
	}
	k = 0;
	for (const struct generation *g = cur; g != NULL; g = g->older) {
		if (g != cur && shm_confine(&g->sb->shm, 0, 0) == -1) {
			free(boards);
			return NULL;	/* logged by shm_confine */
		}
		boards[k++] = g->sb;
	}
	*n = k;
	return boards;
}

void
generation_close_sockets(const struct generation *cur, int mine)
{
	/* a socket two generations share is closed twice: the second is EBADF, nothing else */
	for (const struct generation *g = cur; g != NULL; g = g->older)
		for (size_t i = 0; i < g->nsvcs; i++)
			if (g->svcs[i].ls != NULL && g->svcs[i].ls->fd != mine)
				close(g->svcs[i].ls->fd);
}

/* --- what the master asks of the current one ---------------------------- */

size_t
generation_workers(const struct generation *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nsvcs; i++)
		if (g->svcs[i].ls != NULL)	/* a service that is down has none */
			n += (size_t)g->svcs[i].pool.target;
	return n;
}

size_t
generation_bound(const struct generation *g, struct listener **ls)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nsvcs; i++)
		if (g->svcs[i].ls != NULL)
			ls[n++] = g->svcs[i].ls;
	return n;
}

void
generation_refuse_connections(const struct generation *g)
{
	for (size_t i = 0; i < g->nsvcs; i++) {
		const struct listener *l = g->svcs[i].ls;
		if (l != NULL && l->protocol == PROTO_TCP && shutdown(l->fd, SHUT_RD) == -1)
			log_warn("shutdown %s", l->desc);
	}
}

int64_t
generation_stop_ms(const struct generation *g)
{
	int64_t extra = 0;

	/* the current one only: a retired generation has dropped its config */
	for (size_t i = 0; i < g->nsvcs; i++)
		if (g->svcs[i].cfg->handler->stop_extra_ms > extra)
			extra = g->svcs[i].cfg->handler->stop_extra_ms;
	return (int64_t)g->cfg->shutdown_timeout * 1000 + extra;
}

bool
generation_logs_to_file(const struct generation *g)
{
	return g->cfg->log.target != NULL && g->cfg->log.target[0] == '/';
}
