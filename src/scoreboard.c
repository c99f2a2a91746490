/* The shared scoreboard: one slot per worker, on a page only that worker can write, read by the master. */
#include "autoconfig.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

/*
 * The key of scoreboard_source_of: one per master, drawn when its first
 * board is made, before any worker is forked, and inherited by them all
 * (boards of every generation are compared with one another). Not a
 * handler's input and never changed after: a process-wide constant.
 */
static uint64_t source_key[2];
static bool source_keyed;

static void
draw_source_key(void)
{
	struct timespec ts;

	if (source_keyed)
		return;
	source_keyed = true;
	if (getrandom(source_key, sizeof(source_key), GRND_NONBLOCK) == (ssize_t)sizeof(source_key))
		return;
	/* no entropy yet (early boot): counting still works, the digest is only weaker */
	log_debug("getrandom for the per-source key");
	clock_gettime(CLOCK_REALTIME, &ts);
	source_key[0] = (uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec;
	source_key[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
}

struct scoreboard *
scoreboard_create(size_t nslots)
{
	struct scoreboard *sb = calloc(1, sizeof(*sb));
	size_t words = (nslots + SB_WORD_BITS - 1) / SB_WORD_BITS;

	draw_source_key();
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
		atomic_store(&s->peer_shown, LOG_PEER_NONE);
		atomic_store(&s->source, 0);
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

static uint64_t
rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static void
sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

/* SipHash-2-4 of 16 bytes under source_key: keyed, so a digest cannot be looked up in a table of addresses. */
static uint64_t
siphash16(const unsigned char in[16])
{
	uint64_t v[4] = { 0x736f6d6570736575ULL ^ source_key[0], 0x646f72616e646f6dULL ^ source_key[1],
	    0x6c7967656e657261ULL ^ source_key[0], 0x7465646279746573ULL ^ source_key[1] };
	uint64_t m;

	for (int i = 0; i < 2; i++) {
		m = 0;
		for (int j = 7; j >= 0; j--)
			m = m << 8 | in[i * 8 + j];
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	m = (uint64_t)16 << 56;
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* An IPv4 client counts by its address, an IPv6 one by its /64. */
static uint64_t
source_of_key(const unsigned char key[16])
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char in[16];

	memcpy(in, key, sizeof(in));
	if (memcmp(in, v4mapped, sizeof(v4mapped)) != 0)
		memset(in + 8, 0, 8);
	return siphash16(in);
}

uint64_t
scoreboard_source_of(const struct sockaddr *sa)
{
	unsigned char key[16];
	uint16_t port;

	scoreboard_peer_key(sa, key, &port);
	return source_of_key(key);
}

/*
 * The address is masked here, by the worker, before it is written: what
 * log_peer keeps out of the access log never reaches shared memory
 * either, so neither the status page, `netsrvd -s`, the master's own
 * log lines (a timeout's) nor anyone who can read the board sees more
 * than the service chose to show. max_per_source still tells clients
 * apart through source, a keyed digest, not the address.
 */
void
scoreboard_begin(struct sb_slot *s, const struct sockaddr *peer, enum log_peer shown)
{
	uint16_t port;
	unsigned char key[16];
	int64_t now = util_coarse_now_ms();

	scoreboard_peer_key(peer, key, &port);
	atomic_store_explicit(&s->source, source_of_key(key), memory_order_relaxed);
	logpeer_mask_key(shown, key, &port);
	memcpy(s->peer, key, sizeof(key));
	atomic_store_explicit(&s->peer_port, port, memory_order_relaxed);
	atomic_store_explicit(&s->peer_shown, (int)shown, memory_order_relaxed);
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

void
scoreboard_format_peer(const struct sb_slot *s, char *buf, size_t len)
{
	unsigned char key[16];

	memcpy(key, s->peer, sizeof(key));
	logpeer_format_key(logpeer_mode_of(atomic_load_explicit(&s->peer_shown, memory_order_relaxed)),
	    key, atomic_load_explicit(&s->peer_port, memory_order_relaxed), buf, len);
}

struct latest_turn {
	uint32_t service;
	const struct sb_slot *me;
	uint64_t turn;
};

static void
note_turn(const struct sb_slot *s, void *arg)
{
	struct latest_turn *t = arg;
	uint64_t turn;

	if (s == t->me || s->service != t->service)
		return;
	turn = atomic_load(&s->turn);
	if (turn > t->turn)
		t->turn = turn;
}

/*
 * The bakery's two rules: a line's turn is after every turn it can see,
 * chosen with `choosing` up; and a line counting the others waits for
 * each one still choosing (busy_count's wait_chosen). Then of two lines
 * beginning together exactly one counts the other (ties: the lower pid,
 * then the lower line, goes first), and a line that had not begun when
 * the other looked takes a later turn and counts it. All seq_cst: the
 * order between one line's stores and the other's loads is the point.
 * The turn is not a clock: it needs no clock to agree across CPUs.
 */
void
scoreboard_begin_in_turn(struct sb_slot *s, const struct scoreboard *const *boards, size_t nboards,
    const struct sockaddr *peer, enum log_peer shown)
{
	struct latest_turn t = { .service = s->service, .me = s, .turn = 0 };

	atomic_store(&s->choosing, 1);
	for (size_t i = 0; i < nboards; i++)
		scoreboard_each_live(boards[i], note_turn, &t);
	/* a worker that wrote the largest turn there is only makes its own clients wait their turn */
	atomic_store(&s->turn, t.turn == UINT64_MAX ? t.turn : t.turn + 1);
	scoreboard_begin(s, peer, shown);
	atomic_store(&s->choosing, 0);
}

struct busy_count {
	uint32_t service;
	uint64_t source;
	const struct sb_slot *me;
	size_t n;
	int waits;	/* left for lines still choosing, across the whole count */
};

/*
 * Choosing lasts a few stores; a worker stopped in the middle of them (or
 * one that never finishes) is waited for no longer than about 10 ms in
 * all per count, and then counted if busy: refusing one client too many
 * is the safe side of the limit.
 */
static bool
wait_chosen(const struct sb_slot *s, struct busy_count *c)
{
	static const struct timespec pause = { .tv_sec = 0, .tv_nsec = 50000 };

	for (int spins = 0; atomic_load(&s->choosing) != 0; spins++) {
		if (c->waits == 0)
			return false;
		if (spins < 256)
			continue;	/* choosing lasts a few hundred ns: no syscall (sched_yield is not in the worker's filter) */
		nanosleep(&pause, NULL);
		c->waits--;
	}
	return true;
}

static bool
turn_before(const struct sb_slot *s, const struct sb_slot *me)
{
	uint64_t ts = atomic_load(&s->turn), tm = atomic_load(&me->turn);

	if (ts != tm)
		return ts < tm;
	if (s->pid != me->pid)
		return s->pid < me->pid;
	return s < me;
}

static void
count_busy_from(const struct sb_slot *s, void *arg)
{
	struct busy_count *c = arg;

	bool chosen = true;

	if (s == c->me || s->service != c->service)
		return;
	if (c->me != NULL)
		chosen = wait_chosen(s, c);
	if (atomic_load(&s->state) != SB_BUSY || atomic_load(&s->source) != c->source)
		return;
	c->n += c->me == NULL || !chosen || turn_before(s, c->me);
}

size_t
scoreboard_busy_from(const struct scoreboard *sb, uint32_t service, uint64_t source,
    const struct sb_slot *me)
{
	struct busy_count c = { .service = service, .source = source, .me = me, .n = 0, .waits = 200 };

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
