/* Unit tests of the generation list, driven directly: switch, join and leave, freed when its last worker is gone, sweep. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "generation.h"
#include "harness.h"
#include "listener.h"
#include "scoreboard.h"
#include "stats.h"

struct fixture {
	struct stats *stats;
	struct generation *cur;	/* the list's head, freed whole by teardown */
	int port_a, port_b;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->stats = stats_create(8)) == NULL)
		return -1;
	f->port_a = h_free_port();
	f->port_b = h_free_port();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	generation_free_all(f->cur);
	stats_destroy(f->stats);
	free(f);
	return 0;
}

/* an echo service on 127.0.0.1 with this many workers; its port is the next %d of the format */
#define SVC(name, workers) \
	"{ name = \"" name "\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; " \
	"handler = \"echo\"; workers = " #workers "; }"

/* A generation of echo services on 127.0.0.1: "a", and "b" too if with_b. */
static struct generation *
make(struct fixture *f, bool with_b, unsigned id)
{
	char text[512], err[CONFIG_ERR_MAX];
	struct config *cfg;
	struct listener **reuse = NULL;
	struct generation *g;
	size_t nreuse = 0;

	int n = with_b ?
	    snprintf(text, sizeof(text), "services = ( " SVC("a", 2) ", " SVC("b", 1) " );\n",
	    f->port_a, f->port_b) :
	    snprintf(text, sizeof(text), "services = ( " SVC("a", 2) " );\n", f->port_a);

	assert_true(n > 0 && (size_t)n < sizeof(text));
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	if (f->cur != NULL) {
		reuse = generation_sockets(f->cur, &nreuse);
		assert_non_null(reuse);
	}
	g = generation_create(cfg, reuse, nreuse, f->stats, id, err, sizeof(err));
	free(reuse);
	if (g == NULL)
		fail_msg("%s", err);
	assert_int_equal(generation_down(g), 0);
	return g;
}

static bool
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static size_t
older_count(const struct generation *g)
{
	size_t n = 0;

	for (g = g->older; g != NULL; g = g->older)
		n++;
	return n;
}

/*
 * The new generation leads the list, the old one drains behind it with
 * its configuration gone; a socket only the old one used stops
 * accepting, one both use is the same socket; the statistics say which
 * services run now.
 */
static void
generation_switch_test(void **state)
{
	struct fixture *f = *state;
	struct generation *g1, *g2;
	struct listener *a, *b;

	f->cur = g1 = make(f, true, 1);
	assert_int_equal(g1->nsvcs, 2);
	a = g1->svcs[0].ls;
	b = g1->svcs[1].ls;
	g2 = make(f, false, 2);
	assert_ptr_equal(g2->svcs[0].ls, a);	/* kept, not bound anew */

	generation_switch(&f->cur, g2, f->stats);
	assert_ptr_equal(f->cur, g2);
	assert_ptr_equal(g2->older, g1);
	assert_null(g1->cfg);
	assert_null(g1->svcs[0].cfg);
	assert_true(b->paused);
	assert_false(a->paused);
	assert_int_equal(atomic_load(&f->stats->state[0]), SVC_UP);		/* a */
	assert_int_equal(atomic_load(&f->stats->state[1]), SVC_UNCONFIGURED);	/* b */
}

/* A generation counts the workers it has, per service and in all. */
static void
generation_join_leave_test(void **state)
{
	struct fixture *f = *state;
	struct generation *g;

	f->cur = g = make(f, true, 1);
	generation_join(g, 0);
	generation_join(g, 0);
	generation_join(g, 1);
	assert_int_equal(g->svcs[0].running, 2);
	assert_int_equal(g->svcs[1].running, 1);
	assert_int_equal(g->live, 3);
	generation_leave(g, 0);
	assert_int_equal(g->svcs[0].running, 1);
	assert_int_equal(g->svcs[1].running, 1);
	assert_int_equal(g->live, 2);
}

/*
 * A retired generation stays while a worker of its own lives, and goes
 * with the last one: the next sweep frees it, and with it the socket no
 * newer generation uses.
 */
static void
generation_freed_when_last_worker_gone_test(void **state)
{
	struct fixture *f = *state;
	struct generation *g1, *g2;
	int fd_b;

	f->cur = g1 = make(f, true, 1);
	fd_b = g1->svcs[1].ls->fd;
	generation_join(g1, 1);
	generation_switch(&f->cur, make(f, false, 2), f->stats);
	g2 = f->cur;
	generation_sweep(g2);
	assert_ptr_equal(g2->older, g1);	/* its worker still serves */
	assert_true(is_open(fd_b));

	generation_leave(g1, 1);
	generation_sweep(g2);
	assert_null(g2->older);
	assert_false(is_open(fd_b));
	assert_true(is_open(g2->svcs[0].ls->fd));
}

/* The sweep takes out every drained generation, wherever it is in the list, and keeps the order of the rest. */
static void
generation_sweep_test(void **state)
{
	struct fixture *f = *state;
	struct generation *g1, *g2, *g3, *g4;

	f->cur = g1 = make(f, true, 1);
	generation_join(g1, 0);
	generation_switch(&f->cur, g2 = make(f, true, 2), f->stats);
	generation_join(g2, 0);
	generation_switch(&f->cur, g3 = make(f, true, 3), f->stats);
	/* g3 has no worker: it drains at once once it is not the current one */
	generation_switch(&f->cur, g4 = make(f, true, 4), f->stats);
	assert_int_equal(older_count(g4), 3);

	generation_sweep(g4);
	assert_int_equal(older_count(g4), 2);
	assert_ptr_equal(g4->older, g2);
	assert_ptr_equal(g2->older, g1);

	generation_leave(g2, 0);
	generation_sweep(g4);
	assert_ptr_equal(g4->older, g1);
	assert_null(g1->older);

	generation_leave(g1, 0);
	generation_sweep(g4);
	assert_null(g4->older);
	assert_int_equal(g4->live, 0);	/* the current one is never swept, workers or not */
	assert_ptr_equal(f->cur, g4);
}

/*
 * A new worker reads its own generation's board first, then the older
 * ones', which become read-only to it. Checked in a child, as the new
 * worker it stands for: the confinement is for good.
 */
static void
generation_boards_test(void **state)
{
	struct fixture *f = *state;
	struct generation *g1, *g2;
	pid_t pid;
	int st;

	f->cur = g1 = make(f, true, 1);
	generation_join(g1, 0);
	generation_switch(&f->cur, g2 = make(f, true, 2), f->stats);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		size_t n = 0;
		const struct scoreboard **boards = generation_boards(g2, &n);

		_exit(boards != NULL && n == 2 && boards[0] == g2->sb && boards[1] == g1->sb ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(generation_switch_test, setup, teardown),
		cmocka_unit_test_setup_teardown(generation_join_leave_test, setup, teardown),
		cmocka_unit_test_setup_teardown(generation_freed_when_last_worker_gone_test, setup, teardown),
		cmocka_unit_test_setup_teardown(generation_sweep_test, setup, teardown),
		cmocka_unit_test_setup_teardown(generation_boards_test, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
