/* Host names and domain suffixes in allow/deny, run for real against a DNS server the test runs, in a mount namespace of its own whose /etc/resolv.conf names it. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnsfake.h"
#include "harness.h"

static struct dnsfake dns;
static char resolv_dir[64];
static char why_skipped[256];

/*
 * One echo round trip from src to 127.0.0.1:port: 1 served, 0 refused
 * (taken, then closed or reset before the echo), -1 no connection, -2
 * no answer at all within the hang bound (a worker stuck).
 */
static int
echo_from(const char *src, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	static const char line[] = "names\n";
	char back[sizeof(line)];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int served = -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	inet_pton(AF_INET, src, &from.sin_addr);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) == 0 &&
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		(void)h_write_all(fd, line, sizeof(line) - 1);	/* a refusal may reset it first */
		(void)shutdown(fd, SHUT_WR);
		errno = 0;
		n = h_read_all(fd, back, sizeof(back), 10000);
		if (n == (ssize_t)(sizeof(line) - 1) && memcmp(back, line, sizeof(line) - 1) == 0)
			served = 1;
		else if (n >= 0 || errno == ECONNRESET || errno == EPIPE)
			served = 0;
		else
			served = -2;
	}
	close(fd);
	return served;
}

/* An echo service with extra keys, a status service for the counters. */
static void
write_conf(struct daemon *d, int port, int sport, const char *extra)
{
	h_write_conf(d, "log = { target = \"stderr\"; level = \"debug\"; connections = true; };\n"
	    "max_per_source = 0;\nshutdown_timeout = 1;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   %s },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";\n"
	    "   workers = 1; } );\n", port, extra, sport);
}

static long long
refused_acl(int sport)
{
	return h_metric(sport, "netsrvd_refused_total{service=\"echo\",reason=\"acl\"}");
}

static int
case_setup(void **state)
{
	if (why_skipped[0] == '\0')
		dnsfake_reset(&dns);
	return h_fixture_setup(state);
}

/* Each case first: without root there is no DNS server of ours to ask, nor a namespace to ask it in. */
static void
need_resolver(void)
{
	if (why_skipped[0] != '\0') {
		print_message("skipped: %s\n", why_skipped);
		skip();
	}
}

/* A host name in allow is served from its address, no other is; a reload's new name is resolved too. */
static void
names_allowed_name_served_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	need_resolver();
	dnsfake_addr(&dns, "ok.example.org", "127.0.0.2", 1, 300);
	dnsfake_addr(&dns, "other.example.org", "127.0.0.3", 1, 300);
	write_conf(d, port, sport, "allow = [ \"ok.example.org\" ];");
	h_start_serving(d, sport);
	assert_int_equal(echo_from("127.0.0.2", port), 1);
	assert_int_equal(echo_from("127.0.0.3", port), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_refused_total{service=\"echo\",reason=\"acl\"}",
	    H_EQUAL, 1, 10000), 1);
	/* a reload: the new generation resolves its own names before its workers answer by them */
	write_conf(d, port, sport, "allow = [ \"other.example.org\" ];");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	/* the old generation's workers judge by its names until they go */
	if (!h_wait_log(d, "reloaded: generation 2", 10000) ||
	    !h_wait_log(d, "generation 1: its last worker is gone", 10000))
		h_fail_with_log(d, "no reload, or the old workers stay");
	assert_int_equal(echo_from("127.0.0.3", port), 1);
	assert_int_equal(echo_from("127.0.0.2", port), 0);
}

/* A host name in deny is refused, counted and logged as acl; others are served. */
static void
names_denied_name_refused_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	need_resolver();
	dnsfake_addr(&dns, "bad.example.org", "127.0.0.3", 1, 300);
	write_conf(d, port, sport, "deny = [ \"bad.example.org\" ];");
	h_start_serving(d, sport);
	assert_int_equal(echo_from("127.0.0.3", port), 0);
	assert_int_equal(echo_from("127.0.0.2", port), 1);
	assert_int_equal(h_wait_metric(sport, "netsrvd_refused_total{service=\"echo\",reason=\"acl\"}",
	    H_EQUAL, 1, 10000), 1);
	if (!h_wait_log(d, "service=echo peer=127.0.0.3:", 5000))
		h_fail_with_log(d, "no access log line for 127.0.0.3");
	if (!h_wait_log(d, "end=refused reason=acl", 5000))
		h_fail_with_log(d, "no end=refused reason=acl line");
}

/* One UDP echo from src to 127.0.0.1:port: true if answered within wait_ms (silence is a refusal's answer). */
static bool
udp_from(const char *src, int port, int wait_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct pollfd pf;
	char back[16];
	bool answered = false;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	inet_pton(AF_INET, src, &from.sin_addr);
	pf.fd = fd;
	pf.events = POLLIN;
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) == 0 &&
	    sendto(fd, "udp", 3, 0, (struct sockaddr *)&sa, sizeof(sa)) == 3 && poll(&pf, 1, wait_ms) == 1)
		answered = recv(fd, back, sizeof(back), 0) == 3;
	close(fd);
	return answered;
}

/* UDP too: a datagram from the allowed name's address is answered, another is dropped as acl. */
static void
names_udp_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	int64_t end;
	bool answered = false;

	need_resolver();
	dnsfake_addr(&dns, "ok.example.org", "127.0.0.2", 1, 300);
	h_write_conf(d, "log = { target = \"stderr\"; level = \"info\"; };\nservices = (\n"
	    " { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 1; allow = [ \"ok.example.org\" ]; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";\n"
	    "   workers = 1; } );\n", port, sport);
	h_start_serving(d, sport);
	/* a datagram may come before the worker is up: tried until one is answered */
	end = h_now_ms() + h_hang_ms(10000);
	while (!answered && h_now_ms() < end)
		answered = udp_from("127.0.0.2", port, 200);
	assert_true(answered);
	assert_false(udp_from("127.0.0.3", port, 500));
	assert_int_equal(h_wait_metric(sport, "netsrvd_datagrams_dropped_total{service=\"u\",reason=\"acl\"}",
	    H_EQUAL, 1, 10000), 1);
}

/* A name that stops resolving: once its record expires it matches nothing, and that is logged. */
static void
names_stops_resolving_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	struct dnsfake_record *r;
	int64_t end;
	int served = 1;

	need_resolver();
	r = dnsfake_addr(&dns, "flaky.example.org", "127.0.0.2", 1, 1);
	write_conf(d, port, sport, "allow = [ \"flaky.example.org\" ];");
	h_start_serving(d, sport);
	assert_int_equal(echo_from("127.0.0.2", port), 1);
	atomic_store(&r->gone, true);
	end = h_now_ms() + h_hang_ms(20000);
	while (served == 1 && h_now_ms() < end) {
		h_sleep_ms(100);
		served = echo_from("127.0.0.2", port);
	}
	assert_int_equal(served, 0);
	if (!h_wait_log(d, "names: \"flaky.example.org\" does not resolve (no such name)", 5000))
		h_fail_with_log(d, "the failed lookup was not logged");
	/* once per try, not per connection */
	assert_int_equal(echo_from("127.0.0.2", port), 0);
	assert_int_equal(h_log_count(d, "\"flaky.example.org\" does not resolve"), 1);
}

/* The names process of the master's generation, from the master's children, or -1. */
static pid_t
names_process(pid_t master)
{
	pid_t kids[64];
	int n = h_children(master, kids, 64);
	char cmd[256];

	for (int i = 0; i < n; i++) {
		h_cmdline(kids[i], cmd, sizeof(cmd));
		if (strstr(cmd, "netsrvd: names") != NULL)
			return kids[i];
	}
	return -1;
}

/*
 * The names process killed: said by the master, and each name lapses
 * once its records expire, matching nothing rather than addresses no
 * one renews.
 */
static void
names_process_gone_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char line[128];
	int64_t end;
	int served = 1;
	pid_t np;

	need_resolver();
	dnsfake_addr(&dns, "ok.example.org", "127.0.0.2", 1, 1);
	write_conf(d, port, sport, "lookup_timeout = 500; allow = [ \"ok.example.org\" ];");
	h_start_serving(d, sport);
	assert_int_equal(echo_from("127.0.0.2", port), 1);
	np = names_process(d->pid);
	assert_true(np > 0);
	assert_int_equal(kill(np, SIGKILL), 0);
	snprintf(line, sizeof(line), "names: process %ld killed by signal 9", (long)np);
	if (!h_wait_log(d, line, 10000))
		h_fail_with_log(d, "the names process's end was not logged");
	end = h_now_ms() + h_hang_ms(20000);
	while (served == 1 && h_now_ms() < end) {
		h_sleep_ms(100);
		served = echo_from("127.0.0.2", port);
	}
	assert_int_equal(served, 0);
}

/*
 * A DNS server that never answers: the one worker refuses the client it
 * waited for a name for, within lookup_timeout (the bound here only
 * catches a hang), and serves the next client. The names process's
 * queries take the largest lookup_timeout of all (the other service's
 * minute): the worker must keep to its own.
 */
static void
silent_resolver(struct daemon *d, const char *rule)
{
	int port = h_free_port(), sport = h_free_port();
	char extra[512];
	int64_t t0;

	atomic_store(&dns.t->silent, true);
	snprintf(extra, sizeof(extra), "workers = 1; max_workers = 1; lookup_timeout = 300;\n"
	    "   allow = [ \"%s\", \"127.0.0.9\" ]; },\n"
	    " { name = \"slow\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 1; lookup_timeout = 60000; allow = [ \"slow.example.net\" ];", rule, h_free_port());
	write_conf(d, port, sport, extra);
	h_start_serving(d, sport);
	t0 = h_now_ms();
	assert_int_equal(echo_from("127.0.0.4", port), 0);
	print_message("refused after %lld ms\n", (long long)(h_now_ms() - t0));
	assert_int_equal(echo_from("127.0.0.9", port), 1);
	assert_true(atomic_load(&dns.t->queries) >= 1);
	assert_int_equal(refused_acl(sport), 1);
}

/* a host name never resolved: the worker waits for it no longer than lookup_timeout */
static void
names_silent_resolver_forward_test(void **state)
{
	need_resolver();
	silent_resolver(*state, "ok.example.org");
}

/* a client's reverse name never found: the same */
static void
names_silent_resolver_reverse_test(void **state)
{
	need_resolver();
	silent_resolver(*state, ".example.org");
}

/* A PTR record that lies (its name's address is another's) matches no suffix; one that tells the truth does. */
static void
names_lying_reverse_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	need_resolver();
	dnsfake_ptr(&dns, "127.0.0.5", "liar.example.org", 300);
	dnsfake_addr(&dns, "liar.example.org", "127.0.0.6", 1, 300);
	dnsfake_ptr(&dns, "127.0.0.2", "c2.Example.ORG", 300);
	dnsfake_addr(&dns, "c2.example.org", "127.0.0.2", 1, 300);
	dnsfake_ptr(&dns, "127.0.0.3", "c3.example.net", 300);
	dnsfake_addr(&dns, "c3.example.net", "127.0.0.3", 1, 300);
	write_conf(d, port, sport, "allow = [ \".example.org\" ];");
	h_start_serving(d, sport);
	assert_int_equal(echo_from("127.0.0.5", port), 0);
	assert_int_equal(echo_from("127.0.0.2", port), 1);
	assert_int_equal(echo_from("127.0.0.3", port), 0);
	if (!h_wait_log(d, "client 127.0.0.5: its reverse name \"liar.example.org\" does not resolve back to it", 5000))
		h_fail_with_log(d, "the lie was not logged");
}

/* A name with 1,000 addresses: every one of them is allowed, the first and the last, and no other. */
static void
names_thousand_addresses_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	need_resolver();
	dnsfake_addr(&dns, "many.example.org", "127.1.0.1", 1000, 300);	/* .. 127.1.3.232 */
	write_conf(d, port, sport, "allow = [ \"many.example.org\" ];");
	h_start_serving(d, sport);
	assert_int_equal(echo_from("127.1.0.1", port), 1);
	assert_int_equal(echo_from("127.1.3.232", port), 1);
	assert_int_equal(echo_from("127.1.3.233", port), 0);
	assert_false(h_log_contains(d, "allow and deny take its first"));
}

/* More than NAMES_ADDRS_MAX (1024): the first are kept, with a warning. */
static void
names_capped_addresses_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	need_resolver();
	dnsfake_addr(&dns, "huge.example.org", "127.2.0.1", 1500, 300);
	write_conf(d, port, sport, "allow = [ \"huge.example.org\" ];");
	h_start_serving(d, sport);
	assert_int_equal(echo_from("127.2.0.1", port), 1);
	assert_int_equal(echo_from("127.2.4.0", port), 1);	/* the 1024th */
	assert_int_equal(echo_from("127.2.4.1", port), 0);	/* the 1025th */
	if (!h_wait_log(d, "names: \"huge.example.org\" has 1500 addresses; allow and deny take its first 1024", 5000))
		h_fail_with_log(d, "no warning for the cap");
}

#define CLIENTS		4
#define CONNECTIONS	10000

/* 10,000 connections from 127.0.0.2..5 under a domain rule: one PTR query per client, all served. */
static void
names_reverse_cached_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	struct dnsfake_record *ptr[CLIENTS];
	pid_t pid[CLIENTS];

	need_resolver();
	for (int i = 0; i < CLIENTS; i++) {
		char addr[32], name[64];

		snprintf(addr, sizeof(addr), "127.0.0.%d", i + 2);
		snprintf(name, sizeof(name), "c%d.example.org", i + 2);
		ptr[i] = dnsfake_ptr(&dns, addr, name, 300);
		dnsfake_addr(&dns, name, addr, 1, 300);
	}
	write_conf(d, port, sport, "workers = 4; allow = [ \".example.org\" ];");
	h_start_serving(d, sport);
	for (int i = 0; i < CLIENTS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			char addr[32];
			int bad = 0;

			snprintf(addr, sizeof(addr), "127.0.0.%d", i + 2);
			for (int k = 0; k < CONNECTIONS / CLIENTS; k++)
				bad += echo_from(addr, port) != 1;
			_exit(bad == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(h_wait_exit(pid[i], h_hang_ms(300000)), 0);
	for (int i = 0; i < CLIENTS; i++) {
		print_message("client 127.0.0.%d: %u PTR queries\n", i + 2, atomic_load(&ptr[i]->queries));
		assert_int_equal(atomic_load(&ptr[i]->queries), 1);
	}
	assert_int_equal(h_wait_metric(sport, "netsrvd_connections_total{service=\"echo\"}", H_AT_LEAST,
	    CONNECTIONS, 10000) >= CONNECTIONS, 1);
	assert_int_equal(refused_acl(sport), 0);
}

/*
 * The whole test in a mount namespace of its own, where /etc/resolv.conf
 * is a file naming the test's DNS server: every daemon it starts asks it.
 */
static bool
private_resolver(char *why, size_t len)
{
	char path[128];
	FILE *f;

	if (geteuid() != 0) {
		snprintf(why, len, "needs root: a mount namespace, and port 53");
		return false;
	}
	if (!dnsfake_start(&dns)) {
		snprintf(why, len, "cannot start the DNS server on 127.0.53.x:53: %s", strerror(errno));
		return false;
	}
	snprintf(resolv_dir, sizeof(resolv_dir), "/tmp/netsrvd-names-XXXXXX");
	snprintf(path, sizeof(path), "%s/resolv.conf", mkdtemp(resolv_dir) ? resolv_dir : "/nonexistent");
	f = fopen(path, "w");
	if (f == NULL || fprintf(f, "nameserver %s\noptions timeout:1 attempts:1\n", dns.addr) < 0 ||
	    fclose(f) != 0) {
		snprintf(why, len, "cannot write %s", path);
		return false;
	}
	if (unshare(CLONE_NEWNS) == -1 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) == -1) {
		snprintf(why, len, "cannot bind %s over /etc/resolv.conf in a mount namespace: %s", path,
		    strerror(errno));
		return false;
	}
	return true;
}

static void
remove_resolver(void)
{
	char path[128];

	dnsfake_stop(&dns);
	if (resolv_dir[0] == '\0' || strchr(resolv_dir, 'X') != NULL)
		return;
	snprintf(path, sizeof(path), "%s/resolv.conf", resolv_dir);
	umount("/etc/resolv.conf");
	unlink(path);
	rmdir(resolv_dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(names_allowed_name_served_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_denied_name_refused_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_udp_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_stops_resolving_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_process_gone_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_silent_resolver_forward_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_silent_resolver_reverse_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_lying_reverse_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_thousand_addresses_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_capped_addresses_test, case_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(names_reverse_cached_test, case_setup, h_fixture_teardown),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	h_test_filter();
	if (!private_resolver(why_skipped, sizeof(why_skipped)))
		print_message("names_test: %s; skipping\n", why_skipped);
	rc = cmocka_run_group_tests_name("names", tests, NULL, NULL);
	remove_resolver();
	return rc;
}
