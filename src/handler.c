/* The handler table: names to handlers, session endings to words, randomness. */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"

static const struct handler *const handlers[] = {
	&handler_echo,
	&handler_discard,
	&handler_chargen,
	&handler_daytime,
	&handler_time,
	&handler_qotd,
	&handler_status,
	&handler_exec,
	&handler_redirect,
};

const struct handler *
handler_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i]->name, name) == 0)
			return handlers[i];
	return NULL;
}

size_t
handler_count(void)
{
	return sizeof(handlers) / sizeof(handlers[0]);
}

const struct handler *
handler_at(size_t i)
{
	return i < handler_count() ? handlers[i] : NULL;
}

bool
handler_is_internal(const struct handler *h)
{
	/* status is netsrvd's own protocol; qotd needs its quotes; exec runs programs */
	return h != NULL && h->nkeys == 0 && !h->reports_status && !h->runs_programs;
}

/* In the table's order; tests/handler_test.c checks the two agree. */
const char *
handler_names(void)
{
	return "echo, discard, chargen, daytime, time, qotd, status, exec, redirect";
}

/* One word each: the access log's "end=" field. */
const char *
session_end_name(enum session_end e)
{
	switch (e) {
	case END_DONE:
		return "done";
	case END_CLIENT_CLOSED:
		return "closed";
	case END_TIMEOUT:
		return "timeout";
	case END_RESET:
		return "reset";
	case END_ERROR:
		return "error";
	}
	return "unknown";
}

/*
 * splitmix64: fast, good enough to pick a quote or a chargen length, and
 * not meant for anything an attacker may profit from guessing.
 */
static uint64_t rng_state;
static pid_t rng_pid;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/*
 * Seeded on first use in each process: workers are forked from one master,
 * and a seed inherited across fork would give every worker the same
 * sequence. getpid() is a cheap check; getrandom() runs once per process.
 * Workers are single-threaded, so the state needs no lock.
 */
static void
rng_seed(void)
{
	uint64_t seed;
	ssize_t r;

	do
		r = getrandom(&seed, sizeof(seed), GRND_NONBLOCK);
	while (r == -1 && errno == EINTR);
	if (r != (ssize_t)sizeof(seed)) {
		/* Early boot (EAGAIN) or an old kernel: the clock will do. */
		struct timespec ts;

		seed = (uint64_t)getpid() << 32;
		if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
			seed ^= (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
			seed ^= (uint64_t)ts.tv_nsec << 17;
	}
	rng_state = seed;
	rng_pid = getpid();
}

uint32_t
handler_random(uint32_t bound)
{
	if (rng_pid != getpid())
		rng_seed();
	/* Lemire's multiply-shift: uniform enough for bound << 2^32. */
	return (uint32_t)(((rng_next() >> 32) * (uint64_t)bound) >> 32);
}
