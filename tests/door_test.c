/* What a TCP client meets at the door, run for real: banner, banner_success, banner_fail, max_load. */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define HELLO	"hello from the door\r\n"
#define WELCOME	"welcome\r\n"
#define GO_AWAY	"go away\r\n"

struct ports {
	int echo, prog, status;
};

/* The three banner files in the test's directory; the config names them relative to itself. */
static void
write_banners(struct daemon *d)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/hello.txt", d->dir);
	h_write_file(path, HELLO);
	snprintf(path, sizeof(path), "%s/welcome.txt", d->dir);
	h_write_file(path, WELCOME);
	snprintf(path, sizeof(path), "%s/away.txt", d->dir);
	h_write_file(path, GO_AWAY);
}

/* echo and an exec program with every banner; echo_extra goes into the echo service. */
static void
conf_door(struct daemon *d, const struct ports *p, const char *echo_extra)
{
	h_write_conf(d, "shutdown_timeout = 1;\nmax_per_source = 0;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 1; banner = \"hello.txt\"; banner_success = \"welcome.txt\";\n"
	    "   banner_fail = \"away.txt\"; %s },\n"
	    " { name = \"prog\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"/bin/echo\", \"from the program\" ];\n"
	    "   banner_success = \"welcome.txt\"; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";\n"
	    "   workers = 1; } );\n", p->echo, echo_extra, p->prog, p->status);
}

static void
start_door(struct daemon *d, struct ports *p, const char *echo_extra)
{
	p->echo = h_free_port();
	p->prog = h_free_port();
	p->status = h_free_port();
	write_banners(d);
	conf_door(d, p, echo_extra);
	h_start_serving(d, p->status);
}

/* Connects, sends what (may be NULL), half-closes, reads everything until EOF into buf. */
static ssize_t
talk(int port, const char *what, char *buf, size_t len)
{
	int fd = h_connect("127.0.0.1", port, 5000);
	ssize_t n;

	assert_true(fd >= 0);
	if (what != NULL)
		assert_true(h_write_all(fd, what, strlen(what)));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	n = h_read_all(fd, buf, len - 1, h_hang_ms(10000));
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* A client let in: banner, banner_success, then the service itself, bytes counted as sent. */
static void
door_banners_let_in_test(void **state)
{
	struct daemon *d = *state;
	struct ports p;
	char buf[512];

	start_door(d, &p, "");
	assert_true(talk(p.echo, "ping\n", buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, HELLO WELCOME "ping\n");
	assert_true(talk(p.prog, NULL, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, WELCOME "from the program\n");
	if (!h_wait_log(d, "service=echo peer=127.0.0.1", 5000))
		h_fail_with_log(d, "no access line for echo");
	{
		char want[64];
		snprintf(want, sizeof(want), "in=5 out=%zu", strlen(HELLO WELCOME "ping\n"));
		if (!h_wait_log(d, want, 5000))
			h_fail_with_log(d, "the banners are not counted in the bytes out");
	}
}

/*
 * A client refused: banner and banner_fail, then an orderly end of the
 * stream (EOF, not a reset), and the refusal is counted as the ACL's.
 */
static void
door_banners_refused_test(void **state)
{
	struct daemon *d = *state;
	struct ports p;
	char buf[512];

	start_door(d, &p, "deny = [ \"127.0.0.0/8\" ];");
	/* the client says nothing: what it sent unread would turn the close into a reset */
	assert_int_equal(talk(p.echo, NULL, buf, sizeof(buf)), (ssize_t)strlen(HELLO GO_AWAY));
	assert_string_equal(buf, HELLO GO_AWAY);
	assert_int_equal(h_wait_metric(p.status, "netsrvd_refused_total{service=\"echo\",reason=\"acl\"}",
	    H_EQUAL, 1, 10000), 1);
	assert_int_equal(h_metric(p.status, "netsrvd_connections_total{service=\"echo\"}"), 0);
}

/* A reload reads the banner files again: the new text is what the next client gets. */
static void
door_banner_reload_test(void **state)
{
	struct daemon *d = *state;
	struct ports p;
	char buf[512], path[256];

	start_door(d, &p, "");
	assert_true(talk(p.echo, "a\n", buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, HELLO WELCOME "a\n");
	snprintf(path, sizeof(path), "%s/welcome.txt", d->dir);
	h_write_file(path, "welcome again\r\n");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_true(h_wait_metric(p.status, "netsrvd_reloads_total{result=\"ok\"}", H_AT_LEAST, 1,
	    10000) >= 1);
	for (int i = 0; i < 100; i++) {
		assert_true(talk(p.echo, "b\n", buf, sizeof(buf)) >= 0);
		if (strcmp(buf, HELLO "welcome again\r\n" "b\n") == 0)
			return;
		/* an old worker may still take one connection while the new ones start */
		assert_string_equal(buf, HELLO WELCOME "b\n");
		h_sleep_ms(50);
	}
	fail_msg("the reloaded banner never reached a client: %s", buf);
}

/* -t refuses, with FILE:LINE and the reason, each banner a worker could not send. */
static void
door_banner_errors_test(void **state)
{
	struct daemon *d = *state;
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	char out[4096], path[256], *big = malloc(8194);
	static const struct {
		const char *keys, *proto, *said;
	} cases[] = {
		{ "banner = \"missing.txt\";", "tcp", "/missing.txt: No such file or directory" },
		{ "banner_fail = \"big.txt\";", "tcp", "banner_fail" },
		{ "banner_fail = \"big.txt\";", "tcp", "larger than 8 KiB" },
		{ "banner_success = \".\";", "tcp", "Is a directory" },
		{ "banner = \"hello.txt\";", "udp", "banner applies to TCP services only" },
		{ "max_load = 2.5;", "udp", "max_load applies to TCP services only" },
		{ "max_load = -1;", "tcp", "\"max_load\" is -1, out of range" },
		{ "max_load = \"high\";", "tcp", "\"max_load\" must be a number" },
	};

	assert_non_null(big);
	memset(big, 'x', 8193);
	big[8193] = '\0';
	snprintf(path, sizeof(path), "%s/big.txt", d->dir);
	h_write_file(path, big);
	big[8192] = '\0';
	snprintf(path, sizeof(path), "%s/exact.txt", d->dir);
	h_write_file(path, big);
	free(big);
	write_banners(d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h_write_conf(d, "services = (\n { name = \"e\"; protocol = \"%s\"; address = \"127.0.0.1\";"
		    " port = %d; handler = \"echo\";\n   %s } );\n", cases[i].proto, h_free_port(),
		    cases[i].keys);
		if (h_run(argv, out, sizeof(out), 5000) == 0 || strstr(out, cases[i].said) == NULL ||
		    strstr(out, ":3:") == NULL)
			fail_msg("%s: -t said:\n%s", cases[i].keys, out);
	}
	/* 8 KiB exactly, and an integer max_load, are fine */
	h_write_conf(d, "services = (\n { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\";"
	    " port = %d; handler = \"echo\";\n   banner = \"exact.txt\"; max_load = 3; } );\n", h_free_port());
	if (h_run(argv, out, sizeof(out), 5000) != 0)
		fail_msg("-t said:\n%s", out);
}

/* The 1-minute load average, as the kernel says it in /proc/loadavg. */
static double
load1(void)
{
	char buf[128];
	FILE *f = fopen("/proc/loadavg", "r");
	double v = -1;

	assert_non_null(f);
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtod(buf, NULL);
	fclose(f);
	return v;
}

/* Children that keep a CPU busy, so the load average has something to say; stopped by the teardown too. */
static pid_t spinners[2];

static void
spin(pid_t *kids, int n)
{
	for (int i = 0; i < n; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			alarm(120);	/* never outlives a test that died */
			for (;;)
				;
		}
	}
}

static void
unspin(pid_t *kids, int n)
{
	for (int i = 0; i < n; i++) {
		if (kids[i] <= 0)
			continue;
		kill(kids[i], SIGKILL);
		if (waitpid(kids[i], NULL, 0) != kids[i])
			print_message("waitpid %d: %s\n", (int)kids[i], strerror(errno));
		kids[i] = 0;
	}
}

static int
spin_teardown(void **state)
{
	unspin(spinners, 2);
	return h_fixture_teardown(state);
}

/*
 * max_load below the load the machine has now: clients are refused with
 * reason=load and the service stays up; a reload that raises it far above
 * serves them again. The load is made real (two spinning children) until
 * it is measurable; it decays over minutes, so max_load at a quarter of it
 * stays below it for the whole test.
 */
static void
door_max_load_test(void **state)
{
	struct daemon *d = *state;
	struct ports p;
	pid_t *kids = spinners;
	char extra[64], buf[512];
	int64_t until = h_now_ms() + h_hang_ms(60000);
	double load;

	spin(kids, 2);
	while ((load = load1()) < 0.2 && h_now_ms() < until)
		h_sleep_ms(500);
	if (load < 0.2) {
		unspin(kids, 2);
		fail_msg("the load average stayed at %.2f with two CPUs busy", load);
	}
	snprintf(extra, sizeof(extra), "max_load = %.3f;", load / 4);
	start_door(d, &p, extra);
	assert_int_equal(talk(p.echo, NULL, buf, sizeof(buf)), (ssize_t)strlen(HELLO GO_AWAY));
	assert_string_equal(buf, HELLO GO_AWAY);
	assert_int_equal(h_wait_metric(p.status, "netsrvd_refused_total{service=\"echo\",reason=\"load\"}",
	    H_EQUAL, 1, 10000), 1);
	if (!h_wait_log(d, "end=refused reason=load", 5000))
		h_fail_with_log(d, "no end=refused reason=load line");
	assert_int_equal(h_metric(p.status, "netsrvd_service_up{service=\"echo\"}"), 1);
	/* the program service has no max_load: served all along */
	assert_true(talk(p.prog, NULL, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, WELCOME "from the program\n");
	conf_door(d, &p, "max_load = 100000;");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_true(h_wait_metric(p.status, "netsrvd_reloads_total{result=\"ok\"}", H_AT_LEAST, 1,
	    10000) >= 1);
	for (int i = 0; i < 100; i++) {
		assert_true(talk(p.echo, "in\n", buf, sizeof(buf)) >= 0);
		if (strcmp(buf, HELLO WELCOME "in\n") == 0)
			break;
		assert_string_equal(buf, HELLO GO_AWAY);	/* an old worker, still finishing */
		h_sleep_ms(50);
	}
	unspin(kids, 2);
	assert_string_equal(buf, HELLO WELCOME "in\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(door_banners_let_in_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(door_banners_refused_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(door_banner_reload_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(door_banner_errors_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(door_max_load_test, h_fixture_setup, spin_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
