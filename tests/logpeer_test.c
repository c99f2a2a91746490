/* log_peer: what the access log, `netsrvd -s` and an exec program's stderr lines show of a client, run for real. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "accesslog.h"
#include "harness.h"
#include "logpeer.h"

#define IO_MS 3000

struct ports {
	int echo, oops, status;
};

/*
 * An echo service on every address (IPv6 too), an exec service whose
 * program writes one stderr line, the status service -s asks. global is
 * put among the globals, echo_extra and oops_extra in those services.
 */
static void
write_conf(struct daemon *d, const struct ports *p, const char *global, const char *echo_extra,
    const char *oops_extra)
{
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "%s\n"
	    "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"*\"; port = %d; handler = \"echo\";\n"
	    "   workers = 2; %s },\n"
	    " { name = \"oops\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"/bin/sh\", \"-c\", \"echo oops >&2\" ]; %s },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";\n"
	    "   workers = 1; } );\n",
	    global, p->echo, echo_extra, p->oops, oops_extra, p->status);
}

static void
pick_ports(struct ports *p)
{
	p->echo = h_free_port();
	p->oops = h_free_port();
	p->status = h_free_port();
}

/* Whether this host can talk to itself over ::1 (a container may have no IPv6). */
static bool
have_v6_loopback(int port)
{
	int fd = h_connect("::1", port, 1000);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The port our end of fd has. */
static int
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* One echo round trip from addr; the connection is left to the caller, open. */
static int
hold_open(const char *addr, int port)
{
	char c;
	int fd = h_connect(addr, port, IO_MS);

	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "x", 1));
	assert_int_equal(h_read_all(fd, &c, 1, IO_MS), 1);	/* its worker is busy with us */
	return fd;
}

/*
 * The PEER column of the busy row of service in `netsrvd -s`, into peer;
 * waits (a hang bound) for the row to be there. out gets the whole table.
 */
static void
status_peer(struct daemon *d, const char *service, char *peer, size_t len, char *out, size_t outlen)
{
	const char *argv[] = { h_netsrvd(), "-s", "-c", d->conf, NULL };
	int64_t end = h_now_ms() + h_hang_ms(10000);

	do {
		char copy[16384];

		assert_int_equal(h_run(argv, out, outlen, 5000), 0);
		snprintf(copy, sizeof(copy), "%s", out);
		for (char *l = strtok(copy, "\r\n"); l != NULL; l = strtok(NULL, "\r\n")) {
			char pid[16], svc[40], st[16], p[96];

			if (sscanf(l, "%15s %39s %15s %95s", pid, svc, st, p) == 4 &&
			    strcmp(svc, service) == 0 && strcmp(st, "busy") == 0) {
				snprintf(peer, len, "%s", p);
				return;
			}
		}
		h_sleep_ms(50);
	} while (h_now_ms() < end);
	fail_msg("no busy %s row in:\n%s", service, out);
}

/* The stderr line of the oops program, once the program ran for a client; its text into line. */
static void
oops_line(struct daemon *d, int port, char *line, size_t len)
{
	char buf[64];
	int fd = h_connect("127.0.0.1", port, IO_MS);
	const char *log, *p, *start;

	assert_true(fd >= 0);
	(void)h_read_all(fd, buf, sizeof(buf), IO_MS);	/* the program writes nothing: EOF */
	close(fd);
	assert_true(h_wait_log(d, ": oops", 10000));
	log = h_read_log(d);
	p = strstr(log, ": oops");
	for (start = p; start > log && start[-1] != '\n'; start--)
		;
	snprintf(line, len, "%.*s", (int)(strcspn(start, "\n")), start);
	free((void *)log);
}

/* /metrics carries no address whatever log_peer says: its labels are services, results, reasons. */
static void
assert_metrics_anonymous(int sport)
{
	static char page[65536];
	const char *req = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
	int fd = h_connect("127.0.0.1", sport, IO_MS);
	ssize_t n;

	assert_true(fd >= 0);
	assert_true(h_write_all(fd, req, strlen(req)));
	n = h_read_all(fd, page, sizeof(page) - 1, IO_MS);
	close(fd);
	assert_true(n > 0);
	page[n] = '\0';
	assert_non_null(strstr(page, "netsrvd_build_info"));
	if (strstr(page, "127.0.0.") != NULL || strstr(page, "::1") != NULL || strstr(page, "peer") != NULL)
		fail_msg("an address in /metrics:\n%s", page);
}

/* The three places, for one mode set globally: want4, want6 are peer= as the access log writes it. */
static void
check_mode(struct daemon *d, const char *mode, const char *want4, const char *want6,
    const char *column4)
{
	struct ports p;
	char global[64], want[160], peer[96], expect[96], table[16384], line[512];
	struct al_line l;
	int fd;

	pick_ports(&p);
	snprintf(global, sizeof(global), "log_peer = \"%s\";", mode);
	write_conf(d, &p, global, "", "");
	h_start_serving(d, p.echo);

	/* the access log, IPv4 */
	assert_true(h_echo("127.0.0.1", p.echo, "hi\n", 3, IO_MS));
	snprintf(want, sizeof(want), "service=echo peer=%s end=closed", want4);
	if (!al_wait(d, want, &l, 10000))
		h_fail_with_log(d, want);
	print_message("    %s: peer=%s\n", mode, al_get(&l, "peer"));

	/* and IPv6, where the loopback has it */
	if (have_v6_loopback(p.echo)) {
		assert_true(h_echo("::1", p.echo, "hi\n", 3, IO_MS));
		snprintf(want, sizeof(want), "service=echo peer=%s end=closed", want6);
		if (!al_wait(d, want, &l, 10000))
			h_fail_with_log(d, want);
		print_message("    %s: peer=%s\n", mode, al_get(&l, "peer"));
	} else
		print_message("    no IPv6 loopback here: the /48 is checked by the unit case only\n");

	/* the PEER column while the connection is open */
	fd = hold_open("127.0.0.1", p.echo);
	status_peer(d, "echo", peer, sizeof(peer), table, sizeof(table));
	if (column4 != NULL)
		snprintf(expect, sizeof(expect), "%s", column4);
	else
		snprintf(expect, sizeof(expect), "127.0.0.1:%d", local_port(fd));
	if (strcmp(peer, expect) != 0)
		fail_msg("%s: PEER %s, want %s, in:\n%s", mode, peer, expect, table);
	print_message("    %s: PEER %s\n", mode, peer);
	if (column4 != NULL) {
		snprintf(expect, sizeof(expect), "127.0.0.1:%d", local_port(fd));
		assert_null(strstr(table, expect));
	}
	close(fd);

	/* the exec program's stderr line: tagged with the service and program, never the client */
	oops_line(d, p.oops, line, sizeof(line));
	print_message("    %s: %s\n", mode, line);
	assert_non_null(strstr(line, "service oops: program "));
	assert_null(strstr(line, "127.0.0.1"));
	snprintf(want, sizeof(want), "service=oops peer=%s end=done", want4);
	if (!al_wait(d, want, NULL, 10000))
		h_fail_with_log(d, want);

	assert_metrics_anonymous(p.status);

	/* nowhere in the log, but where it is shown whole */
	if (column4 != NULL && h_log_contains(d, "peer=127.0.0.1:"))
		h_fail_with_log(d, "a whole address in the access log");
	assert_int_equal(h_stop(d), 0);
}

static void
logpeer_full_test(void **state)
{
	check_mode(*state, "full", "127.0.0.1:*", "[::1]:*", NULL);
}

static void
logpeer_prefix_test(void **state)
{
	check_mode(*state, "prefix", "127.0.0.0/24", "::/48", "127.0.0.0/24");
}

static void
logpeer_none_test(void **state)
{
	check_mode(*state, "none", "-", "-", "-");
}

/* A service's own log_peer wins over the global one; a service without takes the global. */
static void
logpeer_service_overrides_test(void **state)
{
	struct daemon *d = *state;
	struct ports p;
	char peer[96], table[16384], line[512];
	int fd;

	pick_ports(&p);
	write_conf(d, &p, "log_peer = \"none\";", "log_peer = \"full\";", "");
	h_start_serving(d, p.echo);
	assert_true(h_echo("127.0.0.1", p.echo, "hi\n", 3, IO_MS));
	if (!al_wait(d, "service=echo peer=127.0.0.1:* end=closed", NULL, 10000))
		h_fail_with_log(d, "echo: full, its own");
	fd = hold_open("127.0.0.1", p.echo);
	status_peer(d, "echo", peer, sizeof(peer), table, sizeof(table));
	assert_int_equal(strncmp(peer, "127.0.0.1:", 10), 0);
	close(fd);
	oops_line(d, p.oops, line, sizeof(line));
	if (!al_wait(d, "service=oops peer=- end=done", NULL, 10000))
		h_fail_with_log(d, "oops: none, the global");
	assert_int_equal(h_stop(d), 0);

	/* and the other way round: a global full, a service prefix */
	pick_ports(&p);
	write_conf(d, &p, "", "log_peer = \"prefix\";", "");
	h_start_serving(d, p.echo);
	assert_true(h_echo("127.0.0.1", p.echo, "hi\n", 3, IO_MS));
	if (!al_wait(d, "service=echo peer=127.0.0.0/24 end=closed", NULL, 10000))
		h_fail_with_log(d, "echo: prefix, its own");
	oops_line(d, p.oops, line, sizeof(line));
	if (!al_wait(d, "service=oops peer=127.0.0.1:* end=done", NULL, 10000))
		h_fail_with_log(d, "oops: full, the default");
	assert_int_equal(h_stop(d), 0);
}

/*
 * The peer of a PROXY-protocol client is the client its header names,
 * masked like any other; the balancer is shown whole.
 */
static void
logpeer_proxy_client_test(void **state)
{
	struct daemon *d = *state;
	struct ports p;
	char hdr[128], buf[8];
	int fd;

	pick_ports(&p);
	write_conf(d, &p, "log_peer = \"prefix\";", "proxy_from = [ \"127.0.0.1/32\" ];", "");
	h_start_serving(d, p.echo);
	fd = h_connect("127.0.0.1", p.echo, IO_MS);
	assert_true(fd >= 0);
	snprintf(hdr, sizeof(hdr), "PROXY TCP4 203.0.113.7 127.0.0.1 4711 %d\r\nhi", p.echo);
	assert_true(h_write_all(fd, hdr, strlen(hdr)));
	assert_int_equal(h_read_all(fd, buf, 2, IO_MS), 2);
	assert_memory_equal(buf, "hi", 2);
	close(fd);
	if (!al_wait(d, "service=echo peer=203.0.113.0/24 proxy=127.0.0.1:* end=closed", NULL, 10000))
		h_fail_with_log(d, "the relayed client, masked");
	assert_false(h_log_contains(d, "203.0.113.7"));
	assert_int_equal(h_stop(d), 0);
}

/* Masked, clients are still told apart for max_per_source (by a digest, not the address). */
static void
logpeer_per_source_still_counts_test(void **state)
{
	struct daemon *d = *state;
	struct ports p;
	char c;
	int fd, fd2;

	pick_ports(&p);
	write_conf(d, &p, "log_peer = \"none\"; max_per_source = 1;", "", "");
	h_start_serving(d, p.echo);
	fd = hold_open("127.0.0.1", p.echo);
	/* refused: closed before a byte; the reset may come before our connect() has looked */
	fd2 = h_connect("127.0.0.1", p.echo, IO_MS);
	if (fd2 >= 0) {
		assert_true(h_read_all(fd2, &c, 1, IO_MS) <= 0);
		close(fd2);
	} else
		assert_int_equal(errno, ECONNRESET);
	if (!al_wait(d, "service=echo peer=- end=refused reason=per_source", NULL, 10000))
		h_fail_with_log(d, "the second connection of 127.0.0.1 refused");
	/* another client is another source */
	if (have_v6_loopback(p.echo))
		assert_true(h_echo("::1", p.echo, "hi\n", 3, IO_MS));
	close(fd);
	assert_int_equal(h_stop(d), 0);
}

/* A word log_peer does not know is refused by -t, at its file and line, in either scope. */
static void
logpeer_bad_value_test(void **state)
{
	struct daemon *d = *state;
	struct ports p = { 7, 9, 11 };
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	char out[4096], want[512];

	write_conf(d, &p, "log_peer = \"partial\";", "", "");
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 78);
	snprintf(want, sizeof(want), "%s:3: \"log_peer\" must be one of \"full\", \"prefix\", \"none\"", d->conf);
	if (strstr(out, want) == NULL)
		fail_msg("-t said: %s\nwant: %s", out, want);

	write_conf(d, &p, "", "", "log_peer = \"FULL\";");
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 78);
	snprintf(want, sizeof(want), "%s:8: \"log_peer\" must be one of", d->conf);
	if (strstr(out, want) == NULL)
		fail_msg("-t said: %s\nwant: %s", out, want);

	write_conf(d, &p, "log_peer = 1;", "", "");
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 78);
	assert_non_null(strstr(out, ":3: \"log_peer\" must be one of"));

	write_conf(d, &p, "log_peer = \"none\";", "log_peer = \"prefix\";", "");
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 0);
}

/* The formatter, for what loopback cannot show: other prefixes, v4-mapped, a mode out of range. */
static void
logpeer_format_test(void **state)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(40404) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(4711) };
	unsigned char key[16];
	uint16_t port = 4711;
	char buf[96];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2:3:4:5:6", &s6.sin6_addr), 1);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr), 1);
	logpeer_format(LOG_PEER_FULL, (struct sockaddr *)&s6, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8:1:2:3:4:5:6]:40404");
	logpeer_format(LOG_PEER_PREFIX, (struct sockaddr *)&s6, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:1::/48");
	logpeer_format(LOG_PEER_NONE, (struct sockaddr *)&s6, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	logpeer_format(LOG_PEER_PREFIX, (struct sockaddr *)&s4, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.0/24");

	/* an IPv4 client of a dual-stack socket: its /24, not a /48 of ::ffff:0:0 */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:198.51.100.9", &s6.sin6_addr), 1);
	logpeer_format(LOG_PEER_PREFIX, (struct sockaddr *)&s6, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.0/24");

	/* the key a worker stores: masked in place, the port gone */
	memcpy(key, &s6.sin6_addr, 16);
	logpeer_mask_key(LOG_PEER_PREFIX, key, &port);
	assert_int_equal(port, 0);
	assert_int_equal(key[15], 0);
	assert_int_equal(key[14], 100);
	logpeer_mask_key(LOG_PEER_NONE, key, &port);
	for (int i = 0; i < 16; i++)
		assert_int_equal(key[i], 0);

	/* a mode read back from shared memory that is no mode shows nothing */
	assert_int_equal(logpeer_mode_of(7), LOG_PEER_NONE);
	assert_int_equal(logpeer_mode_of(-1), LOG_PEER_NONE);
	assert_int_equal(logpeer_mode_of(LOG_PEER_PREFIX), LOG_PEER_PREFIX);
	assert_int_equal(logpeer_mode("prefix"), LOG_PEER_PREFIX);
	assert_int_equal(logpeer_mode(NULL), LOG_PEER_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(logpeer_format_test),
		cmocka_unit_test_setup_teardown(logpeer_bad_value_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(logpeer_full_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(logpeer_prefix_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(logpeer_none_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(logpeer_service_overrides_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(logpeer_proxy_client_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(logpeer_per_source_still_counts_test, h_fixture_setup,
		    h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("logpeer", tests, NULL, NULL);
}
