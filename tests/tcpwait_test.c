/* exec's TCP wait, run for real: one program gets the listener (tests/exec_probe.c's tcp-wait mode) and netsrvd accepts nothing meanwhile. */
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

#include "accesslog.h"
#include "config.h"
#include "harness.h"

#define NCLIENTS 3

/*
 * A TCP wait service "t" running the probe with args, and a status
 * service for the metrics. A macro, so the compiler checks each format.
 */
#define CONF_WAIT(d, port, sport, args, extra) \
	h_write_conf((d), "shutdown_timeout = 1;\n" \
	    "log = { connections = true; level = \"info\"; };\n" \
	    "services = (\n" \
	    " { name = \"t\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n" \
	    "   wait = true; command = [ \"%s\", %s ]; %s },\n" \
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n", \
	    (port), h_exec_probe(), (args), (extra), (sport))

/* Started, without a probing connection: that would start the program. */
static void
start_quiet(struct daemon *d)
{
	h_start(d, NULL);
	if (!h_wait_log(d, "started:", 20000))
		h_fail_with_log(d, "the daemon did not start");
}

/* The reply of the program to one connection ("pid=P conn=N nonblock=B"), NUL-terminated. */
static void
read_reply(struct daemon *d, int fd, char *buf, size_t len)
{
	ssize_t n = h_read_all(fd, buf, len - 1, 10000);

	if (n <= 0)
		h_fail_with_log(d, "no reply from the wait program");
	buf[n] = '\0';
}

static long
reply_pid(const char *reply)
{
	const char *p = strstr(reply, "pid=");

	assert_non_null(p);
	return strtol(p + 4, NULL, 10);
}

/* One client, connected, served and closed: the pid of the program that answered. */
static long
ask(struct daemon *d, int port)
{
	char reply[128];
	int fd = h_connect("127.0.0.1", port, 2000);
	long pid;

	assert_true(fd >= 0);
	read_reply(d, fd, reply, sizeof(reply));
	close(fd);
	pid = reply_pid(reply);
	assert_true(pid > 1);
	return pid;
}

/* Lines in a file the probe appends its pid to: how many programs were started. */
static int
count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[64];
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

/*
 * Clients that connect while the program is busy with another wait in
 * the listener's queue, and the same program answers each: netsrvd's
 * one worker accepts none (a connection it took would get no reply, and
 * be in the access log with its peer).
 */
static void
tcpwait_one_program_serves_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char starts[256], args[400], reply[128];
	int fds[NCLIENTS];
	long pid = 0;
	struct al_line l;

	snprintf(starts, sizeof(starts), "%s/starts", d->dir);
	snprintf(args, sizeof(args), "\"tcp-wait\", \"%s\", \"1500\"", starts);
	CONF_WAIT(d, port, sport, args, "");
	start_quiet(d);
	for (int i = 0; i < NCLIENTS; i++) {
		fds[i] = h_connect("127.0.0.1", port, 2000);
		assert_true(fds[i] >= 0);
	}
	for (int i = 0; i < NCLIENTS; i++) {
		char want[32];
		read_reply(d, fds[i], reply, sizeof(reply));
		close(fds[i]);
		if (i == 0)
			pid = reply_pid(reply);
		assert_int_equal(reply_pid(reply), pid);
		/* the listener it got blocks, as inetd gives it */
		assert_non_null(strstr(reply, "nonblock=0"));
		snprintf(want, sizeof(want), "conn=%d ", i + 1);
		assert_non_null(strstr(reply, want));
	}
	/* one worker for the service, one for status: a wait service has exactly one */
	assert_true(h_wait_children(d->pid, 2, 2000));
	/* it ends when idle; its run is one access-log line, without a peer (it took its own) */
	assert_true(al_wait(d, "service=t end=done program=* exit=0", &l, 10000));
	assert_null(al_get(&l, "peer"));
	assert_non_null(al_get(&l, "duration_ms"));
	assert_int_equal(strtol(al_get(&l, "program"), NULL, 10), pid);
	assert_int_equal(al_count(d, "service=t"), 1);
	assert_int_equal(count_lines(starts), 1);
	assert_true(h_wait_gone((pid_t)pid, 3000));
	/* the next client starts the next program */
	assert_int_not_equal(ask(d, port), pid);
	assert_true(h_wait_metric(sport, "netsrvd_program_exits_total{service=\"t\",result=\"ok\"}",
	    H_AT_LEAST, 1, 5000) >= 1);
}

/*
 * A program that exits at once without accepting leaves its client
 * waiting: it is started again only after a pause that doubles, not in a
 * loop. The bound is on starts against the back-off steps logged, over
 * an interval that ends on a state (the third step's log line).
 */
static void
tcpwait_unaccepted_backs_off_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char starts[256], args[400];
	int fd, n, steps;

	snprintf(starts, sizeof(starts), "%s/starts", d->dir);
	snprintf(args, sizeof(args), "\"append\", \"%s\"", starts);
	CONF_WAIT(d, port, sport, args, "");
	start_quiet(d);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	if (!h_wait_log(d, "leaves the connection it was started for unaccepted; next start in 2000 ms", 15000))
		h_fail_with_log(d, "a wait program that accepts nothing was restarted without backing off");
	steps = h_log_count(d, "leaves the connection it was started for unaccepted");
	n = count_lines(starts);
	print_message("%d starts, %d back-off steps\n", n, steps);
	/* three in a row start the back-off; then one start per step */
	assert_int_equal(h_log_count(d, "next start in 1000 ms"), 1);
	assert_true(n <= steps + 3);
	assert_true(n >= 3);
	/* the client still waits, untouched: nobody accepted it */
	assert_int_equal(al_count(d, "service=t peer=*"), 0);
	close(fd);
}

/*
 * A reload while the program lingers: the old generation's program keeps
 * the listener and the new worker waits for it, so one program at a time;
 * once it is gone, the new generation's program serves. Nothing is left.
 */
static void
tcpwait_reload_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char starts[256], args[400];
	long first, second;

	snprintf(starts, sizeof(starts), "%s/starts", d->dir);
	snprintf(args, sizeof(args), "\"tcp-wait\", \"%s\", \"1500\"", starts);
	CONF_WAIT(d, port, sport, args, "");
	start_quiet(d);
	first = ask(d, port);
	CONF_WAIT(d, port, sport, args, "env = [ \"GENERATION=2\" ];");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	/* the old program still owns the listener */
	assert_int_equal(ask(d, port), first);
	assert_true(al_wait_nth(d, "service=t program=*", 1, NULL, 10000));
	assert_true(h_wait_gone((pid_t)first, 3000));
	second = ask(d, port);
	assert_int_not_equal(second, first);
	assert_int_equal(count_lines(starts), 2);
	assert_true(al_wait_nth(d, "service=t program=*", 2, NULL, 10000));
	assert_true(h_wait_gone((pid_t)second, 3000));
	assert_int_equal(h_stop(d), 0);
}

/*
 * A reload that turns wait off: the new generation's workers, which
 * accept, start only once the old wait program is gone, so none of them
 * takes a client from under it.
 */
static void
tcpwait_reload_to_nowait_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char starts[256], args[400], reply[4096];
	long first;
	int fd;
	ssize_t n;

	snprintf(starts, sizeof(starts), "%s/starts", d->dir);
	snprintf(args, sizeof(args), "\"tcp-wait\", \"%s\", \"1500\"", starts);
	CONF_WAIT(d, port, sport, args, "");
	start_quiet(d);
	first = ask(d, port);
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"t\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 2; command = [ \"%s\", \"exit\", \"0\" ]; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, h_exec_probe(), sport);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	/* the wait program still has the listener to itself */
	assert_int_equal(ask(d, port), first);
	assert_true(h_wait_gone((pid_t)first, 5000));
	/* then the new workers accept, a program per connection ("exit 0" says bye) */
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	n = h_read_all(fd, reply, sizeof(reply) - 1, 10000);
	close(fd);
	assert_true(n > 0);
	reply[n] = '\0';
	assert_string_equal(reply, "bye\n");
	assert_int_equal(count_lines(starts), 1);
}

/* A graceful stop: shutdown_timeout, then SIGTERM, then SIGKILL to a program that ignores it; none outlives netsrvd. */
static void
tcpwait_stop_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char starts[256], args[400];
	int status;
	long pid;

	snprintf(starts, sizeof(starts), "%s/starts", d->dir);
	snprintf(args, sizeof(args), "\"tcp-wait\", \"%s\", \"600000\", \"stubborn\"", starts);
	CONF_WAIT(d, port, sport, args, "");
	start_quiet(d);
	pid = ask(d, port);
	assert_int_equal(kill(d->pid, SIGTERM), 0);
	status = h_wait_exit(d->pid, 15000);
	if (status == -1)
		h_fail_with_log(d, "the daemon did not stop");
	d->pid = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!h_wait_gone((pid_t)pid, 2000)) {
		kill((pid_t)pid, SIGKILL);
		h_fail_with_log(d, "the wait program outlived netsrvd");
	}
	assert_true(h_log_contains(d, "the daemon stops; SIGTERM to its process group"));
	assert_true(h_log_contains(d, "outlived its SIGTERM; SIGKILL"));
}

/* wait = true over TCP loads with one worker; what netsrvd would check per connection is refused. */
static void
tcpwait_config_test(void **state)
{
	static const char *const refused[] = { "allow = [ \"127.0.0.1\" ];", "deny = [ \"10.0.0.0/8\" ];",
	    "proxy_from = [ \"127.0.0.1\" ];" };
	char text[1024], err[CONFIG_ERR_MAX];
	struct config *cfg;

	(void)state;
	snprintf(text, sizeof(text), "workers = 4;\nservices = (\n{ name = \"t\"; protocol = \"tcp\"; port = 7; "
	    "handler = \"exec\"; command = [ \"/bin/cat\" ]; wait = true; } );\n");
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("refused: %s", err);
	assert_int_equal(cfg->services[0].workers, 1);
	assert_int_equal(cfg->services[0].max_workers, 1);
	assert_true(cfg->services[0].serves_socket);
	config_free(cfg);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(text, sizeof(text), "services = (\n{ name = \"t\"; protocol = \"tcp\"; port = 7; "
		    "handler = \"exec\"; command = [ \"/bin/cat\" ]; wait = true;\n %s } );\n", refused[i]);
		cfg = config_parse_string(text, "t.conf", err, sizeof(err));
		if (cfg != NULL) {
			config_free(cfg);
			fail_msg("accepted: %s", refused[i]);
		}
		assert_non_null(strstr(err, "t.conf:3: "));
		assert_non_null(strstr(err, "does not apply to a TCP wait service"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tcpwait_one_program_serves_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(tcpwait_unaccepted_backs_off_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(tcpwait_reload_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(tcpwait_reload_to_nowait_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(tcpwait_stop_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test(tcpwait_config_test),
	};

	h_test_filter();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
