/*
 * Per-service socket options, run for real: keepalive on the connections
 * a worker accepts (seen in the kernel's own table of TCP sockets), and
 * interface binding (served on lo; an unknown interface refused by -t and
 * by a reload, with its file and line).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "harness.h"

#define IO_MS	5000

static void
write_conf(struct daemon *d, const char *services)
{
	h_write_conf(d,
	    "pid_file = \"%s\";\n"
	    "log = { target = \"stderr\"; level = \"info\"; connections = true; };\n"
	    "workers = 1;\n"
	    "shutdown_timeout = 2;\n"
	    "services = (\n%s\n);\n", d->pidfile, services);
}

static int
local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/*
 * The server's end of our connection in /proc/net/tcp: its timer kind
 * ("tr": 0 none, 1 retransmit, 2 keepalive...) and when it fires, in
 * clock ticks (USER_HZ, 100 a second on Linux). False if not found.
 */
static bool
server_timer(int service_port, int client_port, unsigned *kind, unsigned long *when)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	bool found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		unsigned laddr, lport, raddr, rport, st, txq, rxq, tr;
		unsigned long tm;

		if (sscanf(line, " %*u: %8X:%4X %8X:%4X %2X %8X:%8X %2X:%8lX", &laddr, &lport,
		    &raddr, &rport, &st, &txq, &rxq, &tr, &tm) != 9)
			continue;
		if ((int)lport == service_port && (int)rport == client_port && st == 1) {
			*kind = tr;
			*when = tm;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* An echo round trip: the worker has accepted (and set its options) once it answers. */
static int
connect_and_echo(int port)
{
	char buf[8];
	size_t got = 0;
	int64_t end = h_now_ms() + IO_MS;
	int fd = h_connect("127.0.0.1", port, IO_MS);

	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "ping\n", 5));
	while (got < 5 && h_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) != 1)
			continue;
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(got, 5);
	return fd;
}

/*
 * keepalive = true with keepalive_idle = 77: the accepted connection has
 * its keepalive timer running, due within 77 s; a service without
 * keepalive has no timer on an idle connection.
 */
static void
sockopt_keepalive_test(void **state)
{
	struct daemon *d = *state;
	int ka = h_free_port(), plain = h_free_port();
	char svcs[1024];
	unsigned kind = 99;
	unsigned long when = 0;
	int a, b;

	snprintf(svcs, sizeof(svcs),
	    "{ name = \"ka\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "  keepalive = true; keepalive_idle = 77; keepalive_interval = 9; keepalive_count = 4; },\n"
	    "{ name = \"plain\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; }",
	    ka, plain);
	write_conf(d, svcs);
	h_start_serving(d, ka);
	a = connect_and_echo(ka);
	b = connect_and_echo(plain);
	assert_true(server_timer(ka, local_port(a), &kind, &when));
	print_message("    keepalive service: timer kind %u, due in %lu ticks\n", kind, when);
	assert_int_equal(kind, 2);
	assert_true(when > 70 * 100 && when <= 77 * 100);
	assert_true(server_timer(plain, local_port(b), &kind, &when));
	print_message("    plain service: timer kind %u\n", kind);
	assert_int_equal(kind, 0);
	close(a);
	close(b);
	assert_int_equal(h_stop(d), 0);
}

/* interface = "lo": a service on 127.0.0.1 is served through it. */
static void
sockopt_interface_lo_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port();
	char svcs[1024], r[16];

	snprintf(svcs, sizeof(svcs),
	    "{ name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; interface = \"lo\"; },\n"
	    "{ name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; interface = \"lo\"; }",
	    port, uport);
	write_conf(d, svcs);
	h_start_serving(d, port);
	assert_true(h_echo("127.0.0.1", port, "hello", 5, IO_MS));
	assert_int_equal(h_udp_query("127.0.0.1", uport, "hi", 2, r, sizeof(r), IO_MS), 2);
	assert_int_equal(h_stop(d), 0);
}

/* An unknown interface: -t says so with the file and the setting's line, exit 78. */
static void
sockopt_interface_unknown_check_test(void **state)
{
	struct daemon *d = *state;
	char out[4096], want[512];
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };

	h_write_conf(d,
	    "services = (\n"
	    "  { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "    interface = \"netsrvd-none0\"; }\n"
	    ");\n", h_free_port());
	assert_int_equal(h_run(argv, out, sizeof(out), 10000), 78);
	snprintf(want, sizeof(want), "%s:3: service \"e\": unknown interface \"netsrvd-none0\"", d->conf);
	if (strstr(out, want) == NULL)
		fail_msg("expected \"%s\", got \"%s\"", want, out);
}

/* A reload naming an unknown interface is refused with its line; the old configuration serves on. */
static void
sockopt_interface_unknown_reload_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char svcs[512], want[512];

	snprintf(svcs, sizeof(svcs),
	    "{ name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; }", port);
	write_conf(d, svcs);
	h_start_serving(d, port);
	snprintf(svcs, sizeof(svcs),
	    "{ name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "  interface = \"netsrvd-none0\"; }", port);
	write_conf(d, svcs);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	/* the services list starts on line 5; the setting is on its second line */
	snprintf(want, sizeof(want), "reload failed: %s:7: service \"e\": unknown interface \"netsrvd-none0\"", d->conf);
	if (!h_wait_log(d, want, IO_MS))
		h_fail_with_log(d, "the reload was not refused with the interface's line");
	assert_true(h_echo("127.0.0.1", port, "still", 5, IO_MS));
	assert_int_equal(h_stop(d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sockopt_keepalive_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(sockopt_interface_lo_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(sockopt_interface_unknown_check_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(sockopt_interface_unknown_reload_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("sockopt", tests, NULL, NULL);
}
