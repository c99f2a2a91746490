/* The shared scoreboard: one slot per worker, on a page only that worker can write, read by the master. */
#include "autoconfig.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scoreboard.h"
#include "util.h"

/* Bits of the taken-line bitmap per word. */
#define SB_WORD_BITS 64

static size_t
round_to_pages(size_t bytes)
{
	return (bytes + shm_page_size() - 1) / shm_page_size() * shm_page_size();
}

static _Atomic uint64_t *
live_bits(const struct scoreboard *sb)
{
	return (_Atomic uint64_t *)sb->shm.base;
}

struct scoreboard *
scoreboard_create(size_t nslots)
{
	struct scoreboard *sb = calloc(1, sizeof(*sb));
	size_t words = (nslots + SB_WORD_BITS - 1) / SB_WORD_BITS;

	if (sb == NULL)
		return NULL;
	sb->taken = calloc(nslots, sizeof(*sb->taken));
	if (sb->taken == NULL) {
		free(sb);
		return NULL;
	}
	sb->nslots = nslots;
	sb->stride = round_to_pages(sizeof(struct sb_slot));
	sb->lines_off = round_to_pages(words * sizeof(uint64_t));
	if (shm_create(&sb->shm, "netsrvd-scoreboard", sb->lines_off + nslots * sb->stride) == -1) {
		free(sb->taken);
		free(sb);
		return NULL;
	}
	return sb;	/* zeroed: no line taken, every one SB_FREE */
}

void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb == NULL)
		return;
	shm_destroy(&sb->shm);
	free(sb->taken);
	free(sb);
}

void
scoreboard_retire(struct scoreboard *sb)
{
	shm_close_fd(&sb->shm);
}

struct sb_slot *
scoreboard_slot(const struct scoreboard *sb, size_t i)
{
	return (struct sb_slot *)(void *)((char *)sb->shm.base + sb->lines_off + i * sb->stride);
}

/* The bound is the reader's own nslots, whatever the bitmap holds. */
void
scoreboard_each_live(const struct scoreboard *sb,
    void (*fn)(const struct sb_slot *line, void *arg), void *arg)
{
	const _Atomic uint64_t *bits = live_bits(sb);

	for (size_t w = 0; w * SB_WORD_BITS < sb->nslots; w++) {
		uint64_t word = atomic_load_explicit(&bits[w], memory_order_acquire);

		while (word != 0) {
			size_t i = w * SB_WORD_BITS + (size_t)__builtin_ctzll(word);

			word &= word - 1;
			if (i < sb->nslots)
				fn(scoreboard_slot(sb, i), arg);
		}
	}
}

/* Line i is a worker's (published after the line is set up) or free again. */
static void
publish_taken(struct scoreboard *sb, size_t i, bool taken)
{
	uint64_t bit = (uint64_t)1 << (i % SB_WORD_BITS);

	sb->taken[i] = taken;
	if (taken)
		atomic_fetch_or_explicit(&live_bits(sb)[i / SB_WORD_BITS], bit, memory_order_release);
	else
		atomic_fetch_and_explicit(&live_bits(sb)[i / SB_WORD_BITS], ~bit, memory_order_release);
}

int
scoreboard_confine(struct scoreboard *sb, int slot)
{
	return shm_confine(&sb->shm, sb->lines_off + (size_t)slot * sb->stride, sb->stride);
}

int
scoreboard_claim(struct scoreboard *sb, pid_t pid, uint32_t service, unsigned generation)
{
	for (size_t i = 0; i < sb->nslots; i++) {
		struct sb_slot *s = scoreboard_slot(sb, i);
		if (sb->taken[i])
			continue;
		s->pid = pid;
		s->service = service;
		s->generation = generation;
		memset(s->peer, 0, sizeof(s->peer));
		atomic_store(&s->peer_port, 0);
		memset(s->proxy, 0, sizeof(s->proxy));
		atomic_store(&s->proxy_port, 0);
		atomic_store(&s->relayed, 0);
		atomic_store(&s->conn_start_ms, 0);
		atomic_store(&s->progress_ms, 0);
		atomic_store(&s->violation, 0);
		memset(&s->counters, 0, sizeof(s->counters));
		atomic_store(&s->state, SB_STARTING);
		publish_taken(sb, i, true);
		return (int)i;
	}
	return -1;
}

void
scoreboard_release(struct scoreboard *sb, int slot)
{
	if (slot >= 0 && (size_t)slot < sb->nslots) {
		publish_taken(sb, (size_t)slot, false);
		atomic_store(&scoreboard_slot(sb, (size_t)slot)->state, SB_FREE);
	}
}

void
scoreboard_set_state(struct sb_slot *s, enum sb_state st)
{
	atomic_store_explicit(&s->state, st, memory_order_release);
}

void
scoreboard_peer_key(const struct sockaddr *sa, unsigned char out[16], uint16_t *port)
{
	memset(out, 0, 16);
	*port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(out, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
	}
}

void
scoreboard_begin(struct sb_slot *s, const struct sockaddr *peer)
{
	uint16_t port;
	int64_t now = util_coarse_now_ms();

	scoreboard_peer_key(peer, s->peer, &port);
	atomic_store_explicit(&s->peer_port, port, memory_order_relaxed);
	atomic_store_explicit(&s->conn_start_ms, now, memory_order_relaxed);
	atomic_store_explicit(&s->progress_ms, now, memory_order_relaxed);
	scoreboard_set_state(s, SB_BUSY);
}

void
scoreboard_set_proxy(struct sb_slot *s, const struct sockaddr *proxy)
{
	uint16_t port;

	if (proxy == NULL) {
		if (atomic_load_explicit(&s->relayed, memory_order_relaxed))
			atomic_store_explicit(&s->relayed, 0, memory_order_release);
		return;
	}
	scoreboard_peer_key(proxy, s->proxy, &port);
	atomic_store_explicit(&s->proxy_port, port, memory_order_relaxed);
	atomic_store_explicit(&s->relayed, 1, memory_order_release);
}

void
scoreboard_end(struct sb_slot *s)
{
	scoreboard_set_state(s, SB_IDLE);
}

/* An IPv4 client counts by its address, an IPv6 one by its /64. */
static bool
same_client(const unsigned char a[16], const unsigned char b[16])
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(a, v4mapped, 12) == 0)
		return memcmp(a, b, 16) == 0;
	return memcmp(a, b, 8) == 0;
}

struct busy_count {
	uint32_t service;
	const unsigned char *peer;
	const struct sb_slot *except;
	size_t n;
};

static void
count_busy_from(const struct sb_slot *s, void *arg)
{
	struct busy_count *c = arg;

	if (s == c->except || s->service != c->service ||
	    atomic_load_explicit(&s->state, memory_order_acquire) != SB_BUSY)
		return;
	c->n += same_client(s->peer, c->peer);
}

size_t
scoreboard_busy_from(const struct scoreboard *sb, uint32_t service,
    const unsigned char peer[16], const struct sb_slot *except)
{
	struct busy_count c = { .service = service, .peer = peer, .except = except, .n = 0 };

	scoreboard_each_live(sb, count_busy_from, &c);
	return c.n;
}

const char *
scoreboard_state_name(enum sb_state st)
{
	switch (st) {
	case SB_FREE: return "free";
	case SB_STARTING: return "starting";
	case SB_IDLE: return "idle";
	case SB_BUSY: return "busy";
	case SB_STOPPING: return "stopping";
	}
	return "?";
}
