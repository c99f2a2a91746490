/* TLS against clients that misbehave: garbage for a ClientHello, one split into single bytes, one cut in half, a renegotiation, a thousand handshakes from one address. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#include "harness.h"
#include "tlsutil.h"

#define HANDSHAKES(result) "netsrvd_tls_handshakes_total{service=\"s\",result=\"" result "\""

/* The relay a case started, stopped by the teardown whether the case failed or not. */
static pid_t relay_pid;

static int
teardown(void **state)
{
	if (relay_pid > 0) {
		kill(relay_pid, SIGKILL);
		waitpid(relay_pid, NULL, 0);
	}
	relay_pid = 0;
	return tls_teardown(state);
}

/* A loopback listener on a port the kernel picks: its fd, the port in *port. */
static int
listen_any(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A blocking TCP connection from src (an address of 127/8) to 127.0.0.1:port, or -1. */
static int
connect_from(const char *src, int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &to.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The relay's child: one client accepted on lfd, relayed to the daemon
 * from src; the client's bytes one per write (TCP_NODELAY, a pause
 * between, so each is a segment of its own) when one_byte, the daemon's
 * as they come. Half-closes pass through.
 */
static void
relay_run(int lfd, const char *src, int port, bool one_byte, const char *prefix)
{
	int c = accept(lfd, NULL, NULL), s = c >= 0 ? connect_from(src, port) : -1;
	bool c_open = true, s_open = true;
	char buf[16384];

	if (s < 0 || (prefix != NULL && !h_write_all(s, prefix, strlen(prefix))))
		_exit(1);
	while (c_open || s_open) {
		struct pollfd pf[2] = { { c, c_open ? POLLIN : 0, 0 }, { s, s_open ? POLLIN : 0, 0 } };
		ssize_t n;

		if (poll(pf, 2, -1) == -1)
			_exit(1);
		if (pf[0].revents) {
			n = read(c, buf, one_byte ? 1 : sizeof(buf));
			if (n <= 0) {
				shutdown(s, SHUT_WR);
				c_open = false;
			} else {
				(void)h_write_all(s, buf, (size_t)n);
				if (one_byte)
					usleep(1000);
			}
		}
		if (pf[1].revents) {
			n = read(s, buf, sizeof(buf));
			if (n <= 0) {
				shutdown(c, SHUT_WR);
				s_open = false;
			} else
				(void)h_write_all(c, buf, (size_t)n);
		}
	}
	_exit(0);
}

/* Starts a relay for one connection to 127.0.0.1:port (prefix, if any, sent first); the port a client connects to. */
static int
relay_start_prefixed(const char *src, int port, bool one_byte, const char *prefix)
{
	int rport, lfd = listen_any(&rport);

	relay_pid = fork();
	assert_true(relay_pid != -1);
	if (relay_pid == 0)
		relay_run(lfd, src, port, one_byte, prefix);
	close(lfd);
	return rport;
}

static int
relay_start(const char *src, int port, bool one_byte)
{
	return relay_start_prefixed(src, port, one_byte, NULL);
}

static void
relay_wait(void)
{
	assert_true(h_wait_exit(relay_pid, TLS_IO_MS) != -1);
	relay_pid = 0;
}

/* Waits (a hang bound) until the daemon closes fd: true if it did (EOF or reset), false if it still held it. */
static bool
closed_by_daemon(int fd, int timeout_ms)
{
	char buf[4096];
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int left = (int)(end - h_now_ms());
		ssize_t n;

		if (left <= 0 || poll(&pf, 1, left) != 1)
			return false;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return true;
	}
}

/* Not a ClientHello: an HTTP request and binary junk. No byte is echoed; the next client is served. */
static void
tls_garbage_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port(), fd;
	char junk[600], back[4096];
	ssize_t n;
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };

	tls_start_echo(d, port, sport, "", "");
	snprintf(junk, sizeof(junk), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	for (size_t i = strlen(junk); i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	fd = h_connect("127.0.0.1", port, TLS_IO_MS);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, junk, sizeof(junk)));
	/* an alert at most, never our bytes back; then the daemon closes */
	n = h_read_all(fd, back, sizeof(back), TLS_IO_MS);
	close(fd);
	assert_true(n < 20);
	if (n > 0)
		assert_int_equal((unsigned char)back[0], 0x15);	/* a TLS alert record */
	if (h_wait_metric(sport, TLS_REFUSED, H_EQUAL, 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "the garbage was not counted reason=tls");
	assert_int_equal(tls_wait_sum(sport, HANDSHAKES("failed"), 1, TLS_IO_MS), 1);
	/* (the spec's prose info line: tls_test's tls_failed_handshake_logged_test) */
	if (!tls_wait_access(d, "service=s end=refused reason=tls", NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, "no access line for the failed handshake");
	if (!tls_echo(d, &p, port, "after the garbage\n", v13))
		fail_msg("the next client was not served:\n%s", p.buf);
	assert_int_equal(h_stop(d), 0);
}

/* A ClientHello in 1-byte segments, through the relay: the handshake completes all the same. */
static void
tls_split_hello_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };

	tls_start_echo(d, port, sport, "", "handshake_timeout = 60000;");
	if (!tls_echo(d, &p, relay_start("127.0.0.1", port, true), "one byte at a time\n", v13))
		h_fail_with_log(d, p.buf);
	relay_wait();
	assert_int_equal(tls_wait_sum(sport, HANDSHAKES("ok"), 1, TLS_IO_MS), 1);
	assert_int_equal(h_metric(sport, TLS_REFUSED), 0);
	assert_int_equal(h_stop(d), 0);
}

/* A real ClientHello record, caught from s_client at a listener of our own: its length. */
static size_t
capture_hello(struct daemon *d, unsigned char *buf, size_t cap)
{
	int lport, lfd = listen_any(&lport), c;
	const char *argv[40], *words[] = { "-tls1_3", NULL };
	size_t got = 0, want = 5;
	struct proc p;

	tls_s_client(d, argv, 40, lport, words);
	proc_start(&p, argv, NULL);
	c = accept(lfd, NULL, NULL);
	assert_true(c >= 0);
	while (got < want) {
		ssize_t n = h_read_all(c, buf + got, want - got, TLS_IO_MS);
		assert_true(n > 0);
		got += (size_t)n;
		if (got == 5)
			want = 5 + ((size_t)buf[3] << 8 | buf[4]);
		assert_true(want <= cap);
	}
	assert_int_equal(buf[0], 0x16);	/* a handshake record */
	close(c);
	close(lfd);
	(void)proc_finish(&p, TLS_IO_MS);
	return got;
}

/* Half a ClientHello, then silence: refused at handshake_timeout, counted result=timeout. */
static void
tls_half_hello_timeout_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port(), fd;
	unsigned char hello[16384];
	size_t len;
	int64_t start;
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };

	tls_start_echo(d, port, sport, "", "handshake_timeout = 1000;");
	len = capture_hello(d, hello, sizeof(hello));
	fd = h_connect("127.0.0.1", port, TLS_IO_MS);
	assert_true(fd >= 0);
	start = h_now_ms();
	assert_true(h_write_all(fd, hello, len / 2));
	if (!closed_by_daemon(fd, 30000))
		h_fail_with_log(d, "half a ClientHello held past handshake_timeout (30 s hang bound)");
	close(fd);
	/* the lower bound is the timer's own; the upper one only a hang bound */
	assert_true(h_now_ms() - start >= 900);
	if (tls_wait_sum(sport, HANDSHAKES("timeout"), 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "not counted result=timeout");
	/* no version was agreed */
	assert_int_equal(h_metric(sport, HANDSHAKES("timeout") ",version=\"unknown\"}"), 1);
	assert_int_equal(h_wait_metric(sport, TLS_REFUSED, H_EQUAL, 1, TLS_IO_MS), 1);
	if (!tls_wait_access(d, "service=s end=refused reason=tls", NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, "no end=refused reason=tls line");
	assert_true(tls_echo(d, &p, port, "whole hello\n", v13));
	assert_int_equal(h_stop(d), 0);
}

/*
 * TLS 1.2 renegotiation (s_client's "R" line) is refused: the
 * connection is dropped or the renegotiation fails, nothing is echoed
 * after it, and the daemon goes on serving.
 */
static void
tls_renegotiation_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[40], *words[] = { "-tls1_2", NULL };
	struct proc p, q;
	const char *v12[] = { "-tls1_2", NULL };

	tls_start_echo(d, port, sport, "", "");
	/* not -quiet: s_client reads an "R" line as a command only without it */
	tls_s_client(d, argv, 40, port, words);
	proc_start(&p, argv, NULL);
	assert_true(proc_write(&p, "before\n"));
	if (!proc_expect(&p, "\nbefore\n", TLS_IO_MS))
		fail_msg("no echo before the renegotiation:\n%s", p.buf);
	assert_true(proc_write(&p, "R\n"));
	if (!proc_expect(&p, "RENEGOTIATING", TLS_IO_MS))
		fail_msg("s_client did not try to renegotiate:\n%s", p.buf);
	(void)proc_write(&p, "after\n");
	if (proc_expect(&p, "\nafter\n", 3000))
		fail_msg("echoed after a renegotiation (it was accepted):\n%s", p.buf);
	(void)proc_finish(&p, TLS_IO_MS);
	/* how it was refused, for the record: OpenSSL's client says "no renegotiation" at the server's alert */
	print_message("    s_client after R: %.200s\n", strstr(p.buf, "RENEGOTIATING"));
	assert_int_equal(tls_metric_sum(sport, HANDSHAKES("ok")), 1);
	if (!tls_echo(d, &q, port, "still serving\n", v12))
		h_fail_with_log(d, q.buf);
	assert_int_equal(h_stop(d), 0);
}

/* Of fds, how many the daemon has closed (EOF or reset) by now. */
static int
count_closed(const int *fds, int n, bool *closed)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		char buf[64];

		if (!closed[i]) {
			ssize_t r = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
			closed[i] = r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR);
		}
		k += closed[i];
	}
	return k;
}

/*
 * A thousand handshakes at once from 127.0.0.1, each a record header and
 * no more, max_per_source = 8: eight are held, the rest closed and
 * counted per_source; 127.0.0.2 is still served (the pool grows past the
 * eight).
 */
static void
tls_many_from_one_source_test(void **state)
{
	enum { N = 1000, HELD = 8 };
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port(), fds[N], closed_n = 0;
	static bool closed[N];
	const unsigned char header[] = { 0x16, 0x03, 0x01, 0x02, 0x00 };
	int64_t end;
	long long refused;
	char why[96];
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };

	memset(closed, 0, sizeof(closed));
	tls_start_echo(d, port, sport, "", "handshake_timeout = 120000; max_per_source = 8;");
	for (int i = 0; i < N; i++) {
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_true(fds[i] >= 0);
		assert_true(connect(fds[i], (struct sockaddr *)&to, sizeof(to)) == 0 || errno == EINPROGRESS);
	}
	/* the header once each connect is through (a SYN the backlog dropped is sent again) */
	for (int i = 0; i < N; i++)
		(void)h_write_all(fds[i], header, sizeof(header));	/* one refused already fails: counted below */
	refused = h_wait_metric(sport, "netsrvd_refused_total{service=\"s\",reason=\"per_source\"}", H_EQUAL,
	    N - HELD, 60000);
	if (refused != N - HELD) {
		snprintf(why, sizeof(why), "%lld connections refused per_source, not %d", refused, N - HELD);
		h_fail_with_log(d, why);
	}
	end = h_now_ms() + h_hang_ms(TLS_IO_MS);
	while ((closed_n = count_closed(fds, N, closed)) < N - HELD && h_now_ms() < end)
		h_sleep_ms(20);
	assert_int_equal(closed_n, N - HELD);
	/* another address: served though 127.0.0.1 holds eight workers in their handshakes */
	if (!tls_echo(d, &p, relay_start("127.0.0.2", port, false), "from another address\n", v13))
		h_fail_with_log(d, p.buf);
	relay_wait();
	assert_int_equal(count_closed(fds, N, closed), N - HELD);
	assert_int_equal(h_metric(sport, TLS_REFUSED), 0);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	assert_int_equal(h_stop(d), 0);
}

/*
 * handshake_timeout bounds the whole handshake, not each read: a client
 * that sends its ClientHello a byte every 100 ms (half a minute for all
 * of it) is cut off at the 2 s bound, before it is through.
 */
static void
tls_dribbled_hello_timeout_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port(), fd, one = 1;
	unsigned char hello[16384];
	size_t len, sent = 0;
	bool closed = false;

	tls_start_echo(d, port, sport, "", "handshake_timeout = 2000;");
	len = capture_hello(d, hello, sizeof(hello));
	assert_true(len > 200);
	fd = h_connect("127.0.0.1", port, TLS_IO_MS);
	assert_true(fd >= 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (sent < len - 1 && !closed) {
		if (send(fd, hello + sent, 1, MSG_NOSIGNAL) != 1)
			break;	/* reset: the daemon closed */
		sent++;
		closed = closed_by_daemon(fd, 100);
	}
	close(fd);
	print_message("    %zu of %zu bytes sent before the daemon closed\n", sent, len);
	if (sent >= len - 1)
		h_fail_with_log(d, "a ClientHello dribbled a byte at a time outlived handshake_timeout");
	if (tls_wait_sum(sport, HANDSHAKES("timeout"), 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "not counted result=timeout");
	assert_int_equal(h_stop(d), 0);
}

/*
 * A handshake_timeout longer than the master's bound for a busy worker
 * without progress (the service's timeout, 1 s here, plus 10 s): the
 * worker waiting for half a ClientHello is not killed as hung, and the
 * client is refused at the bound, counted result=timeout.
 */
static void
tls_long_handshake_timeout_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port(), fd;
	unsigned char hello[16384];
	size_t len;
	int64_t start;

	tls_start_echo(d, port, sport, "", "handshake_timeout = 12500;\ntimeout = 1;");
	len = capture_hello(d, hello, sizeof(hello));
	fd = h_connect("127.0.0.1", port, TLS_IO_MS);
	assert_true(fd >= 0);
	start = h_now_ms();
	assert_true(h_write_all(fd, hello, len / 2));
	if (!closed_by_daemon(fd, 60000))
		h_fail_with_log(d, "half a ClientHello held for a minute (handshake_timeout 12.5 s)");
	close(fd);
	assert_true(h_now_ms() - start >= 12000);
	if (h_log_contains(d, " hung: "))
		h_fail_with_log(d, "a worker within handshake_timeout was killed as hung");
	if (tls_wait_sum(sport, HANDSHAKES("timeout"), 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "not counted result=timeout");
	assert_int_equal(tls_metric_sum(sport, "netsrvd_worker_crashes_total"), 0);
	assert_int_equal(h_stop(d), 0);
}

/* Behind a balancer: the PROXY header in plain text, then the handshake; the log names the header's client. */
static void
tls_proxy_header_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char header[128];
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };

	tls_make_pki(d);
	tls_conf(d, port, sport, TLS_ECHO_KEYS " proxy_from = [ \"127.0.0.0/8\" ];", "", "");
	tls_start(d);
	snprintf(header, sizeof(header), "PROXY TCP4 192.0.2.7 127.0.0.1 5555 %d\r\n", port);
	if (!tls_echo(d, &p, relay_start_prefixed("127.0.0.1", port, false, header), "proxied\n", v13))
		h_fail_with_log(d, p.buf);
	relay_wait();
	if (!tls_wait_access(d, "service=s peer=192.0.2.7:5555 tls=TLSv1.3", NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, "no access line with the header's client and tls=");
	assert_int_equal(h_stop(d), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, h_fixture_setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(tls_garbage_test),
		T(tls_split_hello_test),
		T(tls_half_hello_timeout_test),
		T(tls_renegotiation_test),
		T(tls_many_from_one_source_test),
		T(tls_dribbled_hello_timeout_test),
		T(tls_long_handshake_timeout_test),
		T(tls_proxy_header_test),
	};

	signal(SIGPIPE, SIG_IGN);
	h_test_filter();
	return cmocka_run_group_tests_name("tls_hostile", tests, NULL, NULL);
}
