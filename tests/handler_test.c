/* Unit tests of the service handlers: exact bytes, UDP answers, TCP sessions over socketpairs. */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "config.h"
#include "handler.h"
#include "handler_chargen.h"
#include "handler_daytime.h"
#include "handler_time.h"
#include "handler_chargen.h"
#include "handler_daytime.h"
#include "handler_qotd.h"
#include "handler_time.h"
#include "io.h"
#include "quotes.h"
#include "util.h"

/* Every blocking step of a test is bounded by one of these. */
#define PEER_IO_TIMEOUT_S	10	/* SO_RCVTIMEO / SO_SNDTIMEO on the client end */
#define PEER_ALARM_S		60	/* a forked peer dies of SIGALRM past this */
#define SERVER_TIMEOUT_MS	10000	/* the handler's no-progress limit */

#define BIG			(10u * 1024 * 1024)

/* The worker's buffer: the smallest size handlers may assume. */
/*
 * The handlers read CLOCK_REALTIME; time(NULL) is the coarse clock and may
 * still show the previous second, so the tests read the same clock.
 */
static time_t
realtime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static unsigned char session_buf[64 * 1024];

/* The UDP output buffer, as large as the worker promises. */
static unsigned char udp_out[65536];
static unsigned char udp_in[65536];

/* ---- reference implementations, written for clarity, not speed ---- */

/* Byte pos of the TCP chargen stream, straight from RFC 864's wording. */
static unsigned char
chargen_ref(uint64_t pos)
{
	uint64_t line = pos / CHARGEN_LINE_BYTES;
	uint64_t col = pos % CHARGEN_LINE_BYTES;

	if (col < CHARGEN_LINE_CHARS)
		return (unsigned char)(32 + (line + col) % 95);
	return col == CHARGEN_LINE_CHARS ? '\r' : '\n';
}

static void
assert_chargen_at(const unsigned char *buf, size_t len, uint64_t pos)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != chargen_ref(pos + i))
			fail_msg("chargen byte %zu after offset %llu: got %d, want %d",
			    i, (unsigned long long)pos, buf[i], chargen_ref(pos + i));
}

static void
chargen_line(unsigned k, char out[CHARGEN_LINE_BYTES + 1])
{
	chargen_fill((unsigned char *)out, CHARGEN_LINE_BYTES,
	    (uint64_t)k * CHARGEN_LINE_BYTES);
	out[CHARGEN_LINE_BYTES] = '\0';
}

/* ---- socketpair sessions ---- */

struct pair {
	int fd[2];		/* [0] the server's end; [1] the client's */
	struct tcp_session s;
};

/*
 * Sessions run on a non-blocking server end, where every wait is a poll(),
 * or, as in the worker, on a blocking one (s.blocking), where waiting for
 * input is a blocking recv() under SO_RCVTIMEO. The "_blocking" entries
 * run a test again in the second way.
 */
static bool pair_blocking;

static int
blocking_on(void **state)
{
	(void)state;
	pair_blocking = true;
	alarm(120);	/* a blocking recv without its timeout would hang: die instead */
	return 0;
}

static int
blocking_off(void **state)
{
	(void)state;
	pair_blocking = false;
	alarm(0);
	return 0;
}

static void
pair_open(struct pair *p, int timeout_ms, const struct service_config *svc)
{
	struct timeval tv = { PEER_IO_TIMEOUT_S, 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fd), 0);
	if (!pair_blocking)
		assert_int_equal(util_set_nonblock(p->fd[0], 1), 0);
	assert_int_equal(setsockopt(p->fd[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(setsockopt(p->fd[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	memset(&p->s, 0, sizeof(p->s));
	p->s.fd = p->fd[0];
	p->s.svc = svc;
	p->s.buf = session_buf;
	p->s.bufsize = sizeof(session_buf);
	p->s.timeout_ms = timeout_ms;
	p->s.blocking = pair_blocking;
}

static void
pair_close(struct pair *p)
{
	for (int i = 0; i < 2; i++)
		if (p->fd[i] != -1) {
			assert_int_equal(close(p->fd[i]), 0);
			p->fd[i] = -1;
		}
}

/* Reads up to len bytes until EOF; bounded by SO_RCVTIMEO. -1 on error. */
static ssize_t
read_until_eof(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

typedef int (*peer_fn)(int fd, void *arg);

/*
 * The client runs in a forked child, so the handler under test runs here
 * and its result and counters can be asserted on. The child reports by
 * exit status only: cmocka's asserts must not run after fork.
 */
static pid_t
peer_start(struct pair *p, peer_fn fn, void *arg)
{
	pid_t pid = fork();

	assert_int_not_equal(pid, -1);
	if (pid == 0) {
		close(p->fd[0]);
		alarm(PEER_ALARM_S);
		_exit(fn(p->fd[1], arg));
	}
	assert_int_equal(close(p->fd[1]), 0);
	p->fd[1] = -1;
	return pid;
}

/* Closes the server's end, as the worker would, and collects the peer. */
static void
peer_finish(struct pair *p, pid_t pid)
{
	pid_t r;
	int st;

	pair_close(p);
	do
		r = waitpid(pid, &st, 0);
	while (r == -1 && errno == EINTR);
	assert_int_equal(r, pid);
	if (!WIFEXITED(st))
		fail_msg("peer died of signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* A pattern with no short period, so a lost or repeated chunk shows. */
static void
fill_pattern(unsigned char *buf, size_t len)
{
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 24);
	}
}

/* ---- the table ---- */

/* Whether h declares key as one its services must set. */
static bool
requires_key(const struct handler *h, const char *key)
{
	for (size_t k = 0; k < h->nkeys; k++)
		if (h->keys[k].required && strcmp(h->keys[k].name, key) == 0)
			return true;
	return false;
}

static void
handler_table_test(void **state)
{
	static const char *const names[] = {
		"echo", "discard", "chargen", "daytime", "time", "qotd", "status", "exec", "redirect",
	};
	char joined[128] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct handler *h = handler_find(names[i]);

		assert_non_null(h);
		assert_string_equal(h->name, names[i]);
		assert_non_null(h->serve_tcp);
		/* status and redirect are TCP only: the config refuses them on UDP; exec serves the socket itself */
		assert_true(h->answer_udp != NULL || strcmp(names[i], "status") == 0 ||
		    strcmp(names[i], "redirect") == 0 ||
		    (strcmp(names[i], "exec") == 0 && h->serve_socket != NULL));
		/* only exec runs programs */
		assert_int_equal(h->runs_programs, strcmp(names[i], "exec") == 0);
		/* only redirect's workers get sockets to the network past their filter */
		assert_int_equal(h->connects_out, strcmp(names[i], "redirect") == 0);
		/* qotd, and only it, needs its quotes file */
		assert_int_equal(requires_key(h, "quotes"), strcmp(names[i], "qotd") == 0);
		/* what netsrvd -s looks for */
		assert_int_equal(h->reports_status, strcmp(names[i], "status") == 0);
		/* inetd's and xinetd's internal services, which --import maps by name */
		assert_int_equal(handler_is_internal(h), strcmp(names[i], "qotd") != 0 &&
		    strcmp(names[i], "status") != 0 && strcmp(names[i], "exec") != 0 &&
		    strcmp(names[i], "redirect") != 0);
		if (i > 0)
			strcat(joined, ", ");
		strcat(joined, names[i]);
	}
	assert_string_equal(handler_names(), joined);
	assert_ptr_equal(handler_find("echo"), &handler_echo);
	assert_null(handler_find("ECHO"));
	assert_null(handler_find("echoo"));
	assert_null(handler_find(""));
	assert_null(handler_find(NULL));
	assert_false(handler_is_internal(NULL));

	assert_string_equal(session_end_name(END_DONE), "done");
	assert_string_equal(session_end_name(END_CLIENT_CLOSED), "closed");
	assert_string_equal(session_end_name(END_TIMEOUT), "timeout");
	assert_string_equal(session_end_name(END_RESET), "reset");
	assert_string_equal(session_end_name(END_ERROR), "error");
}

static void
handler_random_test(void **state)
{
	unsigned seen[10] = { 0 };

	(void)state;
	assert_int_equal(handler_random(0), 0);
	assert_int_equal(handler_random(1), 0);
	for (int i = 0; i < 10000; i++) {
		uint32_t r = handler_random(10);

		assert_true(r < 10);
		seen[r]++;
	}
	/* 1000 expected each; 700 is more than 9 standard deviations off. */
	for (int i = 0; i < 10; i++)
		assert_true(seen[i] > 700);
}

/* Forked workers must not share one sequence: each process seeds itself. */
static void
handler_random_fork_test(void **state)
{
	uint32_t mine[4], theirs[4];
	int p[2], st;
	pid_t pid;

	(void)state;
	(void)handler_random(2);	/* seeded here, before the fork */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_int_not_equal(pid, -1);
	if (pid == 0) {
		for (int i = 0; i < 4; i++)
			theirs[i] = handler_random(UINT32_MAX);
		_exit(write(p[1], theirs, sizeof(theirs)) == (ssize_t)sizeof(theirs) ? 0 : 1);
	}
	assert_int_equal(close(p[1]), 0);
	for (int i = 0; i < 4; i++)
		mine[i] = handler_random(UINT32_MAX);
	assert_int_equal(read_until_eof(p[0], theirs, sizeof(theirs)), sizeof(theirs));
	assert_int_equal(close(p[0]), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_memory_not_equal(mine, theirs, sizeof(mine));
}

/* ---- chargen ---- */

/*
 * RFC 864 numbers the 95 printing characters 0..94 in sorted order (space
 * first) and puts numbers 0..71 on line 0. Its example listing begins
 * with the line '!'..'h', which is numbers 1..72: line 1. So line 0 starts
 * with a space, and the example's lines are our lines 1, 2, 3, ...
 * (see handler_chargen.c for the whole argument).
 */
static const char *const rfc864_example[] = {
	"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh",
	"\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi",
	"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghij",
	"$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijk",
	"%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijkl",
	"&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklm",
	"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmn",
	"()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmno",
	")*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnop",
	"*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopq",
};

static void
handler_chargen_first_lines_test(void **state)
{
	char line[CHARGEN_LINE_BYTES + 1], want[CHARGEN_LINE_BYTES + 1];

	(void)state;
	chargen_line(0, line);
	assert_string_equal(line,
	    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n");
	for (unsigned k = 0; k < sizeof(rfc864_example) / sizeof(rfc864_example[0]); k++) {
		assert_int_equal(strlen(rfc864_example[k]), CHARGEN_LINE_CHARS);
		snprintf(want, sizeof(want), "%s\r\n", rfc864_example[k]);
		chargen_line(k + 1, line);
		assert_string_equal(line, want);
	}
}

static void
handler_chargen_wrap_test(void **state)
{
	char line[CHARGEN_LINE_BYTES + 1], first[CHARGEN_LINE_BYTES + 1];

	(void)state;
	/* Line 55 wraps mid-line: 'W' (87) .. '~' (126), then ' ' .. '?'. */
	chargen_line(55, line);
	assert_string_equal(line,
	    "WXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~ !\"#$%&'()*+,-./0123456789:;<=>?\r\n");
	chargen_line(94, line);
	assert_string_equal(line,
	    "~ !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdef\r\n");
	/* After 95 lines the rotation starts over. */
	chargen_line(0, first);
	chargen_line(95, line);
	assert_string_equal(line, first);
	chargen_line(95 * 1000 + 1, line);
	assert_memory_equal(line, rfc864_example[0], CHARGEN_LINE_CHARS);

	/* Every line of two periods, each character 32..126, lines CRLF-ended. */
	for (unsigned k = 0; k < 2 * 95; k++) {
		chargen_line(k, line);
		assert_int_equal((unsigned char)line[0], 32 + k % 95);
		for (int i = 0; i < CHARGEN_LINE_CHARS; i++)
			assert_true(line[i] >= 32 && line[i] <= 126);
		assert_memory_equal(line + CHARGEN_LINE_CHARS, "\r\n", 2);
	}
	assert_int_equal(CHARGEN_PERIOD, 95 * 74);
}

/* chargen_fill from any offset, for any length, equals the RFC's stream. */
static void
handler_chargen_fill_test(void **state)
{
	static const uint64_t pos[] = {
		0, 1, 71, 72, 73, 74, 75, CHARGEN_PERIOD - 1, CHARGEN_PERIOD,
		CHARGEN_PERIOD + 3, 123456789, (UINT64_C(1) << 40) + 7,
	};
	static const size_t len[] = { 0, 1, 2, 72, 73, 74, 75, 1000, 3 * CHARGEN_PERIOD + 5 };
	static unsigned char buf[3 * CHARGEN_PERIOD + 6];

	(void)state;
	for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++)
		for (size_t j = 0; j < sizeof(len) / sizeof(len[0]); j++) {
			memset(buf, 0, sizeof(buf));
			chargen_fill(buf, len[j], pos[i]);
			assert_chargen_at(buf, len[j], pos[i]);
			/* Not a byte past the end. */
			assert_int_equal(buf[len[j]], 0);
		}
}

static void
handler_chargen_udp_test(void **state)
{
	bool line_seen[95] = { false };
	size_t minlen = SIZE_MAX, maxlen = 0, lines = 0;

	(void)state;
	memset(udp_in, 'x', 512);
	for (int i = 0; i < 3000; i++) {
		ssize_t n = handler_chargen.answer_udp(NULL, udp_in, 512, udp_out, sizeof(udp_out));

		assert_true(n >= 0 && n <= 512);
		if ((size_t)n < minlen)
			minlen = (size_t)n;
		if ((size_t)n > maxlen)
			maxlen = (size_t)n;
		if (n == 0)
			continue;
		/* The stream from the start of the line its first byte names. */
		assert_true(udp_out[0] >= 32 && udp_out[0] <= 126);
		line_seen[udp_out[0] - 32] = true;
		assert_chargen_at(udp_out, (size_t)n,
		    (uint64_t)(udp_out[0] - 32) * CHARGEN_LINE_BYTES);
	}
	for (int i = 0; i < 95; i++)
		lines += line_seen[i];
	/* Uniform over 0..512 and 95 lines: near-certain over 3000 replies. */
	assert_true(minlen <= 20);
	assert_true(maxlen >= 490);
	assert_true(lines >= 90);
}

static int
peer_read_chargen(int fd, void *arg)
{
	size_t want = *(size_t *)arg, got = 0;
	static unsigned char buf[65536];
	ssize_t n;

	while (got < want) {
		size_t ask = want - got < sizeof(buf) ? want - got : sizeof(buf);

		n = read(fd, buf, ask);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return 2;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != chargen_ref(got + (size_t)i))
				return 3;
		got += (size_t)n;
	}
	/* Hang up with the stream still coming, as chargen clients do. */
	return 0;
}

static void
handler_chargen_tcp_test(void **state)
{
	size_t want = 1000 * 1000;
	struct pair p;
	enum session_end e;
	pid_t pid;

	(void)state;
	pair_open(&p, SERVER_TIMEOUT_MS, NULL);
	pid = peer_start(&p, peer_read_chargen, &want);
	e = handler_chargen.serve_tcp(&p.s);
	/* A hang-up while we write: a FIN seen first makes it "closed". */
	assert_true(e == END_RESET || e == END_CLIENT_CLOSED);
	assert_true(p.s.bytes_out >= want);
	assert_int_equal(p.s.bytes_in, 0);
	peer_finish(&p, pid);
}

/* A client that never reads: the writes stall, the timeout ends it. */
static void
handler_chargen_tcp_timeout_test(void **state)
{
	struct pair p;
	int64_t t0, dt;

	(void)state;
	pair_open(&p, 200, NULL);
	t0 = util_now_ms();
	assert_int_equal(handler_chargen.serve_tcp(&p.s), END_TIMEOUT);
	dt = util_now_ms() - t0;
	assert_true(dt >= 190 && dt < 5000);
	assert_true(p.s.bytes_out > 0);
	pair_close(&p);
}

/* ---- time ---- */

static void
handler_time_rfc868_test(void **state)
{
	(void)state;
	/* RFC 868's own examples. */
	assert_int_equal(time_rfc868(-INT64_C(2208988800)), 0);
	assert_int_equal(time_rfc868(0), UINT32_C(2208988800));
	assert_int_equal(time_rfc868(189302400), UINT32_C(2398291200));	/* 1976-01-01 */
	assert_int_equal(time_rfc868(315532800), UINT32_C(2524521600));	/* 1980-01-01 */
	assert_int_equal(time_rfc868(420595200), UINT32_C(2629584000));	/* 1983-05-01 */
	/* 1858-11-17, "-1,297,728,000" in the RFC: its 32-bit pattern. */
	assert_int_equal(time_rfc868(-INT64_C(3506716800)),
	    (uint32_t)(UINT64_C(4294967296) - 1297728000));
	/* 2026-11-25T00:00:00Z and 07:38:47Z */
	assert_int_equal(time_rfc868(1795564800), UINT32_C(4004553600));
	assert_int_equal(time_rfc868(1795592327), UINT32_C(4004581127));
}

static void
handler_time_wrap_2036_test(void **state)
{
	(void)state;
	/* 2036-02-07T06:28:15Z is the last second of era 0 ... */
	assert_int_equal(time_rfc868(2085978495), UINT32_C(0xFFFFFFFF));
	/* ... and 06:28:16Z starts era 1 at 0. */
	assert_int_equal(time_rfc868(2085978496), 0);
	assert_int_equal(time_rfc868(2085978497), 1);
	/* 2106-02-07T06:28:16Z: the end of the 32-bit unix clock, era 1. */
	assert_int_equal(time_rfc868(INT64_C(4294967296)), UINT32_C(2208988800));
}

/* The 4 bytes decode to now, within the test's own clock reads. */
static void
assert_time_bytes_now(const unsigned char *b, time_t before, time_t after)
{
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];

	/* Differences modulo 2^32, so the test also holds across 2036. */
	assert_true((uint32_t)(v - time_rfc868(before)) <=
	    (uint32_t)(time_rfc868(after) - time_rfc868(before)));
}

static void
handler_time_udp_test(void **state)
{
	time_t before, after;
	ssize_t n;

	(void)state;
	before = realtime_now();
	n = handler_time.answer_udp(NULL, NULL, 0, udp_out, sizeof(udp_out));
	after = realtime_now();
	assert_int_equal(n, 4);
	assert_time_bytes_now(udp_out, before, after);
	assert_int_equal(handler_time.answer_udp(NULL, NULL, 0, udp_out, 3), -1);
}

static void
handler_time_tcp_test(void **state)
{
	unsigned char b[16];
	time_t before, after;
	struct pair p;

	(void)state;
	pair_open(&p, SERVER_TIMEOUT_MS, NULL);
	before = realtime_now();
	assert_int_equal(handler_time.serve_tcp(&p.s), END_DONE);
	after = realtime_now();
	assert_int_equal(p.s.bytes_out, 4);
	assert_int_equal(close(p.fd[0]), 0);
	p.fd[0] = -1;
	assert_int_equal(read_until_eof(p.fd[1], b, sizeof(b)), 4);
	assert_time_bytes_now(b, before, after);
	pair_close(&p);
}

/* ---- daytime ---- */

static void
handler_daytime_format_test(void **state)
{
	static const struct {
		time_t t;
		const char *want;
	} cases[] = {
		{ 1795592327, "Wednesday, November 25, 2026 07:38:47-UTC\r\n" },
		{ 0, "Thursday, January 01, 1970 00:00:00-UTC\r\n" },
		{ 951868799, "Tuesday, February 29, 2000 23:59:59-UTC\r\n" },
		{ 946684799, "Friday, December 31, 1999 23:59:59-UTC\r\n" },
		{ 2085978496, "Thursday, February 07, 2036 06:28:16-UTC\r\n" },
	};
	char buf[DAYTIME_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = daytime_format(cases[i].t, buf, sizeof(buf));

		assert_int_equal(n, strlen(cases[i].want));
		assert_string_equal(buf, cases[i].want);
		/* Exactly the room it needs, NUL included, and not a byte less. */
		assert_int_equal(daytime_format(cases[i].t, buf, n + 1), n);
		assert_int_equal(daytime_format(cases[i].t, buf, n), 0);
	}
	/* The longest names fit DAYTIME_MAX: a Wednesday in September. */
	assert_true(daytime_format(1790726400, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "Wednesday, September 30, 2026 00:00:00-UTC\r\n");
}

/* The line equals the format of a second between two clock reads. */
static void
assert_daytime_now(const unsigned char *got, size_t n, time_t before, time_t after)
{
	char want[DAYTIME_MAX];

	for (time_t t = before; t <= after; t++) {
		size_t m = daytime_format(t, want, sizeof(want));

		if (m == n && memcmp(got, want, n) == 0)
			return;
	}
	fail_msg("daytime answer \"%.*s\" is not now", (int)n, (const char *)got);
}

static void
handler_daytime_udp_test(void **state)
{
	time_t before, after;
	ssize_t n;

	(void)state;
	before = realtime_now();
	n = handler_daytime.answer_udp(NULL, (const unsigned char *)"?", 1,
	    udp_out, sizeof(udp_out));
	after = realtime_now();
	assert_true(n > 0);
	assert_daytime_now(udp_out, (size_t)n, before, after);
}

static void
handler_daytime_tcp_test(void **state)
{
	unsigned char b[256];
	time_t before, after;
	struct pair p;
	ssize_t n;

	(void)state;
	pair_open(&p, SERVER_TIMEOUT_MS, NULL);
	before = realtime_now();
	assert_int_equal(handler_daytime.serve_tcp(&p.s), END_DONE);
	after = realtime_now();
	assert_int_equal(close(p.fd[0]), 0);
	p.fd[0] = -1;
	n = read_until_eof(p.fd[1], b, sizeof(b));
	assert_true(n > 0);
	assert_int_equal(p.s.bytes_out, (uint64_t)n);
	assert_daytime_now(b, (size_t)n, before, after);
	pair_close(&p);
}

/* ---- qotd ---- */

static const char quotes_file[] =
    "The first quote.\n"
    "\n"
    "The second,\n"
    "on two lines.\n"
    "%\n"
    "The third.\n";

/* The qotd conf of load_quotes's service: its quotes, as config load leaves them. */
static struct qotd_conf qotd;
#define QUOTES(svc) (((struct qotd_conf *)(svc)->hconf)->quotes)

static void
load_quotes(struct service_config *svc)
{
	char err[256];

	memset(svc, 0, sizeof(*svc));
	memset(&qotd, 0, sizeof(qotd));
	svc->hconf = &qotd;
	if (quotes_parse(quotes_file, sizeof(quotes_file) - 1, "test",
	    &QUOTES(svc), err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(QUOTES(svc).count, 3);
}

/* Which quote the bytes are, or -1. */
static int
which_quote(const struct service_config *svc, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < QUOTES(svc).count; i++)
		if (QUOTES(svc).len[i] == n && memcmp(QUOTES(svc).text[i], b, n) == 0)
			return (int)i;
	return -1;
}

static void
handler_qotd_udp_test(void **state)
{
	struct service_config svc;
	unsigned seen[3] = { 0 };

	(void)state;
	load_quotes(&svc);
	for (int i = 0; i < 300; i++) {
		ssize_t n = handler_qotd.answer_udp(&svc, udp_in, QUOTE_MAX, udp_out,
		    sizeof(udp_out));
		int q;

		assert_true(n > 0);
		q = which_quote(&svc, udp_out, (size_t)n);
		assert_true(q >= 0);
		seen[q]++;
	}
	for (int i = 0; i < 3; i++)
		assert_true(seen[i] > 0);
	assert_memory_equal(QUOTES(&svc).text[1], "The second,\r\non two lines.\r\n",
	    QUOTES(&svc).len[1]);
	/* No quotes, no answer; never a crash. */
	quotes_free(&QUOTES(&svc));
	assert_int_equal(handler_qotd.answer_udp(&svc, NULL, 0, udp_out,
	    sizeof(udp_out)), -1);
}

/*
 * No amplification: a chargen or qotd reply is never longer than the
 * datagram it answers, however small; chargen still spans 0..min(len, 512).
 */
static void
handler_udp_no_amplification_test(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 17, 100, 511, 512, 513, 65507 };
	struct service_config svc;
	size_t shortest;

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t cap = sizes[k] < 512 ? sizes[k] : 512, maxlen = 0;

		for (int i = 0; i < 2000; i++) {
			ssize_t n = handler_chargen.answer_udp(NULL, udp_in, sizes[k], udp_out,
			    sizeof(udp_out));
			assert_true(n >= 0 && (size_t)n <= cap);
			if ((size_t)n > maxlen)
				maxlen = (size_t)n;
		}
		assert_true(maxlen + cap / 20 >= cap);	/* uniform: the top is reached */
	}
	load_quotes(&svc);
	shortest = QUOTES(&svc).len[0];
	for (size_t i = 1; i < QUOTES(&svc).count; i++)
		if (QUOTES(&svc).len[i] < shortest)
			shortest = QUOTES(&svc).len[i];
	for (int i = 0; i < 300; i++) {
		ssize_t n = handler_qotd.answer_udp(&svc, udp_in, 0, udp_out, sizeof(udp_out));
		assert_int_equal(n, -1);
		/* one byte short of the shortest: nothing; exactly it: only that quote */
		n = handler_qotd.answer_udp(&svc, udp_in, shortest - 1, udp_out, sizeof(udp_out));
		assert_int_equal(n, -1);
		n = handler_qotd.answer_udp(&svc, udp_in, shortest, udp_out, sizeof(udp_out));
		assert_true(n == -1 || (size_t)n == shortest);
	}
	quotes_free(&QUOTES(&svc));
}

static void
handler_qotd_tcp_test(void **state)
{
	struct service_config svc;
	unsigned char b[1024];
	struct pair p;
	ssize_t n;

	(void)state;
	load_quotes(&svc);
	pair_open(&p, SERVER_TIMEOUT_MS, &svc);
	assert_int_equal(handler_qotd.serve_tcp(&p.s), END_DONE);
	assert_int_equal(close(p.fd[0]), 0);
	p.fd[0] = -1;
	n = read_until_eof(p.fd[1], b, sizeof(b));
	assert_true(n > 0);
	assert_int_equal(p.s.bytes_out, (uint64_t)n);
	assert_true(which_quote(&svc, b, (size_t)n) >= 0);
	pair_close(&p);
	quotes_free(&QUOTES(&svc));
}

/* ---- echo and discard over UDP ---- */

static void
handler_echo_udp_test(void **state)
{
	static unsigned char in[65507];
	static const size_t sizes[] = { 0, 1, 512, 1472, 65507 };

	(void)state;
	fill_pattern(in, sizeof(in));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(udp_out, 0xAA, sizeof(udp_out));
		assert_int_equal(handler_echo.answer_udp(NULL, in, sizes[i],
		    udp_out, sizeof(udp_out)), (ssize_t)sizes[i]);
		assert_memory_equal(udp_out, in, sizes[i]);
		assert_int_equal(udp_out[sizes[i]], 0xAA);
	}
	/* An empty datagram is answered by an empty one: 0, not -1. */
	assert_int_equal(handler_echo.answer_udp(NULL, NULL, 0, udp_out,
	    sizeof(udp_out)), 0);
	/* More than fits: no answer rather than a cut one. */
	assert_int_equal(handler_echo.answer_udp(NULL, in, 100, udp_out, 99), -1);
}

static void
handler_discard_udp_test(void **state)
{
	(void)state;
	assert_int_equal(handler_discard.answer_udp(NULL,
	    (const unsigned char *)"abc", 3, udp_out, sizeof(udp_out)), -1);
	assert_int_equal(handler_discard.answer_udp(NULL, NULL, 0, udp_out,
	    sizeof(udp_out)), -1);
}

/* ---- echo and discard over TCP ---- */

struct big_data {
	unsigned char *data;
	size_t len;
};

/*
 * A writer that sends the whole 10 MiB in one write() before it reads a
 * byte (a grandchild), and a reader that starts late (the child). A
 * server that blocked writing while input piled up would hang both.
 */
static int
peer_echo_big(int fd, void *arg)
{
	const struct big_data *bd = arg;
	static unsigned char buf[65536];
	size_t got = 0;
	pid_t w, r;
	ssize_t n;
	int st;

	w = fork();
	if (w == -1)
		return 10;
	if (w == 0) {
		size_t off = 0;

		alarm(PEER_ALARM_S);
		while (off < bd->len) {
			n = write(fd, bd->data + off, bd->len - off);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		_exit(shutdown(fd, SHUT_WR) == 0 ? 0 : 2);
	}
	/* Let the writer fill every buffer on the way first. */
	if (poll(NULL, 0, 200) == -1)
		return 11;
	while (got < bd->len) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return 12;
		if ((size_t)n > bd->len - got ||
		    memcmp(buf, bd->data + got, (size_t)n) != 0)
			return 13;
		got += (size_t)n;
	}
	/* Nothing more: the server's close is the next thing we see. */
	if (read(fd, buf, sizeof(buf)) != 0)
		return 14;
	do
		r = waitpid(w, &st, 0);
	while (r == -1 && errno == EINTR);
	if (r != w || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 15;
	return 0;
}

static void
handler_echo_tcp_big_test(void **state)
{
	struct big_data bd;
	struct pair p;
	int64_t t0;
	pid_t pid;

	(void)state;
	bd.len = BIG;
	bd.data = malloc(bd.len);
	assert_non_null(bd.data);
	fill_pattern(bd.data, bd.len);
	pair_open(&p, SERVER_TIMEOUT_MS, NULL);
	t0 = util_now_ms();
	pid = peer_start(&p, peer_echo_big, &bd);
	/* The writer's shutdown(SHUT_WR) ends it: a half-close, all echoed. */
	assert_int_equal(handler_echo.serve_tcp(&p.s), END_CLIENT_CLOSED);
	assert_int_equal(p.s.bytes_in, BIG);
	assert_int_equal(p.s.bytes_out, BIG);
	peer_finish(&p, pid);
	assert_true(util_now_ms() - t0 < 60000);
	free(bd.data);
}

/* A half-close: the client sends, shuts down its side, then reads. */
static void
handler_echo_tcp_halfclose_test(void **state)
{
	static const char msg[] = "hello, echo\r\nsecond line without end";
	char b[128];
	struct pair p;

	(void)state;
	pair_open(&p, SERVER_TIMEOUT_MS, NULL);
	assert_int_equal(write(p.fd[1], msg, sizeof(msg) - 1), sizeof(msg) - 1);
	assert_int_equal(shutdown(p.fd[1], SHUT_WR), 0);
	assert_int_equal(handler_echo.serve_tcp(&p.s), END_CLIENT_CLOSED);
	assert_int_equal(p.s.bytes_in, sizeof(msg) - 1);
	assert_int_equal(p.s.bytes_out, sizeof(msg) - 1);
	assert_int_equal(close(p.fd[0]), 0);
	p.fd[0] = -1;
	assert_int_equal(read_until_eof(p.fd[1], b, sizeof(b)), sizeof(msg) - 1);
	assert_memory_equal(b, msg, sizeof(msg) - 1);
	pair_close(&p);
}

/* A client that says nothing: no progress for timeout_ms ends it. */
static void
handler_echo_tcp_timeout_test(void **state)
{
	struct pair p;
	int64_t t0, dt;

	(void)state;
	pair_open(&p, 200, NULL);
	t0 = util_now_ms();
	assert_int_equal(handler_echo.serve_tcp(&p.s), END_TIMEOUT);
	dt = util_now_ms() - t0;
	assert_true(dt >= 190 && dt < 5000);
	assert_int_equal(p.s.rcvtimeo_set, pair_blocking);	/* the wait it was meant to take */
	assert_int_equal(p.s.bytes_in, 0);
	assert_int_equal(p.s.bytes_out, 0);
	pair_close(&p);
}

/* The timer measures idleness, not the session: progress restarts it. */
static int
peer_echo_slow(int fd, void *arg)
{
	char b[8];

	(void)arg;
	for (int i = 0; i < 5; i++) {
		if (poll(NULL, 0, 120) == -1)
			return 2;
		if (write(fd, "ping", 4) != 4)
			return 3;
		if (read_until_eof(fd, b, 4) != 4 || memcmp(b, "ping", 4) != 0)
			return 4;
	}
	return 0;		/* and close: the server sees EOF */
}

static void
handler_echo_tcp_idle_test(void **state)
{
	struct pair p;
	pid_t pid;

	(void)state;
	pair_open(&p, 300, NULL);
	pid = peer_start(&p, peer_echo_slow, NULL);
	/* 5 x 120 ms exceeds 300 ms, yet each ping is progress. */
	assert_int_equal(handler_echo.serve_tcp(&p.s), END_CLIENT_CLOSED);
	assert_int_equal(p.s.bytes_in, 20);
	assert_int_equal(p.s.bytes_out, 20);
	peer_finish(&p, pid);
}

static int
peer_write_close(int fd, void *arg)
{
	const struct big_data *bd = arg;
	char b[1];

	if (write(fd, bd->data, bd->len) != (ssize_t)bd->len)
		return 2;
	if (shutdown(fd, SHUT_WR) == -1)
		return 3;
	/* discard answers nothing: EOF is all that comes back. */
	return read(fd, b, sizeof(b)) == 0 ? 0 : 4;
}

static void
handler_discard_tcp_test(void **state)
{
	struct big_data bd;
	struct pair p;
	pid_t pid;

	(void)state;
	bd.len = 1024 * 1024;
	bd.data = calloc(1, bd.len);
	assert_non_null(bd.data);
	pair_open(&p, SERVER_TIMEOUT_MS, NULL);
	pid = peer_start(&p, peer_write_close, &bd);
	assert_int_equal(handler_discard.serve_tcp(&p.s), END_CLIENT_CLOSED);
	assert_int_equal(p.s.bytes_in, bd.len);
	assert_int_equal(p.s.bytes_out, 0);
	peer_finish(&p, pid);
	free(bd.data);
}

static void
handler_discard_tcp_timeout_test(void **state)
{
	struct pair p;

	(void)state;
	pair_open(&p, 150, NULL);
	assert_int_equal(write(p.fd[1], "abc", 3), 3);
	assert_int_equal(handler_discard.serve_tcp(&p.s), END_TIMEOUT);
	assert_int_equal(p.s.rcvtimeo_set, pair_blocking);
	assert_int_equal(p.s.bytes_in, 3);
	pair_close(&p);
}

/* ---- io ---- */

/* A gone client is END_RESET, and no SIGPIPE kills the worker. */
static void
handler_io_write_reset_test(void **state)
{
	struct sigaction sa, old;
	struct pair p;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	assert_int_equal(sigaction(SIGPIPE, &sa, &old), 0);
	pair_open(&p, SERVER_TIMEOUT_MS, NULL);
	assert_int_equal(close(p.fd[1]), 0);
	p.fd[1] = -1;
	assert_int_equal(io_write_all(&p.s, "x", 1), END_RESET);
	assert_int_equal(handler_daytime.serve_tcp(&p.s), END_RESET);
	assert_int_equal(handler_echo.serve_tcp(&p.s), END_CLIENT_CLOSED);
	pair_close(&p);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);
}

/* A reader that stopped: the writer gives up after the no-progress limit. */
static void
handler_io_write_timeout_test(void **state)
{
	size_t len = 8 * 1024 * 1024;
	unsigned char *data = calloc(1, len);
	struct pair p;
	int64_t t0, dt;

	(void)state;
	assert_non_null(data);
	pair_open(&p, 200, NULL);
	t0 = util_now_ms();
	assert_int_equal(io_write_all(&p.s, data, len), END_TIMEOUT);
	dt = util_now_ms() - t0;
	assert_true(dt >= 190 && dt < 5000);
	assert_true(p.s.bytes_out > 0 && p.s.bytes_out < len);
	pair_close(&p);
	free(data);
}

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Signals do not cut a wait short: EINTR restarts it with what is left. */
static void
handler_io_wait_eintr_test(void **state)
{
	struct itimerval it = { { 0, 40000 }, { 0, 40000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa, old;
	struct pair p;
	int64_t t0, dt;
	short rev = 0;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART, as in a worker */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	pair_open(&p, SERVER_TIMEOUT_MS, NULL);
	alarms = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	t0 = util_now_ms();
	assert_int_equal(io_wait(p.fd[0], POLLIN, 300, &rev), 0);
	dt = util_now_ms() - t0;
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	assert_true(alarms >= 3);
	assert_true(dt >= 295 && dt < 5000);
	/* And a ready fd is reported as such. */
	assert_int_equal(write(p.fd[1], "x", 1), 1);
	assert_int_equal(io_wait(p.fd[0], POLLIN, 1000, &rev), 1);
	assert_true(rev & POLLIN);
	pair_close(&p);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handler_table_test),
		cmocka_unit_test(handler_random_test),
		cmocka_unit_test(handler_random_fork_test),
		cmocka_unit_test(handler_chargen_first_lines_test),
		cmocka_unit_test(handler_chargen_wrap_test),
		cmocka_unit_test(handler_chargen_fill_test),
		cmocka_unit_test(handler_chargen_udp_test),
		cmocka_unit_test(handler_chargen_tcp_test),
		cmocka_unit_test(handler_chargen_tcp_timeout_test),
		cmocka_unit_test(handler_time_rfc868_test),
		cmocka_unit_test(handler_time_wrap_2036_test),
		cmocka_unit_test(handler_time_udp_test),
		cmocka_unit_test(handler_time_tcp_test),
		cmocka_unit_test(handler_daytime_format_test),
		cmocka_unit_test(handler_daytime_udp_test),
		cmocka_unit_test(handler_daytime_tcp_test),
		cmocka_unit_test(handler_qotd_udp_test),
		cmocka_unit_test(handler_udp_no_amplification_test),
		cmocka_unit_test(handler_qotd_tcp_test),
		cmocka_unit_test(handler_echo_udp_test),
		cmocka_unit_test(handler_discard_udp_test),
		cmocka_unit_test(handler_echo_tcp_big_test),
		cmocka_unit_test(handler_echo_tcp_halfclose_test),
		cmocka_unit_test(handler_echo_tcp_timeout_test),
		cmocka_unit_test(handler_echo_tcp_idle_test),
		cmocka_unit_test(handler_discard_tcp_test),
		cmocka_unit_test(handler_discard_tcp_timeout_test),
#define BLOCKING(f)	{ #f "_blocking", f, blocking_on, blocking_off, NULL }
		BLOCKING(handler_echo_tcp_big_test),
		BLOCKING(handler_echo_tcp_halfclose_test),
		BLOCKING(handler_echo_tcp_timeout_test),
		BLOCKING(handler_echo_tcp_idle_test),
		BLOCKING(handler_discard_tcp_test),
		BLOCKING(handler_discard_tcp_timeout_test),
		BLOCKING(handler_chargen_tcp_test),
		BLOCKING(handler_io_write_timeout_test),
		cmocka_unit_test(handler_io_write_reset_test),
		cmocka_unit_test(handler_io_write_timeout_test),
		cmocka_unit_test(handler_io_wait_eintr_test),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
