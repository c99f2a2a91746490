/* Unit tests of the scoreboard: lines handed out once, clients counted, a worker's one writable page. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "scoreboard.h"

#define LINES	4
#define SVC	7u

/* open() of a /proc/self/fd path fails with this errno while it is not 0 (-Wl,--wrap=open). */
static int fail_proc_reopen;

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);

int
__wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	if (fail_proc_reopen != 0 && strncmp(path, "/proc/self/fd/", 14) == 0) {
		errno = fail_proc_reopen;
		return -1;
	}
	va_start(ap, flags);
	mode = (mode_t)va_arg(ap, int);	/* read whether given or not: harmless, as in glibc */
	va_end(ap);
	return __real_open(path, flags, mode);
}

/* This process's descriptors of memfds named netsrvd-scoreboard. */
static int
board_fds(void)
{
	char path[300], link[128];
	struct dirent *de;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		ssize_t k;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		k = readlink(path, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		n += strstr(link, "memfd:netsrvd-scoreboard") != NULL;
	}
	closedir(dir);
	return n;
}

static int
setup(void **state)
{
	*state = scoreboard_create(LINES);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	scoreboard_destroy(*state);
	return 0;
}

static struct sockaddr_storage
addr(const char *text, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

/* Line i of service svc, busy with client text. */
static struct sb_slot *
busy(struct scoreboard *sb, uint32_t svc, const char *text)
{
	struct sockaddr_storage ss = addr(text, 40000);
	int i = scoreboard_claim(sb, 100, svc, 1);
	struct sb_slot *s;

	assert_true(i >= 0);
	s = scoreboard_slot(sb, (size_t)i);
	scoreboard_begin(s, (struct sockaddr *)&ss, LOG_PEER_FULL);
	return s;
}

static void
scoreboard_claim_release_test(void **state)
{
	struct scoreboard *sb = *state;
	struct sb_slot *s;
	int i = scoreboard_claim(sb, 1234, SVC, 3);

	assert_int_equal(i, 0);
	s = scoreboard_slot(sb, 0);
	assert_int_equal(s->pid, 1234);
	assert_int_equal(s->service, SVC);
	assert_int_equal(s->generation, 3);
	assert_int_equal(atomic_load(&s->state), SB_STARTING);
	scoreboard_release(sb, i);
	assert_int_equal(atomic_load(&s->state), SB_FREE);
	/* a released line is the first one handed out again, clean */
	atomic_store(&s->counters.bytes_in, 99);
	assert_int_equal(scoreboard_claim(sb, 5678, SVC, 4), 0);
	assert_int_equal(s->pid, 5678);
	assert_int_equal(atomic_load(&s->counters.bytes_in), 0);
}

static void
scoreboard_taken_once_test(void **state)
{
	struct scoreboard *sb = *state;
	bool seen[LINES] = { false };

	for (int n = 0; n < LINES; n++) {
		int i = scoreboard_claim(sb, 100 + n, SVC, 1);
		assert_true(i >= 0 && i < LINES);
		assert_false(seen[i]);
		seen[i] = true;
	}
	/* full: no line, rather than one that is taken */
	assert_int_equal(scoreboard_claim(sb, 200, SVC, 1), -1);
	scoreboard_release(sb, 2);
	assert_int_equal(scoreboard_claim(sb, 201, SVC, 1), 2);
	assert_int_equal(scoreboard_claim(sb, 202, SVC, 1), -1);
}

static void
scoreboard_release_out_of_range_test(void **state)
{
	struct scoreboard *sb = *state;

	for (int n = 0; n < LINES; n++)
		assert_int_equal(scoreboard_claim(sb, 100 + n, SVC, 1), n);
	scoreboard_release(sb, -1);
	scoreboard_release(sb, LINES);
	scoreboard_release(sb, 1 << 30);
	/* nothing was freed: every line is still taken and still starting */
	assert_int_equal(scoreboard_claim(sb, 200, SVC, 1), -1);
	for (size_t i = 0; i < LINES; i++)
		assert_int_equal(atomic_load(&scoreboard_slot(sb, i)->state), SB_STARTING);
}

static void
scoreboard_busy_from_v4_test(void **state)
{
	struct scoreboard *sb = *state;
	struct sockaddr_storage me = addr("192.0.2.1", 1);
	uint64_t k = scoreboard_source_of((struct sockaddr *)&me);
	struct sb_slot *a = busy(sb, SVC, "192.0.2.1");
	struct sb_slot *b = busy(sb, SVC, "192.0.2.1");
	struct sb_slot *other;

	(void)busy(sb, SVC, "192.0.2.2");		/* another client */
	other = busy(sb, SVC + 1, "192.0.2.1");		/* another service */
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, NULL), 2);
	/* the asking worker does not count itself (b's turn ties with a's: the later line) */
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, b), 1);
	assert_int_equal(scoreboard_busy_from(sb, SVC + 1, k, NULL), 1);
	/* only busy lines count */
	scoreboard_end(a);
	scoreboard_set_state(other, SB_IDLE);
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, NULL), 1);
	assert_int_equal(scoreboard_busy_from(sb, SVC + 1, k, NULL), 0);
}

static void
scoreboard_busy_from_v6_prefix_test(void **state)
{
	struct scoreboard *sb = *state;
	struct sockaddr_storage me = addr("2001:db8:0:1::99", 1);
	uint64_t k = scoreboard_source_of((struct sockaddr *)&me);

	(void)busy(sb, SVC, "2001:db8:0:1::1");
	(void)busy(sb, SVC, "2001:db8:0:1:ffff::2");	/* same /64 */
	(void)busy(sb, SVC, "2001:db8:0:2::1");		/* the next /64 */
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, NULL), 2);
}

/* Line i of service svc, claimed for pid and begun in turn with client text. */
static struct sb_slot *
in_turn(struct scoreboard *sb, pid_t pid, const char *text)
{
	struct sockaddr_storage ss = addr(text, 40000);
	const struct scoreboard *boards[] = { sb };
	int i = scoreboard_claim(sb, pid, SVC, 1);
	struct sb_slot *s;

	assert_true(i >= 0);
	s = scoreboard_slot(sb, (size_t)i);
	scoreboard_begin_in_turn(s, boards, 1, (struct sockaddr *)&ss, LOG_PEER_FULL);
	return s;
}

/*
 * Lines begun in turn count only the lines of their source before them:
 * of any two, exactly one counts the other, whatever their turns (a tie
 * goes by pid); a line begun without a turn (a generation whose service
 * had no max_per_source) counts for every one after it.
 */
static void
scoreboard_in_turn_test(void **state)
{
	struct scoreboard *sb = *state;
	struct sockaddr_storage src = addr("192.0.2.1", 1);
	uint64_t k = scoreboard_source_of((struct sockaddr *)&src);
	struct sb_slot *plain = busy(sb, SVC, "192.0.2.1");
	struct sb_slot *a = in_turn(sb, 201, "192.0.2.1");
	struct sb_slot *b = in_turn(sb, 202, "192.0.2.1");
	struct sb_slot *c = in_turn(sb, 203, "192.0.2.1");

	assert_int_equal(scoreboard_busy_from(sb, SVC, k, a), 1);	/* plain */
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, b), 2);
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, c), 3);
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, NULL), 4);
	atomic_store(&b->turn, atomic_load(&c->turn));
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, b) + scoreboard_busy_from(sb, SVC, k, c), 2 + 3);
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, b), 2);	/* pid 202 before 203 */
	/* the largest turn there is: the next line ties with it, and goes by pid */
	atomic_store(&c->turn, UINT64_MAX);
	scoreboard_end(a);
	scoreboard_release(sb, 1);
	a = in_turn(sb, 200, "192.0.2.1");
	assert_int_equal(atomic_load(&a->turn), UINT64_MAX);
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, a), 2);	/* plain and b, not c */
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, c), 3);
	(void)plain;
}

/* A line that never finishes taking its turn is waited for a bounded while, then counted. */
static void
scoreboard_stuck_choosing_test(void **state)
{
	struct scoreboard *sb = *state;
	struct sockaddr_storage src = addr("192.0.2.1", 1);
	uint64_t k = scoreboard_source_of((struct sockaddr *)&src);
	struct sb_slot *a = in_turn(sb, 201, "192.0.2.1");
	struct sb_slot *stuck = in_turn(sb, 202, "192.0.2.1");

	atomic_store(&stuck->choosing, 1);
	atomic_store(&stuck->turn, atomic_load(&a->turn) + 1000);
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, a), 1);
	atomic_store(&stuck->choosing, 0);
	assert_int_equal(scoreboard_busy_from(sb, SVC, k, a), 0);
}

/*
 * Two workers (processes) take a source's one place at the same moment,
 * round after round: exactly one of them gets it each time. Counting each
 * other, both would refuse; missing each other, both would be admitted.
 */
#define RACE_ROUNDS 20000

struct race {
	_Atomic int phase[2];			/* each side's step; only ever grows */
	_Atomic int admitted[RACE_ROUNDS];	/* per round: how many took the place */
};

/* Both sides have reached step p. */
static void
race_step(struct race *r, int me, int p)
{
	atomic_store(&r->phase[me], p);
	while (atomic_load(&r->phase[!me]) < p)
		;
}

static void
race_rounds(struct scoreboard *sb, struct race *r, int me, struct sb_slot *line)
{
	struct sockaddr_storage src = addr("192.0.2.1", 1);
	const struct scoreboard *boards[] = { sb };
	uint64_t k = scoreboard_source_of((struct sockaddr *)&src);

	for (int round = 0; round < RACE_ROUNDS; round++) {
		race_step(r, me, 3 * round + 1);	/* both idle: begin together */
		scoreboard_begin_in_turn(line, boards, 1, (struct sockaddr *)&src, LOG_PEER_FULL);
		if (scoreboard_busy_from(sb, SVC, k, line) < 1)
			atomic_fetch_add(&r->admitted[round], 1);
		race_step(r, me, 3 * round + 2);	/* both decided: end */
		scoreboard_end(line);
		race_step(r, me, 3 * round + 3);
	}
}

static void
scoreboard_in_turn_race_test(void **state)
{
	struct scoreboard *sb = *state;
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct sb_slot *line[2];
	int status, ones = 0;
	pid_t kid;

	assert_true(r != MAP_FAILED);
	for (int i = 0; i < 2; i++)
		line[i] = scoreboard_slot(sb, (size_t)scoreboard_claim(sb, 300 + i, SVC, 1));
	kid = fork();
	assert_true(kid != -1);
	if (kid == 0) {
		race_rounds(sb, r, 1, line[1]);
		_exit(0);
	}
	race_rounds(sb, r, 0, line[0]);
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		if (atomic_load(&r->admitted[round]) != 1)
			fail_msg("round %d: %d of 2 took the one place", round, atomic_load(&r->admitted[round]));
		ones++;
	}
	assert_int_equal(ones, RACE_ROUNDS);
	munmap(r, sizeof(*r));
}

/*
 * With log_peer prefix or none, the line never holds the whole address
 * (nor the port): the worker masks it before it writes. The source
 * digest still tells the clients apart.
 */
static void
scoreboard_begin_masks_test(void **state)
{
	static const unsigned char v4_24[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 0 };
	static const unsigned char v6_48[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	static const unsigned char zero[16];
	struct scoreboard *sb = *state;
	struct sockaddr_storage a4 = addr("192.0.2.33", 4242), b4 = addr("192.0.2.34", 4242);
	struct sockaddr_storage a6 = addr("2001:db8:1:2::5", 65535);
	struct sb_slot *s = scoreboard_slot(sb, (size_t)scoreboard_claim(sb, 100, SVC, 1));
	char buf[96];

	scoreboard_begin(s, (struct sockaddr *)&a4, LOG_PEER_PREFIX);
	assert_memory_equal(s->peer, v4_24, 16);
	assert_int_equal(atomic_load(&s->peer_port), 0);
	scoreboard_format_peer(s, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.0/24");
	assert_int_equal(atomic_load(&s->source), scoreboard_source_of((struct sockaddr *)&a4));
	assert_true(scoreboard_source_of((struct sockaddr *)&a4) != scoreboard_source_of((struct sockaddr *)&b4));

	scoreboard_begin(s, (struct sockaddr *)&a6, LOG_PEER_PREFIX);
	assert_memory_equal(s->peer, v6_48, 16);
	scoreboard_format_peer(s, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1::/48");

	scoreboard_begin(s, (struct sockaddr *)&a6, LOG_PEER_NONE);
	assert_memory_equal(s->peer, zero, 16);
	assert_int_equal(atomic_load(&s->peer_port), 0);
	scoreboard_format_peer(s, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	assert_int_equal(atomic_load(&s->source), scoreboard_source_of((struct sockaddr *)&a6));

	scoreboard_begin(s, (struct sockaddr *)&a4, LOG_PEER_FULL);
	scoreboard_format_peer(s, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.33:4242");

	/* a mode the worker never wrote (the line is untrusted): nothing shown */
	atomic_store(&s->peer_shown, 42);
	scoreboard_format_peer(s, buf, sizeof(buf));
	assert_string_equal(buf, "-");
}

static void
scoreboard_peer_key_test(void **state)
{
	static const unsigned char v4[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 33 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };
	static const unsigned char zero[16];
	struct sockaddr_storage a4 = addr("192.0.2.33", 4242);
	struct sockaddr_storage a6 = addr("2001:db8::5", 65535);
	struct sockaddr_storage unix_like;
	unsigned char k[16];
	uint16_t port;

	(void)state;
	scoreboard_peer_key((struct sockaddr *)&a4, k, &port);
	assert_memory_equal(k, v4, 16);
	assert_int_equal(port, 4242);
	scoreboard_peer_key((struct sockaddr *)&a6, k, &port);
	assert_memory_equal(k, v6, 16);
	assert_int_equal(port, 65535);
	/* any other family: no address, port 0 */
	memset(&unix_like, 0xaa, sizeof(unix_like));
	unix_like.ss_family = AF_UNIX;
	scoreboard_peer_key((struct sockaddr *)&unix_like, k, &port);
	assert_memory_equal(k, zero, 16);
	assert_int_equal(port, 0);
}

/*
 * In a child, as in a worker: confined to line 1, every other line's page
 * cannot be made writable again (EACCES: it is mapped from a read-only
 * descriptor), and its own line takes a write the parent then sees.
 * Exit status: 0, or the number of the check that failed.
 */
static int
confined_child(struct scoreboard *sb)
{
	if (scoreboard_confine(sb, 1) == -1)
		return 1;
	for (size_t i = 0; i < LINES; i++) {
		int r = mprotect(scoreboard_slot(sb, i), sb->stride, PROT_READ | PROT_WRITE);

		if (i != 1 && (r != -1 || errno != EACCES))
			return 2;
		if (i == 1 && r != 0)
			return 3;
	}
	atomic_store(&scoreboard_slot(sb, 1)->counters.bytes_out, 4242);
	return 0;
}

static void
scoreboard_confine_test(void **state)
{
	struct scoreboard *sb = *state;
	int st;
	pid_t pid;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(confined_child(sb));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(atomic_load(&scoreboard_slot(sb, 1)->counters.bytes_out), 4242);
	assert_int_equal(atomic_load(&scoreboard_slot(sb, 0)->counters.bytes_out), 0);
}

/*
 * No read-only reopen (EMFILE, no /proc), no scoreboard: a board its
 * workers could all write is never made (fail closed), and nothing leaks.
 */
static void
scoreboard_reopen_fails_closed_test(void **state)
{
	struct scoreboard *sb;
	int before = board_fds();

	(void)state;
	fail_proc_reopen = EMFILE;
	sb = scoreboard_create(LINES);
	fail_proc_reopen = 0;
	if (sb != NULL) {
		scoreboard_destroy(sb);
		fail_msg("a scoreboard was made without its read-only view");
	}
	assert_int_equal(board_fds(), before);
}

/*
 * In a child, as in a worker of a newer generation: confined to no line,
 * every line of the retired board is read-only for good. Exit status: 0,
 * or the number of the check that failed.
 */
static int
retired_child(struct scoreboard *sb)
{
	if (shm_confine(&sb->shm, 0, 0) == -1)
		return 1;
	for (size_t i = 0; i < LINES; i++)
		if (mprotect(scoreboard_slot(sb, i), sb->stride, PROT_READ | PROT_WRITE) != -1 ||
		    errno != EACCES)
			return 2;
	return board_fds() == 0 ? 0 : 3;
}

/*
 * A retired generation's board keeps no descriptor, only its mappings: the
 * master still frees lines in it, and a newer worker still gets it
 * read-only and nothing more.
 */
static void
scoreboard_retired_keeps_no_fd_test(void **state)
{
	struct scoreboard *sb = *state;
	int line = scoreboard_claim(sb, 42, SVC, 1), st;
	pid_t pid;

	assert_int_equal(line, 0);
	assert_true(board_fds() >= 1);
	scoreboard_retire(sb);
	assert_int_equal(board_fds(), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		_exit(retired_child(sb));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	scoreboard_release(sb, line);
	assert_int_equal(atomic_load(&scoreboard_slot(sb, 0)->state), SB_FREE);
}

/* Remembers the lines scoreboard_each_live visits, in order. */
struct visits {
	const struct sb_slot *line[8];
	size_t n;
};

static void
note_visit(const struct sb_slot *line, void *arg)
{
	struct visits *v = arg;

	if (v->n < 8)
		v->line[v->n] = line;
	v->n++;
}

/* Whether the page at p is in this process's page tables (mincore). */
static bool
resident(const void *p)
{
	unsigned char vec = 0;

	assert_int_equal(mincore((void *)(uintptr_t)p, 1, &vec), 0);
	return (vec & 1) != 0;
}

/*
 * The readers visit the lines the master gave a worker, in order, and
 * no other: a line never taken stays untouched (not even faulted in),
 * however large the board.
 */
static void
scoreboard_each_live_test(void **state)
{
	struct scoreboard *sb = scoreboard_create(200);
	struct visits v = { .n = 0 };
	int a, b, c;

	(void)state;
	assert_non_null(sb);
	a = scoreboard_claim(sb, 1, SVC, 1);
	b = scoreboard_claim(sb, 2, SVC, 1);
	c = scoreboard_claim(sb, 3, SVC, 1);
	scoreboard_release(sb, b);
	scoreboard_each_live(sb, note_visit, &v);
	assert_int_equal(v.n, 2);
	assert_ptr_equal(v.line[0], scoreboard_slot(sb, (size_t)a));
	assert_ptr_equal(v.line[1], scoreboard_slot(sb, (size_t)c));
	for (size_t i = 3; i < 200; i++)
		assert_false(resident(scoreboard_slot(sb, i)));
	/* a line past 64 is found in the next word of the bitmap */
	for (int i = 3; i < 70; i++)
		assert_true(scoreboard_claim(sb, 9, SVC, 1) >= 0);
	v.n = 0;
	scoreboard_each_live(sb, note_visit, &v);
	assert_int_equal(v.n, 69);
	assert_false(resident(scoreboard_slot(sb, 199)));
	scoreboard_destroy(sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(scoreboard_claim_release_test, setup, teardown),
		cmocka_unit_test(scoreboard_each_live_test),
		cmocka_unit_test_setup_teardown(scoreboard_taken_once_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_release_out_of_range_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_busy_from_v4_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_busy_from_v6_prefix_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_in_turn_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_stuck_choosing_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_in_turn_race_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_peer_key_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_begin_masks_test, setup, teardown),
		cmocka_unit_test_setup_teardown(scoreboard_confine_test, setup, teardown),
		cmocka_unit_test(scoreboard_reopen_fails_closed_test),
		cmocka_unit_test_setup_teardown(scoreboard_retired_keeps_no_fd_test, setup, teardown),
	};

	return cmocka_run_group_tests_name("scoreboard", tests, NULL, NULL);
}
