/* The redirect handler, run for real: a backend this test runs on loopback, relayed both ways, its failures logged. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "accesslog.h"
#include "harness.h"

#define IO_MS 5000

/* What the backend does with each connection it accepts. */
enum mode {
	ECHO,		/* every byte back; at the client's EOF its own */
	READ_THEN_REPLY,	/* reads to EOF, reports the count, sends `reply` bytes, closes */
	SEND_FIRST,	/* sends "hello", half-closes, reads to EOF and reports what came */
	NEVER_READ,	/* accepts and holds the connection, reading nothing */
	DRIP,		/* reads nothing, sends a byte every 200 ms */
	HEADER,		/* reads `reply` bytes and reports them */
};

struct backend {
	pid_t pid;
	int port;
	int report;	/* what the backend says, read end */
};

/* The backends a case started, stopped by the teardown whether the case failed or not. */
static pid_t started[4];
static size_t nstarted;

/* To the test, through a pipe (h_write_all is for sockets). */
static void
report(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t n = write(fd, c, len);
		if (n <= 0)
			_exit(3);
		c += n;
		len -= (size_t)n;
	}
}

static size_t
read_to_eof(int c, unsigned char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while ((n = read(c, buf + (got < cap ? got : 0), got < cap ? cap - got : cap)) > 0)
		got += (size_t)n;
	return got;
}

static void
echo_conn(int c)
{
	unsigned char buf[65536];
	ssize_t n;

	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (!h_write_all(c, buf, (size_t)n))
			return;
	shutdown(c, SHUT_WR);
}

static void
serve_one(int c, enum mode m, size_t reply, int rep)
{
	static unsigned char buf[1 << 20];
	size_t got;

	switch (m) {
	case ECHO:
		echo_conn(c);
		break;
	case READ_THEN_REPLY:
		got = read_to_eof(c, buf, sizeof(buf));
		report(rep, &got, sizeof(got));
		memset(buf, 'r', reply);
		(void)h_write_all(c, buf, reply);
		break;
	case SEND_FIRST:
		(void)h_write_all(c, "hello", 5);
		shutdown(c, SHUT_WR);
		got = read_to_eof(c, buf, sizeof(buf));
		report(rep, &got, sizeof(got));
		report(rep, buf, got);
		break;
	case NEVER_READ:
		pause();
		break;
	case DRIP:
		while (write(c, "d", 1) == 1)
			usleep(200 * 1000);
		break;
	case HEADER:
		got = 0;
		while (got < reply) {
			ssize_t n = read(c, buf + got, reply - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		report(rep, buf, got);
		break;
	}
}

/* The child: accepts one connection after another, each served by a child of its own. */
static void
backend_run(int lfd, enum mode m, size_t reply, int rep)
{
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c == -1)
			continue;
		if (fork() == 0) {
			close(lfd);
			serve_one(c, m, reply, rep);
			_exit(0);
		}
		close(c);
	}
}

/* A listener on addr (127.0.0.1 or ::1), bound here so its port is known, served by a child. */
static bool
backend_start(struct backend *b, const char *addr, enum mode m, size_t reply)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, rep[2], lfd;
	bool v6 = strchr(addr, ':') != NULL;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &in->sin_addr);
		len = sizeof(*in);
	}
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) == -1) {
		close(lfd);
		return false;	/* no ::1 here */
	}
	assert_int_equal(listen(lfd, 64), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
	b->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	assert_int_equal(pipe(rep), 0);
	b->pid = fork();
	assert_true(b->pid != -1);
	if (b->pid == 0) {
		/* its own group: the stop takes the connection children too */
		setpgid(0, 0);
		close(rep[0]);
		backend_run(lfd, m, reply, rep[1]);
	}
	setpgid(b->pid, b->pid);
	assert_true(nstarted < sizeof(started) / sizeof(started[0]));
	started[nstarted++] = b->pid;
	close(rep[1]);
	close(lfd);
	b->report = rep[0];
	return true;
}

/* The backend and its connections' children: its process group. */
static void
backend_kill(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (size_t i = 0; i < nstarted; i++)
		if (started[i] == pid)
			started[i] = started[--nstarted];
}

static void
backend_stop(struct backend *b)
{
	if (b->pid > 0)
		backend_kill(b->pid);
	b->pid = 0;
	if (b->report >= 0)
		close(b->report);
	b->report = -1;
}

static int
teardown(void **state)
{
	while (nstarted > 0)
		backend_kill(started[nstarted - 1]);
	return h_fixture_teardown(state);
}

/* Exactly len bytes of the backend's report, within a hang bound. */
static void
backend_read(struct backend *b, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pf = { .fd = b->report, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&pf, 1, h_hang_ms(IO_MS)), 1);
		n = read(b->report, (char *)buf + got, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

/* One redirect service "fwd" on front:port to `to`, with extra keys (timeout = 10 unless they begin with their own). */
static void
start_redirect(struct daemon *d, const char *front, int port, const char *to, const char *extra)
{
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"fwd\"; protocol = \"tcp\"; address = \"%s\"; port = %d; handler = \"redirect\";\n"
	    "   to = \"%s\"; workers = 2; %s %s } );\n", front, port, to,
	    strncmp(extra, "timeout =", 9) == 0 ? "" : "timeout = 10;", extra);
	h_start(d, NULL);
	/* not by connecting: the backend would see that connection too */
	if (!h_wait_log(d, "started:", 10000))
		h_fail_with_log(d, "netsrvd did not start");
}

static void
want_line(struct daemon *d, const char *want, struct al_line *l)
{
	if (!al_wait(d, want, l, 10000))
		h_fail_with_log(d, want);
}

/* Bytes both ways at once, more than any buffer on the way holds: the client's own writer and reader. */
static void
bulk_echo(const char *addr, int port, size_t total)
{
	unsigned char *out = malloc(total), *in = malloc(total);
	size_t sent = 0, got = 0;
	int fd = h_connect(addr, port, IO_MS);
	int64_t end = h_now_ms() + h_hang_ms(30000);

	assert_true(fd >= 0 && out != NULL && in != NULL);
	for (size_t i = 0; i < total; i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while (got < total && h_now_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0) };
		ssize_t n;

		assert_true(poll(&pf, 1, 1000) >= 0);
		if (sent < total && (n = send(fd, out + sent, total - sent, MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
		if (sent == total)
			shutdown(fd, SHUT_WR);
		if ((n = recv(fd, in + got, total - got, 0)) > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
	}
	if (got != total)
		fail_msg("%zu of %zu bytes back (%zu sent)", got, total, sent);
	assert_memory_equal(in, out, total);
	close(fd);
	free(out);
	free(in);
}

/* Echo through the relay, the backend named by host name: a small round trip, then 8 MiB both ways at once. */
static void
redirect_echo_both_ways_test(void **state)
{
	struct daemon *d = *state;
	struct backend b = { .report = -1 };
	struct al_line l;
	char to[64], want[160];
	int port = h_free_port();

	assert_true(backend_start(&b, "127.0.0.1", ECHO, 0));
	/* localhost may be ::1 first: nothing listens there, and the next address is tried */
	snprintf(to, sizeof(to), "localhost:%d", b.port);
	start_redirect(d, "127.0.0.1", port, to, "");
	assert_true(h_echo("127.0.0.1", port, "hi there\n", 9, IO_MS));
	snprintf(want, sizeof(want), "service=fwd in=9 out=9 end=closed backend=127.0.0.1:%d", b.port);
	want_line(d, want, &l);
	bulk_echo("127.0.0.1", port, 8u << 20);
	snprintf(want, sizeof(want), "service=fwd in=%u out=%u backend=127.0.0.1:%d", 8u << 20, 8u << 20, b.port);
	want_line(d, want, &l);
	assert_null(al_get(&l, "unsent"));
	assert_int_equal(h_stop(d), 0);
	backend_stop(&b);
}

/* The client's half-close reaches the backend, which answers after it. */
static void
redirect_client_half_close_test(void **state)
{
	struct daemon *d = *state;
	struct backend b = { .report = -1 };
	char to[64], want[160], reply[4096];
	int port = h_free_port(), fd;
	size_t count;

	assert_true(backend_start(&b, "127.0.0.1", READ_THEN_REPLY, 2500));
	snprintf(to, sizeof(to), "127.0.0.1:%d", b.port);
	start_redirect(d, "127.0.0.1", port, to, "");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	memset(reply, 'q', 1000);
	assert_true(h_write_all(fd, reply, 1000));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	backend_read(&b, &count, sizeof(count));
	assert_int_equal(count, 1000);	/* the backend saw our EOF: it got past its read */
	assert_int_equal(h_read_all(fd, reply, sizeof(reply), IO_MS), 2500);
	close(fd);
	/* the access log's bytes, both ways */
	snprintf(want, sizeof(want), "service=fwd in=1000 out=2500 backend=127.0.0.1:%d", b.port);
	want_line(d, want, NULL);
	assert_int_equal(h_stop(d), 0);
	backend_stop(&b);
}

/* The backend's half-close reaches the client, which still sends after it. */
static void
redirect_backend_half_close_test(void **state)
{
	struct daemon *d = *state;
	struct backend b = { .report = -1 };
	char to[64], got[64];
	int port = h_free_port(), fd;
	size_t count;

	assert_true(backend_start(&b, "127.0.0.1", SEND_FIRST, 0));
	snprintf(to, sizeof(to), "127.0.0.1:%d", b.port);
	start_redirect(d, "127.0.0.1", port, to, "");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	/* "hello", then EOF: h_read_all reads to the end */
	assert_int_equal(h_read_all(fd, got, sizeof(got), IO_MS), 5);
	assert_memory_equal(got, "hello", 5);
	assert_true(h_write_all(fd, "after your FIN", 14));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	backend_read(&b, &count, sizeof(count));
	assert_int_equal(count, 14);
	backend_read(&b, got, count);
	assert_memory_equal(got, "after your FIN", 14);
	close(fd);
	/* the backend's FIN came first */
	want_line(d, "service=fwd in=14 out=5 end=done", NULL);
	assert_int_equal(h_stop(d), 0);
	backend_stop(&b);
}

/* Whether ::1 works here (a container may have no IPv6). */
static bool
have_v6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* An IPv4 front to an IPv6 backend, and an IPv6 front to an IPv4 one. */
static void
redirect_across_families_test(void **state)
{
	struct daemon *d = *state;
	struct backend b6 = { .report = -1 }, b4 = { .report = -1 };
	char want[160];
	int port4 = h_free_port(), port6 = h_free_port();

	if (!have_v6_loopback()) {
		print_message("skipped: no IPv6 loopback here\n");
		skip();
	}
	assert_true(backend_start(&b6, "::1", ECHO, 0));
	assert_true(backend_start(&b4, "127.0.0.1", ECHO, 0));
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"to6\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"redirect\";\n"
	    "   to = \"[::1]:%d\"; workers = 1; },\n"
	    " { name = \"to4\"; protocol = \"tcp\"; address = \"::1\"; port = %d; handler = \"redirect\";\n"
	    "   to = \"127.0.0.1:%d\"; workers = 1; } );\n", port4, b6.port, port6, b4.port);
	h_start(d, NULL);
	if (!h_wait_log(d, "started:", 10000))
		h_fail_with_log(d, "netsrvd did not start");
	assert_true(h_echo("127.0.0.1", port4, "four to six\n", 12, IO_MS));
	snprintf(want, sizeof(want), "service=to6 peer=127.0.0.1:* in=12 out=12 backend=[::1]:%d", b6.port);
	want_line(d, want, NULL);
	assert_true(h_echo("::1", port6, "six to four\n", 12, IO_MS));
	snprintf(want, sizeof(want), "service=to4 peer=[::1]:* in=12 out=12 backend=127.0.0.1:%d", b4.port);
	want_line(d, want, NULL);
	bulk_echo("127.0.0.1", port4, 2u << 20);
	assert_int_equal(h_stop(d), 0);
	backend_stop(&b6);
	backend_stop(&b4);
}

/* Waits (a hang bound) for the relay to close the client: EOF or a reset, no byte. */
static void
assert_closed_soon(int fd)
{
	char c;

	assert_true(h_read_all(fd, &c, 1, 10000) <= 0);
}

/* Nothing listens at the backend's port: the client is closed, the log says why. */
static void
redirect_refused_backend_test(void **state)
{
	struct daemon *d = *state;
	char to[64], want[160];
	int port = h_free_port(), dead = h_free_port(), fd;

	snprintf(to, sizeof(to), "127.0.0.1:%d", dead);
	start_redirect(d, "127.0.0.1", port, to, "");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_closed_soon(fd);
	close(fd);
	snprintf(want, sizeof(want), "service=fwd in=0 out=0 end=error reason=connect backend=127.0.0.1:%d connect=refused",
	    dead);
	want_line(d, want, NULL);
	assert_int_equal(h_stop(d), 0);
}

/* Without the access log, a backend that fails is still said, at info, as a timeout is. */
static void
redirect_failure_logged_without_access_log_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), dead = h_free_port(), fd;
	char want[160];

	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = false; level = \"info\"; };\n"
	    "services = ( { name = \"fwd\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;\n"
	    "   handler = \"redirect\"; to = \"127.0.0.1:%d\"; workers = 1; } );\n", port, dead);
	h_start(d, NULL);
	if (!h_wait_log(d, "started:", 10000))
		h_fail_with_log(d, "netsrvd did not start");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_closed_soon(fd);
	close(fd);
	snprintf(want, sizeof(want), "info: service=fwd peer=127.0.0.1:");
	if (!h_wait_log(d, want, 10000) || !h_log_contains(d, "end=error reason=connect"))
		h_fail_with_log(d, "no info line for the refused backend");
	assert_int_equal(h_stop(d), 0);
}

/*
 * A backend that does not answer: a listener whose accept queue is full
 * drops the SYNs that come on, so a connect waits until its timeout, as
 * for a host that is gone. Its port; *lfd and fill[2] to close.
 */
static int
silent_listener(int *lfd, int fill[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	*lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*lfd >= 0);
	assert_int_equal(bind(*lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(*lfd, 0), 0);
	assert_int_equal(getsockname(*lfd, (struct sockaddr *)&a, &alen), 0);
	/* backlog 0 queues one: these fill the queue */
	for (int i = 0; i < 2; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(fill[i] >= 0);
		(void)connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	h_sleep_ms(100);
	return ntohs(a.sin_port);
}

/* The client is closed at connect_timeout, and the log says why. */
static void
check_silent(struct daemon *d, const char *keys, long long at_least_ms)
{
	int lfd, fill[2], port = h_free_port(), fd;
	int bport = silent_listener(&lfd, fill);
	char to[64], want[200];
	struct al_line l;

	snprintf(to, sizeof(to), "127.0.0.1:%d", bport);
	start_redirect(d, "127.0.0.1", port, to, keys);
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_true(h_read_all(fd, want, 1, 30000) <= 0);
	close(fd);
	snprintf(want, sizeof(want), "service=fwd end=error reason=connect backend=127.0.0.1:%d connect=timeout",
	    bport);
	if (!al_wait(d, want, &l, 30000))
		h_fail_with_log(d, want);
	/* the lower bound is the timer's own; the upper one is a hang bound only */
	assert_true(atoll(al_get(&l, "duration_ms")) >= at_least_ms);
	if (h_log_contains(d, " hung: "))
		h_fail_with_log(d, "a worker waiting within connect_timeout was killed as hung");
	assert_int_equal(h_stop(d), 0);
	close(fill[0]);
	close(fill[1]);
	close(lfd);
}

static void
redirect_silent_backend_test(void **state)
{
	check_silent(*state, "connect_timeout = 700;", 600);
}

/*
 * A connect_timeout longer than `timeout` and the master's grace for a
 * worker without progress (10 s): the worker waits it out, not killed as
 * hung.
 */
static void
redirect_long_connect_timeout_test(void **state)
{
	check_silent(*state, "timeout = 1; connect_timeout = 12500;", 12000);
}

/*
 * A backend that accepts and never reads: the client's bytes pile up in
 * the backend's socket, then in the relay's pipe; after `timeout` the
 * client is closed, and the log says how many bytes never went out.
 */
static void
redirect_backend_never_reads_test(void **state)
{
	struct daemon *d = *state;
	struct backend b = { .report = -1 };
	static unsigned char junk[1 << 16];
	char to[64];
	struct al_line l;
	int port = h_free_port(), fd;
	int64_t end;
	size_t sent = 0;

	assert_true(backend_start(&b, "127.0.0.1", NEVER_READ, 0));
	snprintf(to, sizeof(to), "127.0.0.1:%d", b.port);
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = ( { name = \"fwd\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;\n"
	    "   handler = \"redirect\"; to = \"%s\"; workers = 1; timeout = 2; } );\n", port, to);
	h_start(d, NULL);
	if (!h_wait_log(d, "started:", 10000))
		h_fail_with_log(d, "netsrvd did not start");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	/* write until nothing more goes, then until the relay gives up on us */
	end = h_now_ms() + h_hang_ms(20000);
	for (;;) {
		ssize_t n = send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT };

		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN)
			break;	/* reset: the relay closed with our bytes unread */
		assert_true(poll(&pf, 1, 200) >= 0);
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			char c;
			if (recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
				break;
		}
		if (h_now_ms() > end)
			fail_msg("the relay still holds the client after 20 s (timeout = 2)");
	}
	close(fd);
	want_line(d, "service=fwd end=timeout", &l);
	print_message("    sent %zu, in=%s unsent=%s\n", sent, al_get(&l, "in"),
	    al_get(&l, "unsent") != NULL ? al_get(&l, "unsent") : "(none)");
	/* what it took and could not give is said, not lost silently */
	assert_non_null(al_get(&l, "unsent"));
	assert_true(atoll(al_get(&l, "unsent")) > 0);
	assert_true(atoll(al_get(&l, "unsent")) <= atoll(al_get(&l, "in")));
	assert_true((size_t)atoll(al_get(&l, "in")) <= sent);
	/* the worker is free again: the next client is relayed (and times out the same way) */
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	close(fd);
	assert_true(al_wait_nth(d, "service=fwd end=*", 2, NULL, 10000));
	assert_int_equal(h_stop(d), 0);
	backend_stop(&b);
}

/*
 * A backend that never reads but keeps talking: bytes move the other way
 * all along, yet the client's wait in the relay for it, and `timeout`
 * ends the session all the same.
 */
static void
redirect_backend_talks_never_reads_test(void **state)
{
	struct daemon *d = *state;
	struct backend b = { .report = -1 };
	static unsigned char junk[1 << 16];
	char to[64];
	struct al_line l;
	int port = h_free_port(), fd;
	int64_t end;
	size_t drips = 0;

	assert_true(backend_start(&b, "127.0.0.1", DRIP, 0));
	snprintf(to, sizeof(to), "127.0.0.1:%d", b.port);
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = ( { name = \"fwd\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;\n"
	    "   handler = \"redirect\"; to = \"%s\"; workers = 1; timeout = 2; } );\n", port, to);
	h_start(d, NULL);
	if (!h_wait_log(d, "started:", 10000))
		h_fail_with_log(d, "netsrvd did not start");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	end = h_now_ms() + h_hang_ms(20000);
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT };
		char c[64];
		ssize_t n;

		while (send(fd, junk, sizeof(junk), MSG_NOSIGNAL) > 0)
			;
		if (errno != EAGAIN)
			break;
		assert_true(poll(&pf, 1, 200) >= 0);
		if ((n = recv(fd, c, sizeof(c), MSG_DONTWAIT)) > 0)
			drips += (size_t)n;
		else if (n == 0 || errno != EAGAIN)
			break;
		if (h_now_ms() > end)
			fail_msg("the relay still holds the client after 20 s (timeout = 2)");
	}
	close(fd);
	want_line(d, "service=fwd end=timeout", &l);
	print_message("    %zu bytes from the backend, in=%s out=%s unsent=%s\n", drips, al_get(&l, "in"),
	    al_get(&l, "out"), al_get(&l, "unsent") != NULL ? al_get(&l, "unsent") : "(none)");
	assert_true(drips > 0);
	assert_non_null(al_get(&l, "unsent"));
	assert_int_equal(h_stop(d), 0);
	backend_stop(&b);
}

/* The PROXY header the backend gets: exactly the bytes, then the client's. */
static void
check_proxy(struct daemon *d, int version)
{
	struct backend b = { .report = -1 };
	struct sockaddr_in me;
	socklen_t mlen = sizeof(me);
	unsigned char want[64], got[64];
	char to[64];
	size_t wlen;
	int port = h_free_port(), fd;

	/*
	 * The backend reads the header and "ping". v1's length depends on
	 * the ports: five digits each (h_free_port's range, and an ephemeral
	 * port's; checked below).
	 */
	wlen = version == 1 ? strlen("PROXY TCP4 127.0.0.1 127.0.0.1 12345 12345\r\n") : 16 + 12;
	assert_true(backend_start(&b, "127.0.0.1", HEADER, wlen + 4));
	snprintf(to, sizeof(to), "127.0.0.1:%d", b.port);
	snprintf((char *)want, sizeof(want), "send_proxy = %d;", version);
	start_redirect(d, "127.0.0.1", port, to, (char *)want);
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &mlen), 0);
	if (ntohs(me.sin_port) < 10000) {
		/* an ephemeral port is five digits on any default range; this one is not */
		print_message("skipped: local port %d has fewer than five digits\n", ntohs(me.sin_port));
		close(fd);
		assert_int_equal(h_stop(d), 0);
		backend_stop(&b);
		skip();
	}
	assert_true(h_write_all(fd, "ping", 4));
	if (version == 1) {
		snprintf((char *)want, sizeof(want), "PROXY TCP4 127.0.0.1 127.0.0.1 %u %d\r\nping",
		    ntohs(me.sin_port), port);
	} else {
		static const unsigned char sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
			0x55, 0x49, 0x54, 0x0a };
		memcpy(want, sig, 12);
		want[12] = 0x21;	/* version 2, PROXY */
		want[13] = 0x11;	/* TCP over IPv4 */
		want[14] = 0;
		want[15] = 12;
		memcpy(want + 16, &me.sin_addr, 4);	/* source: us */
		memcpy(want + 20, &me.sin_addr, 4);	/* destination: the service's 127.0.0.1 */
		want[24] = (unsigned char)(ntohs(me.sin_port) >> 8);
		want[25] = (unsigned char)(ntohs(me.sin_port) & 0xff);
		want[26] = (unsigned char)(port >> 8);
		want[27] = (unsigned char)(port & 0xff);
		memcpy(want + 28, "ping", 4);
	}
	backend_read(&b, got, wlen + 4);
	assert_memory_equal(got, want, wlen + 4);
	close(fd);
	/* the header is not the client's: in= counts "ping" alone */
	want_line(d, "service=fwd in=4 out=0", NULL);
	assert_int_equal(h_stop(d), 0);
	backend_stop(&b);
}

static void
redirect_send_proxy_v1_test(void **state)
{
	check_proxy(*state, 1);
}

static void
redirect_send_proxy_v2_test(void **state)
{
	check_proxy(*state, 2);
}

/* What the config refuses about `to`, with the file's line; and redirect over UDP. */
static void
redirect_config_refused_test(void **state)
{
	static const struct {
		const char *to, *extra, *proto, *want;
	} cases[] = {
		{ "::1:80", "", "tcp", "is not host:port" },
		{ "127.0.0.1", "", "tcp", "is not host:port" },
		{ "127.0.0.1:0", "", "tcp", "is not host:port" },
		{ "127.0.0.1:http", "", "tcp", "is not host:port" },
		{ "[::1:80", "", "tcp", "is not host:port" },
		{ "127.0.0.1:80", "send_proxy = 3;", "tcp", "send_proxy" },
		{ "127.0.0.1:80", "connect_timeout = 0;", "tcp", "connect_timeout" },
		{ "127.0.0.1:80", "", "udp", "serves TCP only" },
		{ NULL, "", "tcp", "needs a backend" },
	};
	struct daemon *d = *state;
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	char out[2048], to[80];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].to != NULL)
			snprintf(to, sizeof(to), "to = \"%s\";", cases[i].to);
		else
			to[0] = '\0';
		h_write_conf(d, "services = (\n { name = \"fwd\"; protocol = \"%s\"; address = \"127.0.0.1\";\n"
		    "   port = 7; handler = \"redirect\"; %s %s } );\n", cases[i].proto, to, cases[i].extra);
		assert_int_not_equal(h_run(argv, out, sizeof(out), 10000), 0);
		if (strstr(out, cases[i].want) == NULL || strstr(out, "netsrv.conf:") == NULL)
			fail_msg("case %zu: want \"%s\" at a line of the file, got: %s", i, cases[i].want, out);
	}
	/* a bracketed IPv6 address and a name are fine */
	h_write_conf(d, "services = (\n { name = \"fwd\"; protocol = \"tcp\"; address = \"127.0.0.1\";\n"
	    "   port = 7; handler = \"redirect\"; to = \"[::1]:80\"; send_proxy = 2; } );\n");
	assert_int_equal(h_run(argv, out, sizeof(out), 10000), 0);
	h_write_conf(d, "services = (\n { name = \"fwd\"; protocol = \"tcp\"; address = \"127.0.0.1\";\n"
	    "   port = 7; handler = \"redirect\"; to = \"localhost:80\"; } );\n");
	assert_int_equal(h_run(argv, out, sizeof(out), 10000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(redirect_echo_both_ways_test, h_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(redirect_client_half_close_test, h_fixture_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(redirect_backend_half_close_test, h_fixture_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(redirect_across_families_test, h_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(redirect_refused_backend_test, h_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(redirect_failure_logged_without_access_log_test, h_fixture_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(redirect_silent_backend_test, h_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(redirect_long_connect_timeout_test, h_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(redirect_backend_never_reads_test, h_fixture_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(redirect_backend_talks_never_reads_test, h_fixture_setup,
		    teardown),
		cmocka_unit_test_setup_teardown(redirect_send_proxy_v1_test, h_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(redirect_send_proxy_v2_test, h_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(redirect_config_refused_test, h_fixture_setup, teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("redirect", tests, NULL, NULL);
}
