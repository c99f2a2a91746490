/* The shared scoreboard: one slot per worker, on a page only that worker can write, read by the master. */
#include "autoconfig.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scoreboard.h"
#include "util.h"

struct scoreboard *
scoreboard_create(size_t nslots)
{
	struct scoreboard *sb = calloc(1, sizeof(*sb));

	if (sb == NULL)
		return NULL;
	sb->taken = calloc(nslots, sizeof(*sb->taken));
	if (sb->taken == NULL) {
		free(sb);
		return NULL;
	}
	sb->nslots = nslots;
	sb->stride = (sizeof(struct sb_slot) + shm_page_size() - 1) / shm_page_size() * shm_page_size();
	if (shm_create(&sb->shm, "netsrvd-scoreboard", nslots * sb->stride) == -1) {
		free(sb->taken);
		free(sb);
		return NULL;
	}
	return sb;	/* zeroed: every slot SB_FREE */
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
	return (struct sb_slot *)(void *)((char *)sb->shm.base + i * sb->stride);
}

int
scoreboard_confine(struct scoreboard *sb, int slot)
{
	return shm_confine(&sb->shm, (size_t)slot * sb->stride, sb->stride);
}

int
scoreboard_claim(struct scoreboard *sb, pid_t pid, uint32_t service, unsigned generation)
{
	for (size_t i = 0; i < sb->nslots; i++) {
		struct sb_slot *s = scoreboard_slot(sb, i);
		if (sb->taken[i])
			continue;
		sb->taken[i] = true;
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
		return (int)i;
	}
	return -1;
}

void
scoreboard_release(struct scoreboard *sb, int slot)
{
	if (slot >= 0 && (size_t)slot < sb->nslots) {
		sb->taken[slot] = false;
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

size_t
scoreboard_busy_from(const struct scoreboard *sb, uint32_t service,
    const unsigned char peer[16], const struct sb_slot *except)
{
	size_t n = 0;

	for (size_t i = 0; i < sb->nslots; i++) {
		const struct sb_slot *s = scoreboard_slot(sb, i);
		if (s == except || s->service != service ||
		    atomic_load_explicit(&s->state, memory_order_acquire) != SB_BUSY)
			continue;
		n += same_client(s->peer, peer);
	}
	return n;
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
