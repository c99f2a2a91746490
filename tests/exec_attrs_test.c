/* exec's per-program attributes nice and umask, run for real: the program (tests/exec_probe.c) reports what it got over its socket. */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "harness.h"

/* What the probe's report says after key ("nice "), as a number in base; -1000 if it says nothing. */
static long
reported(const char *text, const char *key, int base)
{
	char want[32];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", key);
	p = strstr(text, want);
	return p != NULL ? strtol(p + strlen(want), NULL, base) : -1000;
}

/* The report of one program run for a client of port. */
static void
fetch(struct daemon *d, int port, char *buf, size_t len)
{
	int fd = h_connect("127.0.0.1", port, 2000);
	ssize_t n;

	assert_true(fd >= 0);
	shutdown(fd, SHUT_WR);
	n = h_read_all(fd, buf, len - 1, 10000);
	close(fd);
	if (n <= 0)
		h_fail_with_log(d, "no report from the program");
	buf[n] = '\0';
}

#define CONF_ATTRS(d, port, plain, sport, attrs) \
	h_write_conf((d), "log = { level = \"info\"; };\n" \
	    "services = (\n" \
	    " { name = \"set\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n" \
	    "   command = [ \"%s\", \"report\" ]; %s },\n" \
	    " { name = \"plain\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n" \
	    "   command = [ \"%s\", \"report\" ]; },\n" \
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n", \
	    (port), h_exec_probe(), (attrs), (plain), h_exec_probe(), (sport))

/*
 * The program of a service that sets them has its nice value and umask;
 * one of a service that does not keeps the daemon's (the test's own: it
 * runs in the foreground). A reload changes them for the next program.
 */
static void
exec_attrs_nice_umask_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), plain = h_free_port(), sport = h_free_port();
	mode_t ours = umask(022);
	char text[16384];
	int our_nice;

	umask(ours);
	errno = 0;
	our_nice = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(errno, 0);
	CONF_ATTRS(d, port, plain, sport, "nice = 5; umask = \"0027\";");
	h_start_serving(d, sport);
	fetch(d, port, text, sizeof(text));
	assert_int_equal(reported(text, "nice", 10), 5);
	assert_int_equal(reported(text, "umask", 8), 0027);
	fetch(d, plain, text, sizeof(text));
	assert_int_equal(reported(text, "nice", 10), our_nice);
	assert_int_equal(reported(text, "umask", 8), ours);

	CONF_ATTRS(d, port, plain, sport, "nice = 3; umask = \"7\";");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	/*
	 * An old worker idle in accept4 when the reload came may still take
	 * a connection until its stop reaches it (workers_nudge_stopping, a
	 * tick): on a loaded machine that was this client, now and then.
	 * The new generation's programs must be reached, within the bound.
	 */
	for (int64_t end = h_now_ms() + h_hang_ms(10000);;) {
		fetch(d, port, text, sizeof(text));
		if (reported(text, "nice", 10) != 5 || h_now_ms() > end)
			break;
		h_sleep_ms(100);
	}
	assert_int_equal(reported(text, "nice", 10), 3);
	assert_int_equal(reported(text, "umask", 8), 07);
}

struct bad {
	const char *keys;
	const char *msg;
};

/* Out of range, a umask written as a number (libconfig would read 022 as 22), not octal: errors on their line. */
static void
exec_attrs_config_errors_test(void **state)
{
	static const struct bad cases[] = {
		{ "nice = 20;", "\"nice\" is 20, out of range -20-19" },
		{ "nice = -21;", "\"nice\" is -21, out of range -20-19" },
		{ "umask = 022;", "\"umask\" must be an octal mode in quotes (umask = \"0022\")" },
		{ "umask = \"0899\";", "umask \"0899\" is not an octal mode 0000 to 0777" },
		{ "umask = \"01777\";", "umask \"01777\" is not an octal mode 0000 to 0777" },
		{ "umask = \"\";", "umask \"\" is not an octal mode 0000 to 0777" },
		{ "umask = \"u=rwx\";", "umask \"u=rwx\" is not an octal mode 0000 to 0777" },
	};
	char text[1024], err[CONFIG_ERR_MAX];

	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {

		snprintf(text, sizeof(text), "services = (\n{ name = \"x\"; protocol = \"tcp\"; port = 7; "
		    "handler = \"exec\"; command = [ \"/bin/cat\" ];\n %s } );\n", cases[i].keys);
		cfg = config_parse_string(text, "t.conf", err, sizeof(err));
		if (cfg != NULL) {
			config_free(cfg);
			fail_msg("accepted: %s", cases[i].keys);
		}
		if (strncmp(err, "t.conf:3: ", 10) != 0 || strstr(err, cases[i].msg) == NULL)
			fail_msg("%s: expected \"t.conf:3: ...%s\", got \"%s\"", cases[i].keys, cases[i].msg, err);
	}
	/* a built-in service's are its workers' own (confine_caps_builtin_nice_umask_test), checked alike */
	snprintf(text, sizeof(text), "services = (\n{ name = \"x\"; protocol = \"tcp\"; port = 7; "
	    "handler = \"echo\";\n nice = 5; umask = \"027\"; } );\n");
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("refused: %s", err);
	assert_true(cfg->services[0].confine.nice_set);
	assert_int_equal(cfg->services[0].confine.nice, 5);
	assert_int_equal(cfg->services[0].confine.umask_mode, 027);
	config_free(cfg);
	snprintf(text, sizeof(text), "services = (\n{ name = \"x\"; protocol = \"tcp\"; port = 7; "
	    "handler = \"echo\";\n umask = \"0899\"; } );\n");
	assert_null(config_parse_string(text, "t.conf", err, sizeof(err)));
	assert_non_null(strstr(err, "t.conf:3: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(exec_attrs_nice_umask_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test(exec_attrs_config_errors_test),
	};

	h_test_filter();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
