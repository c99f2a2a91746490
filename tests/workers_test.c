/* Unit tests of the master's worker table: which stopping workers are told again, with real child processes. */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pool.h"
#include "scoreboard.h"
#include "util.h"
#include "workers.h"

#define NKIDS	3

/*
 * A stand-in worker: SIGTERM and SIGUSR1 blocked, it waits for SIGUSR1
 * (the test is done sending) for up to 10 s and exits 1 if a SIGTERM is
 * pending by then, 0 if not, 2 if the test never said it was done.
 */
static pid_t
spawn_kid(void)
{
	sigset_t set, old;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct timespec bound = { 10, 0 };
		sigset_t usr1, pending;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		if (sigtimedwait(&usr1, NULL, &bound) != SIGUSR1)
			_exit(2);
		if (sigpending(&pending) == -1)
			_exit(3);
		_exit(sigismember(&pending, SIGTERM) ? 1 : 0);
	}
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	return pid;
}

/* 1: the kid had a SIGTERM waiting when told the test was done; 0: it had none */
static int
kid_was_told(struct worker_slot *w)
{
	pid_t pid = w->pid;
	int st;

	assert_int_equal(kill(pid, SIGUSR1), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	w->pid = -1;	/* reaped: teardown leaves it alone */
	assert_true(WIFEXITED(st));
	assert_true(WEXITSTATUS(st) <= 1);
	return WEXITSTATUS(st);
}

struct fixture {
	struct scoreboard *sb;
	struct worker_table t;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->sb = scoreboard_create(NKIDS)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	/* kids a failed assertion left behind */
	for (size_t i = 0; i < f->t.n; i++)
		if (f->t.w[i].pid > 0 && kill(f->t.w[i].pid, SIGKILL) == 0)
			waitpid(f->t.w[i].pid, NULL, 0);
	scoreboard_destroy(f->sb);
	free(f->t.w);
	free(f);
	return 0;
}

/* A stopping worker told at sent_ms, with its line in the given state. */
static void
add_stopping(struct fixture *f, bool tcp, enum sb_state line, int64_t sent_ms)
{
	struct worker_slot *w = workers_add(&f->t);
	int slot;

	assert_non_null(w);
	memset(w, 0, sizeof(*w));
	w->pid = spawn_kid();
	w->tcp = tcp;
	w->stopping = true;
	w->stop_sent_ms = sent_ms;
	w->deadline_ms = sent_ms + 10000;
	w->sb = f->sb;
	slot = scoreboard_claim(f->sb, w->pid, 1, 1);
	assert_true(slot >= 0);
	w->sbslot = slot;
	scoreboard_set_state(scoreboard_slot(f->sb, (size_t)slot), line);
}

/*
 * A worker waiting in accept4() or a receive may have missed its SIGTERM
 * (it landed after the flag test, before the call): a tick later it is
 * told again, TCP or UDP. A TCP worker whose line says it is serving is
 * not: it sees the flag when its client is done, and a signal would
 * restart its blocking receive's timeout.
 */
static void
workers_nudge_idle_not_busy_test(void **state)
{
	struct fixture *f = *state;
	int64_t now = util_now_ms();

	add_stopping(f, true, SB_IDLE, now - 2 * POOL_TICK_MS);
	add_stopping(f, true, SB_BUSY, now - 2 * POOL_TICK_MS);
	add_stopping(f, false, SB_IDLE, now - 2 * POOL_TICK_MS);
	workers_nudge_stopping(&f->t, now);
	assert_true(f->t.w[0].stop_sent_ms == now);
	assert_true(f->t.w[1].stop_sent_ms < now);
	assert_int_equal(kid_was_told(&f->t.w[0]), 1);
	assert_int_equal(kid_was_told(&f->t.w[1]), 0);
	assert_int_equal(kid_was_told(&f->t.w[2]), 1);
}

/* Within a tick of the last SIGTERM nobody is told again: one a tick, not one a loop turn. */
static void
workers_nudge_once_a_tick_test(void **state)
{
	struct fixture *f = *state;
	int64_t now = util_now_ms();

	add_stopping(f, true, SB_IDLE, now - POOL_TICK_MS / 2);
	add_stopping(f, false, SB_IDLE, now - POOL_TICK_MS / 2);
	workers_nudge_stopping(&f->t, now);
	assert_int_equal(kid_was_told(&f->t.w[0]), 0);
	assert_int_equal(kid_was_told(&f->t.w[1]), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(workers_nudge_idle_not_busy_test, setup, teardown),
		cmocka_unit_test_setup_teardown(workers_nudge_once_a_tick_test, setup, teardown),
	};

	return cmocka_run_group_tests_name("workers", tests, NULL, NULL);
}
