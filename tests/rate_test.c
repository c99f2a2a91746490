/* connection_rate and connection_rate_per_source, run for real: floods refused on the wire and counted, other clients served, the service up. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/*
 * The counts allow for what a loaded machine does to timing, never on
 * speed: a flood at 10x the rate gets at most rate * its real duration +
 * a burst, plus SLACK for the coarse clock's few ms at each end.
 */
#define RATE		10
#define FLOOD_MS	5000
#define SLACK		5

struct counts {
	long served, refused;
};

/*
 * One echo round trip from src (bound first, NULL: the kernel's choice,
 * 127.0.0.1) to 127.0.0.1:port: 1 served, 0 refused (the connection was
 * taken, then reset or closed before the echo), -1 no connection at all.
 */
static int
echo_from(const char *src, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	static const char line[] = "rate\n";
	char back[sizeof(line)];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int served = -1;

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), 1);
	if (src != NULL) {
		assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		served = h_write_all(fd, line, sizeof(line) - 1) && shutdown(fd, SHUT_WR) == 0 &&
		    h_read_all(fd, back, sizeof(back), 5000) == (ssize_t)(sizeof(line) - 1) &&
		    memcmp(back, line, sizeof(line) - 1) == 0;
	} else if (errno == ECONNRESET)
		served = 0;	/* taken and reset before connect() returned: a loaded machine's timing */
	close(fd);
	return served;
}

/* Connects from src every pace_ms for ms; returns how long it took (ms), the tally in c. */
static int64_t
flood(const char *src, int port, int pace_ms, int ms, struct counts *c)
{
	int64_t t0 = h_now_ms(), end = t0 + ms;

	memset(c, 0, sizeof(*c));
	while (h_now_ms() < end) {
		int r = echo_from(src, port);

		assert_true(r >= 0);
		if (r == 1)
			c->served++;
		else
			c->refused++;
		h_sleep_ms(pace_ms);
	}
	return h_now_ms() - t0;
}

static void
write_conf(struct daemon *d, int port, int sport, const char *limits)
{
	h_write_conf(d, "log = { target = \"stderr\"; level = \"info\"; };\n"
	    "max_per_source = 0;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 2; %s },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";\n"
	    "   workers = 1; } );\n", port, limits, sport);
}

static long long
echo_metric(int sport, const char *series, enum h_cmp cmp, long long want)
{
	return h_wait_metric(sport, series, cmp, want, 10000);
}

/*
 * A client in a loop at 10x connection_rate for 5 s: what is over the
 * budget is refused on the wire and counted as reason=rate, what is
 * served stays within the budget, and once a refill interval has passed
 * a client is served again by a service that never went down.
 */
static void
rate_service_flood_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char limits[64];
	struct counts c;
	int64_t took;
	long bound;

	snprintf(limits, sizeof(limits), "connection_rate = %d;", RATE);
	write_conf(d, port, sport, limits);
	h_start_serving(d, sport);
	took = flood(NULL, port, 1000 / (10 * RATE), FLOOD_MS, &c);
	bound = RATE * (long)((took + 999) / 1000) + RATE + SLACK;
	print_message("%ld served, %ld refused in %lld ms (at most %ld may be served)\n",
	    c.served, c.refused, (long long)took, bound);
	assert_true(c.refused > 0);
	assert_true(c.served > 0);
	assert_true(c.served <= bound);
	/* the wire and the counters agree: every refusal was the rate's */
	assert_int_equal(echo_metric(sport, "netsrvd_refused_total{service=\"echo\",reason=\"rate\"}",
	    H_EQUAL, c.refused), c.refused);
	assert_int_equal(echo_metric(sport, "netsrvd_connections_total{service=\"echo\"}",
	    H_AT_LEAST, c.served), c.served);
	assert_int_equal(h_metric(sport, "netsrvd_refused_total{service=\"echo\",reason=\"per_source\"}"), 0);
	if (!h_wait_log(d, "service=echo peer=127.0.0.1", 5000) ||
	    !h_wait_log(d, "end=refused reason=rate", 5000))
		h_fail_with_log(d, "no end=refused reason=rate line");
	/* a refill interval later, a normal client is served; the service never went down */
	h_sleep_ms(1000 + 100);
	assert_int_equal(echo_from(NULL, port), 1);
	assert_int_equal(h_metric(sport, "netsrvd_service_up{service=\"echo\"}"), 1);
}

/*
 * 127.0.0.1 floods (a child); 127.0.0.2 comes well within its own budget
 * meanwhile and is served every time: the flood's excess is refused on
 * the source's bucket and spends none of the service's.
 */
static void
rate_per_source_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	struct counts mine;
	pid_t child;

	write_conf(d, port, sport, "connection_rate_per_source = 5; connection_rate = 20;");
	h_start_serving(d, sport);
	if (echo_from("127.0.0.2", port) < 0)
		skip();	/* no 127.0.0.2 on this host's loopback */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct counts theirs;

		flood(NULL, port, 5, FLOOD_MS, &theirs);
		_exit(theirs.refused > 0 ? 0 : 1);
	}
	/* one connection every 400 ms at most: 2.5 a second against a budget of 5 */
	flood("127.0.0.2", port, 400, FLOOD_MS, &mine);
	assert_int_equal(h_wait_exit(child, h_hang_ms(FLOOD_MS + 10000)), 0);
	print_message("127.0.0.2: %ld served, %ld refused\n", mine.served, mine.refused);
	assert_true(mine.served > 0);
	assert_int_equal(mine.refused, 0);
	assert_true(echo_metric(sport, "netsrvd_refused_total{service=\"echo\",reason=\"rate\"}",
	    H_AT_LEAST, 1) >= 1);
	assert_int_equal(h_metric(sport, "netsrvd_service_up{service=\"echo\"}"), 1);
}

/* A UDP service is refused the keys by -t, with the key and the reason. */
static void
rate_udp_refused_test(void **state)
{
	struct daemon *d = *state;
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	char out[4096];

	h_write_conf(d, "services = (\n { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\";"
	    " port = %d; handler = \"echo\";\n   connection_rate = 5; } );\n", h_free_port());
	assert_int_not_equal(h_run(argv, out, sizeof(out), 5000), 0);
	if (strstr(out, "service \"u\": connection_rate applies to TCP services only") == NULL)
		fail_msg("-t said:\n%s", out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rate_service_flood_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(rate_per_source_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(rate_udp_refused_test, h_fixture_setup, h_fixture_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	h_test_filter();
	return cmocka_run_group_tests_name("rate", tests, NULL, NULL);
}
