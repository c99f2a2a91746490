/* The exec handler, run for real: programs the test controls (tests/exec_probe.c) and real inetd-mode programs with their real clients. */
#include "autoconfig.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "accesslog.h"
#include "config.h"
#include "harness.h"

static char out[65536];

/* A TCP connection's whole reply (the client sends nothing and half-closes). */
static ssize_t
fetch(int port, char *buf, size_t len)
{
	int fd = h_connect("127.0.0.1", port, 2000);
	ssize_t n;

	assert_true(fd >= 0);
	shutdown(fd, SHUT_WR);
	n = h_read_all(fd, buf, len - 1, 5000);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return n;
}

static int
count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

/* One TCP exec service running the probe with args, on port. */
static void
conf_probe(struct daemon *d, int port, const char *args, const char *extra)
{
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"probe\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 2; command = [ \"%s\"%s ]; %s } );\n", port, h_exec_probe(), args, extra);
}

/*
 * valgrind 3.19 knows no pidfd_getfd: the daemon then cannot take a copy
 * of a leftover's socket and kills the leftover instead, as documented.
 */
static bool
under_valgrind(void)
{
	const char *w = getenv("NETSRVD_WRAPPER");

	return w != NULL && strstr(w, "valgrind") != NULL;
}

/* Whether the connection ends, by EOF or by a reset, within the hang bound. */
static bool
conn_ends(int fd, int ms)
{
	int64_t end = h_now_ms() + h_hang_ms(ms);
	char junk[256];

	while (h_now_ms() < end) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return true;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return false;
	}
	return false;
}

/* Started, without a probing connection: that would run the program once more. */
static void
start_quiet(struct daemon *d)
{
	h_start(d, NULL);
	if (!h_wait_log(d, "started:", 20000))	/* valgrind starts slowly */
		h_fail_with_log(d, "the daemon did not start");
}

/* ---- what a program gets -------------------------------------------------- */

static void
exec_environment_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char line[128];

	conf_probe(d, port, ", \"report\"",
	    "env = [ \"GREETING=hello world\", \"HOME=/nonexistent\" ]; passenv = [ \"NETSRVD_TEST_PASSED\", \"NETSRVD_TEST_UNSET\" ];\n"
	    "   limits = { files = 64; cpu = 30; };");
	setenv("NETSRVD_TEST_PASSED", "from-netsrvd", 1);
	unsetenv("NETSRVD_TEST_UNSET");
	setenv("NETSRVD_TEST_SECRET", "must-not-leak", 1);
	start_quiet(d);
	fetch(port, out, sizeof(out));
	if (!h_has_line(out, "end"))
		h_fail_with_log(d, out);
	/* exactly the environment named, and the peer as tcpserver and systemd name it */
	assert_true(h_has_line(out, "env GREETING=hello world"));
	assert_true(h_has_line(out, "env HOME=/nonexistent"));
	assert_true(h_has_line(out, "env NETSRVD_TEST_PASSED=from-netsrvd"));
	assert_true(h_has_line(out, "env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	assert_true(h_has_line(out, "env PROTO=TCP"));
	assert_true(h_has_line(out, "env TCPREMOTEIP=127.0.0.1"));
	assert_true(h_has_line(out, "env REMOTE_ADDR=127.0.0.1"));
	assert_true(h_has_line(out, "env REMOTE_HOST=127.0.0.1"));	/* xinetd's name, numeric as it sets it */
	assert_true(h_has_line(out, "env TCPLOCALIP=127.0.0.1"));
	snprintf(line, sizeof(line), "env TCPLOCALPORT=%d", port);
	assert_true(h_has_line(out, line));
	assert_non_null(strstr(out, "env TCPREMOTEPORT="));
	assert_non_null(strstr(out, "env REMOTE_PORT="));
	assert_int_equal(count_lines_starting(out, "env "), 12);
	assert_null(strstr(out, "NETSRVD_TEST_SECRET"));
	/* nothing open but 0, 1, 2; signals default and unblocked; limits; a session of its own */
	assert_true(h_has_line(out, "fds: 0 1 2"));
	assert_true(h_has_line(out, "SigBlk:\t0000000000000000"));
	if (!h_has_line(out, "SigIgn:\t0000000000000000"))
		fail_msg("a signal is ignored:\n%s", strstr(out, "SigIgn"));
	/* valgrind keeps the descriptor limit to itself: the program gets the real one */
	if (!under_valgrind())
		assert_true(h_has_line(out, "nofile 64"));
	else
		print_message("under valgrind: the files limit is not checked\n");
	assert_true(h_has_line(out, "cpu 30"));
	assert_true(h_has_line(out, "cwd /"));
	assert_true(h_has_line(out, "leader 1"));
	assert_true(h_has_line(out, "nonblock 0"));
	/* stderr goes to the log, tagged, never to the client */
	assert_null(strstr(out, "probe report to stderr"));
	assert_true(h_wait_log(d, "service probe: program ", 10000));
	assert_true(h_wait_log(d, "probe report to stderr", 10000));
	assert_true(al_wait(d, "end=done program=* exit=0", NULL, 10000));
	unsetenv("NETSRVD_TEST_PASSED");
	unsetenv("NETSRVD_TEST_SECRET");
}

/* ---- groups = true: the user's supplementary groups ---------------------- */

/* A group made for the test with nobody in it, removed by the teardown however the test ends. */
static char test_group[32];

static int
run_quiet(const char *cmd)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	return h_run(argv, out, sizeof(out), 20000);
}

static int
groups_setup(void **state)
{
	char cmd[256];

	test_group[0] = '\0';
	if (geteuid() == 0) {
		snprintf(test_group, sizeof(test_group), "nsdtest%ld", (long)getpid());
		snprintf(cmd, sizeof(cmd), "groupadd %s && gpasswd -a nobody %s", test_group, test_group);
		if (run_quiet(cmd) != 0) {
			print_error("groupadd %s: %s\n", test_group, out);
			return -1;
		}
	}
	return h_fixture_setup(state);
}

static int
groups_teardown(void **state)
{
	char cmd[128];
	int rc = h_fixture_teardown(state);

	if (test_group[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "groupdel %s", test_group);
		if (run_quiet(cmd) != 0) {
			print_error("groupdel %s: %s\n", test_group, out);
			rc = -1;
		}
	}
	return rc;
}

static void
exec_groups_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), port2 = h_free_port();
	struct group *gr;
	char line[64];

	if (geteuid() != 0) {
		print_message("skipped: needs root (a program run as another user; CI runs as root)\n");
		skip();
	}
	gr = getgrnam(test_group);
	assert_non_null(gr);
	snprintf(line, sizeof(line), " %ld", (long)gr->gr_gid);
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "services = (\n"
	    " { name = \"with\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   user = \"nobody\"; groups = true; command = [ \"%s\", \"report\" ]; },\n"
	    " { name = \"without\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   user = \"nobody\"; command = [ \"%s\", \"report\" ]; } );\n", port, h_exec_probe(), port2, h_exec_probe());
	start_quiet(d);
	fetch(port, out, sizeof(out));
	if (!h_has_line(out, "end"))
		h_fail_with_log(d, out);
	if (strstr(strstr(out, "\ngroups"), line) == NULL)
		fail_msg("groups = true: gid%s of nobody's group %s is missing:\n%s", line, test_group, out);
	/* the default: the group alone, as before */
	fetch(port2, out, sizeof(out));
	if (!h_has_line(out, "end"))
		h_fail_with_log(d, out);
	snprintf(line, sizeof(line), "groups %ld", (long)getgrnam("nogroup")->gr_gid);
	if (!h_has_line(out, line))
		fail_msg("without groups: not \"%s\":\n%s", line, out);
}

/* Behind a balancer (proxy_from), the program's peer variables name the client from the header. */
static void
exec_proxy_client_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char hdr[128];
	int fd;
	ssize_t n;

	conf_probe(d, port, ", \"report\"", "proxy_from = [ \"127.0.0.0/8\" ];");
	start_quiet(d);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	snprintf(hdr, sizeof(hdr), "PROXY TCP4 192.0.2.7 127.0.0.1 5555 %d\r\n", port);
	assert_true(h_write_all(fd, hdr, strlen(hdr)));
	shutdown(fd, SHUT_WR);
	n = h_read_all(fd, out, sizeof(out) - 1, 5000);
	close(fd);
	assert_true(n > 0);
	out[n] = '\0';
	if (!h_has_line(out, "env TCPREMOTEIP=192.0.2.7"))
		h_fail_with_log(d, out);
	assert_true(h_has_line(out, "env TCPREMOTEPORT=5555"));
	assert_true(h_has_line(out, "env REMOTE_ADDR=192.0.2.7"));
	assert_true(h_has_line(out, "env REMOTE_PORT=5555"));
	assert_true(h_wait_log(d, "peer=192.0.2.7:5555 proxy=127.0.0.1:", 10000));
}

static void
exec_exit_status_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *errors = "netsrvd_program_exits_total{service=\"seven\",result=\"error\"}";

	h_write_conf(d, "log = { connections = true; };\n"
	    "services = (\n"
	    " { name = \"seven\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\", \"exit\", \"7\" ]; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, h_exec_probe(), sport);
	start_quiet(d);
	fetch(port, out, sizeof(out));
	assert_string_equal(out, "bye\n");
	assert_true(al_wait(d, "service=seven", NULL, 10000));
	assert_true(al_wait(d, "end=done program=* exit=7", NULL, 10000));
	assert_true(h_wait_log(d, ": oops", 10000));
	/* the worker goes on serving after a program failed */
	fetch(port, out, sizeof(out));
	assert_string_equal(out, "bye\n");
	assert_int_equal(h_wait_metric(sport, errors, H_EQUAL, 2, 10000), 2);
	assert_int_equal(h_metric(sport, "netsrvd_program_exits_total{service=\"seven\",result=\"ok\"}"), 0);
}

static void
exec_signal_and_metrics_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	h_write_conf(d, "log = { connections = true; };\n"
	    "services = (\n"
	    " { name = \"abort\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\", \"abort\" ]; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, h_exec_probe(), sport);
	start_quiet(d);
	fetch(port, out, sizeof(out));
	assert_true(al_wait(d, "end=done program=* signal=SIGABRT", NULL, 10000));
	assert_int_equal(h_wait_metric(sport, "netsrvd_program_exits_total{service=\"abort\",result=\"signal\"}",
	    H_EQUAL, 1, 10000), 1);
	assert_int_equal(h_metric(sport, "netsrvd_program_exits_total{service=\"abort\",result=\"ok\"}"), 0);
	assert_int_equal(h_metric(sport, "netsrvd_program_exits_total{service=\"abort\",result=\"error\"}"), 0);
}

/* A flood of stderr is logged at a bounded rate, and the client still gets its reply. */
static void
exec_stderr_flood_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();

	conf_probe(d, port, ", \"flood\"", "");
	start_quiet(d);
	fetch(port, out, sizeof(out));
	assert_string_equal(out, "done\n");
	assert_true(al_wait(d, "end=done program=* exit=0", NULL, 10000));
	assert_true(h_wait_log(d, "flood line 0", 10000));
	/* every line is either logged or counted as not logged */
	assert_true(h_wait_log(d, "stderr lines not logged", 10000));
	char *log = h_read_log(d);
	unsigned long logged = (unsigned long)h_log_count(d, "flood line "), dropped = 0;
	for (const char *p = log; (p = strstr(p, "stderr lines not logged")) != NULL; p++) {
		/* the number is the word before "stderr" */
		const char *q = p - 1;
		while (q > log && q[-1] >= '0' && q[-1] <= '9')
			q--;
		dropped += strtoul(q, NULL, 10);
	}
	free(log);
	print_message("%lu lines logged, %lu counted as not logged\n", logged, dropped);
	assert_true(logged < 1000);
	assert_int_equal(logged + dropped, 1000);
}

/* ---- ending programs --------------------------------------------------------- */

static void
kill_leftovers(const long pids[3])
{
	for (int i = 0; i < 3; i++)
		if (pids[i] > 1 && h_pid_alive((pid_t)pids[i]))
			kill((pid_t)pids[i], SIGKILL);
}

static void
exec_max_runtime_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char pidfile[256], args[400];
	long pids[3] = { 0, 0, 0 };
	int fd;

	snprintf(pidfile, sizeof(pidfile), "%s/hang.pids", d->dir);
	snprintf(args, sizeof(args), ", \"hang\", \"%s\"", pidfile);
	conf_probe(d, port, args, "max_runtime = 1;");
	start_quiet(d);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	h_read_probe_pids(d, pidfile, pids);
	/* the program and the child in its group end with max_runtime; the connection closes */
	assert_true(h_read_all(fd, out, sizeof(out) - 1, 5000) >= 0);
	close(fd);
	assert_true(h_wait_gone((pid_t)pids[0], 3000));
	assert_true(h_wait_gone((pid_t)pids[1], 3000));
	assert_true(h_wait_log(d, "max_runtime reached", 10000));
	assert_true(al_wait(d, "end=timeout program=* signal=SIGTERM", NULL, 10000));
	/* the one that left the group loses the connection and lives on until the daemon stops */
	if (under_valgrind()) {
		/* no pidfd_getfd: it is killed with the connection it holds */
		assert_true(h_wait_gone((pid_t)pids[2], 3000));
		assert_int_equal(h_stop(d), 0);
		return;
	}
	assert_true(h_pid_alive((pid_t)pids[2]));
	assert_int_equal(h_stop(d), 0);
	assert_true(h_wait_gone((pid_t)pids[2], 3000));
	assert_true(h_log_contains(d, "killed 1 processes that programs left behind"));
	kill_leftovers(pids);
}

/* A graceful stop: shutdown_timeout, then SIGTERM, then SIGKILL; nothing outlives it. */
static void
exec_stop_ends_programs_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char pidfile[256], args[400];
	long pids[3] = { 0, 0, 0 };
	int fd, status;
	int64_t t0;

	snprintf(pidfile, sizeof(pidfile), "%s/hang.pids", d->dir);
	snprintf(args, sizeof(args), ", \"hang\", \"%s\", \"stubborn\"", pidfile);
	conf_probe(d, port, args, "");
	start_quiet(d);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	h_read_probe_pids(d, pidfile, pids);
	t0 = h_now_ms();
	assert_int_equal(kill(d->pid, SIGTERM), 0);
	status = h_wait_exit(d->pid, 10000);
	if (status == -1)
		h_fail_with_log(d, "the daemon did not stop");
	d->pid = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* shutdown_timeout (1 s) + the SIGKILL's 2 s, well within the bound */
	assert_true(h_now_ms() - t0 >= 900);
	for (int i = 0; i < 3; i++)
		assert_true(h_wait_gone((pid_t)pids[i], 1000));
	assert_true(h_log_contains(d, "the daemon stops; SIGTERM to its process group"));
	assert_true(h_log_contains(d, "outlived its SIGTERM; SIGKILL"));
	close(fd);
	kill_leftovers(pids);
}

/* n bytes from fd (which may be non-blocking) within ms */
static bool
read_exact(int fd, char *buf, size_t n, int ms)
{
	int64_t end = h_now_ms() + h_hang_ms(ms);
	size_t got = 0;

	while (got < n && h_now_ms() < end) {
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return got == n;
}

/* A reload lets a running program finish, past shutdown_timeout; new clients get the new generation's. */
static void
exec_reload_lets_programs_finish_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	/* a macro, not a variable: the compiler checks the format against its arguments */
#define CAT_CONF "shutdown_timeout = 1;\nlog = { connections = true; };\n" \
	    "services = ( { name = \"cat\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n" \
	    "   workers = 1; command = [ \"/bin/cat\" ]; %s },\n" \
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n"
	char buf[64];
	int fd;

	h_write_conf(d, CAT_CONF, port, "", sport);
	start_quiet(d);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "before\n", 7));
	assert_true(read_exact(fd, buf, 7, 3000));
	h_write_conf(d, CAT_CONF, port, "env = [ \"GENERATION=2\" ];", sport);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	h_sleep_ms(2500);	/* past shutdown_timeout: a stop would have ended it */
	assert_true(h_write_all(fd, "after\n", 6));
	assert_true(read_exact(fd, buf, 6, 3000));
	assert_memory_equal(buf, "after\n", 6);
	/* meanwhile the new generation serves */
	assert_true(h_echo("127.0.0.1", port, "new\n", 4, 3000));
	close(fd);
	assert_true(al_wait_nth(d, "service=cat", 2, NULL, 10000));
	/* both programs ended by themselves, at their client's EOF */
	assert_int_equal(h_wait_metric(sport, "netsrvd_program_exits_total{service=\"cat\",result=\"ok\"}",
	    H_EQUAL, 2, 10000), 2);
	assert_int_equal(h_metric(sport, "netsrvd_program_exits_total{service=\"cat\",result=\"timeout\"}"), 0);
	assert_int_equal(h_metric(sport, "netsrvd_program_exits_total{service=\"cat\",result=\"signal\"}"), 0);
	assert_false(h_log_contains(d, "killing it"));
#undef CAT_CONF
}

/* The workers the pool of service name grew by, from the master's "growing the pool by N" lines. */
static long
pool_grown(struct daemon *d, const char *name)
{
	char *log = h_read_log(d), head[64];
	const char *grow = "growing the pool by ";
	long sum = 0;

	assert_non_null(log);
	snprintf(head, sizeof(head), "service %s: ", name);
	for (const char *p = strstr(log, head); p != NULL; p = strstr(p + 1, head)) {
		const char *eol = strchr(p, '\n'), *g = strstr(p, grow);

		if (g != NULL && (eol == NULL || g < eol))
			sum += strtol(g + strlen(grow), NULL, 10);
	}
	free(log);
	return sum;
}

/* A program removed after -t: that connection closes, the worker goes on. */
static void
exec_not_started_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char prog[256], hidden[256];

	snprintf(prog, sizeof(prog), "%s/prog", d->dir);
	snprintf(hidden, sizeof(hidden), "%s/prog.hidden", d->dir);
	h_write_file(prog, "#!/bin/sh\necho served\n");
	assert_int_equal(chmod(prog, 0755), 0);
	h_write_conf(d, "log = { connections = true; };\n"
	    "services = ( { name = \"p\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\" ]; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, prog, sport);
	h_start_serving(d, port);
	fetch(port, out, sizeof(out));
	assert_string_equal(out, "served\n");
	assert_int_equal(rename(prog, hidden), 0);
	assert_int_equal(fetch(port, out, sizeof(out)), 0);
	assert_true(h_wait_log(d, "program not started: cannot execute", 10000));
	assert_true(h_wait_log(d, "No such file or directory", 10000));
	assert_int_equal(h_wait_metric(sport, "netsrvd_program_exits_total{service=\"p\",result=\"not_started\"}",
	    H_EQUAL, 1, 10000), 1);
	assert_int_equal(rename(hidden, prog), 0);
	fetch(port, out, sizeof(out));
	assert_string_equal(out, "served\n");
	assert_int_equal(h_metric(sport, "netsrvd_worker_crashes_total{service=\"p\"}"), 0);
	/*
	 * The worker goes on: started once, and once more for each worker the
	 * pool grew by. The pool is adaptive (max_workers defaults above
	 * workers): a client that connects while the one worker still finishes
	 * the last one waits in the accept queue, and a pool tick that sees it
	 * there adds a worker (retired a second later, exit 0, no crash).
	 * Under load that window is wide. So every start past the first must
	 * be growth the master logged; a worker that left early and was
	 * replaced is a start beyond those.
	 */
	long grown = pool_grown(d, "p");
	print_message("the pool of p grew by %ld\n", grown);
	long long starts = h_wait_metric(sport, "netsrvd_worker_starts_total{service=\"p\"}", H_EQUAL,
	    1 + grown, 3000);
	if (starts != 1 + grown) {
		char why[128];
		snprintf(why, sizeof(why), "service p: %lld worker starts, the pool grew by %ld", starts, grown);
		h_fail_with_log(d, why);
	}
}

/* A client that sends nothing: `timeout` ends its program as max_runtime would (end=timeout); activity keeps it. */
static void
exec_timeout_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), cport = h_free_port();
	char buf[8];
	int64_t t0;
	int fd;

	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"silent\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; timeout = 1; command = [ \"%s\", \"silent\" ]; },\n"
	    " { name = \"cat\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; timeout = 3; command = [ \"/bin/cat\" ]; } );\n", port, h_exec_probe(), cport);
	start_quiet(d);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	t0 = h_now_ms();
	/* the bound only catches a hang: without the timeout it never ends */
	if (h_read_all(fd, out, sizeof(out) - 1, 10000) < 0)
		h_fail_with_log(d, "a silent client kept its program past timeout");
	assert_true(h_now_ms() - t0 >= 900);
	close(fd);
	assert_true(h_wait_log(d, "no activity on its socket for timeout seconds", 10000));
	assert_true(al_wait(d, "service=silent end=timeout program=* signal=SIGTERM", NULL, 10000));
	/* a session that keeps moving outlives timeout (a byte each 300 ms, 3 s allowed); when it stops, it ends */
	fd = h_connect("127.0.0.1", cport, 2000);
	assert_true(fd >= 0);
	for (int i = 0; i < 8; i++) {
		assert_true(h_write_all(fd, "x", 1));
		if (!read_exact(fd, buf, 1, 3000))
			h_fail_with_log(d, "an active session was ended");
		h_sleep_ms(300);
	}
	if (h_read_all(fd, out, sizeof(out) - 1, 10000) < 0)
		h_fail_with_log(d, "an idle cat outlived timeout");
	close(fd);
	assert_true(al_wait(d, "service=cat end=timeout program=*", NULL, 10000));
	assert_int_equal(al_count(d, "end=timeout"), 2);
}

/* What a probe wrote to file: its first line, once whole (it is written after the file is made). */
static bool
wait_file_line(const char *file, char *text, size_t len, int ms)
{
	for (int64_t end = h_now_ms() + h_hang_ms(ms); h_now_ms() < end; h_sleep_ms(20)) {
		FILE *f = fopen(file, "r");
		bool whole = f != NULL && fgets(text, (int)len, f) != NULL && strchr(text, '\n') != NULL;

		if (f != NULL)
			fclose(f);
		if (whole)
			return true;
	}
	return false;
}

/* A session's bytes as the access log gives them: exact, or in=? out=? (the parser holds them together); true when known. */
static bool
check_bytes(struct daemon *d, const char *want, const char *in, const char *out_)
{
	struct al_line l;
	const char *i, *o;

	if (!al_wait(d, want, &l, 10000))
		h_fail_with_log(d, "no access-log line for the session");
	i = al_get(&l, "in");
	o = al_get(&l, "out");
	print_message("%s: in=%s out=%s\n", want, i != NULL ? i : "(none)", o != NULL ? o : "(none)");
	/* the parser has seen that both are there or neither, both counts or both '?' */
	assert_non_null(i);
	assert_non_null(o);
	assert_non_null(al_get(&l, "duration_ms"));
	if (strcmp(i, "?") == 0)
		return false;
	if (strcmp(i, in) != 0 || strcmp(o, out_) != 0)
		h_fail_with_log(d, "a session logged with bytes it did not move");
	return true;
}

/* Sub-second sessions, either side closing first: in= and out= are never a stale guess. */
static void
exec_bytes_test(void **state)
{
	struct daemon *d = *state;
	int cport = h_free_port(), eport = h_free_port(), bport = h_free_port();
	ssize_t n;
	int fd;

	h_write_conf(d, "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"cat\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"/bin/cat\" ]; },\n"
	    " { name = \"hi\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"/bin/echo\", \"hi\" ]; },\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; } );\n",
	    cport, eport, bport);
	start_quiet(d);
	/* the client closes first: cat echoes, sees EOF, exits */
	fd = h_connect("127.0.0.1", cport, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "hello\n", 6));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	n = h_read_all(fd, out, sizeof(out) - 1, 10000);
	close(fd);
	assert_int_equal(n, 6);
	check_bytes(d, "service=cat end=done program=* exit=0", "6", "6");
	/* the program closes first: it writes and exits, the client has sent nothing */
	fd = h_connect("127.0.0.1", eport, 2000);
	assert_true(fd >= 0);
	n = h_read_all(fd, out, sizeof(out) - 1, 10000);
	close(fd);
	assert_int_equal(n, 3);
	check_bytes(d, "service=hi end=done program=* exit=0", "0", "3");
	/* a built-in handler holds its socket to the end: its bytes are always there */
	assert_true(h_echo("127.0.0.1", bport, "hello\n", 6, 5000));
	assert_true(check_bytes(d, "service=echo", "6", "6"));
}

/* What a program leaves behind does not keep its connection; the worker never reads it. */
static void
exec_leftover_child_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], args[400], text[128] = "";
	long child = 0;
	int fd;

	snprintf(file, sizeof(file), "%s/child.txt", d->dir);
	snprintf(args, sizeof(args), ", \"leave-child\", \"%s\"", file);
	conf_probe(d, port, args, "max_per_source = 1;");
	start_quiet(d);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "ping\n", 5));
	/* the program exits at once, its child keeps the socket: the client is let go all the same */
	if (!conn_ends(fd, 10000))
		h_fail_with_log(d, "a program's leftover child kept the connection");
	close(fd);
	if (under_valgrind()) {
		/* killed, with the client's byte unread (the reset says so): it serves nobody */
		assert_true(h_wait_log(d, "the 1 processes it left holding its connection get SIGKILL", 10000));
		/* its line says idle before its access line is written: max_per_source counts it no more */
		assert_true(al_wait_nth(d, "service=probe end=done program=* exit=0", 1, NULL, 10000));
		fd = h_connect("127.0.0.1", port, 2000);
		assert_true(fd >= 0);
		assert_true(h_write_all(fd, "ping\n", 5));
		assert_true(conn_ends(fd, 10000));
		close(fd);
		assert_true(al_wait_nth(d, "service=probe end=done program=* exit=0", 2, NULL, 10000));
		assert_int_equal(al_count(d, "end=refused"), 0);
		return;
	}
	assert_true(h_wait_log(d, "its connection is shut down for the 1 processes it left holding it", 10000));
	if (!wait_file_line(file, text, sizeof(text), 5000) || sscanf(text, "%ld", &child) != 1)
		h_fail_with_log(d, "the child never reported");
	/* the byte the client sent was the program's: the worker left it for the child */
	assert_non_null(strstr(text, " read=ping"));
	assert_true(h_pid_alive((pid_t)child));
	/* the child serves nobody: once the worker is done, the next client from the same source is let in */
	assert_true(al_wait_nth(d, "service=probe end=done program=* exit=0", 1, NULL, 10000));
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "ping\n", 5));
	assert_true(h_read_all(fd, out, sizeof(out) - 1, 10000) >= 0);
	close(fd);
	assert_true(al_wait_nth(d, "service=probe end=done program=* exit=0", 2, NULL, 10000));
	assert_int_equal(al_count(d, "end=refused"), 0);
	kill((pid_t)child, SIGKILL);
}

/* A program that closes its side lets the client go at once, as under inetd, though it lingers. */
static void
exec_close_early_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], args[400], text[64] = "";
	long pid = 0;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s/linger.pid", d->dir);
	snprintf(args, sizeof(args), ", \"close-linger\", \"%s\"", file);
	conf_probe(d, port, args, "");
	start_quiet(d);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	n = h_read_all(fd, out, sizeof(out) - 1, 10000);
	if (n < 0)
		h_fail_with_log(d, "the client got no EOF when the program closed its side");
	out[n] = '\0';
	close(fd);
	assert_string_equal(out, "bye\n");
	assert_true(wait_file_line(file, text, sizeof(text), 3000));
	assert_int_equal(sscanf(text, "%ld", &pid), 1);
	/* the EOF came from the program's close, not from its end */
	assert_true(h_pid_alive((pid_t)pid));
	assert_int_equal(al_count(d, "service=probe"), 0);
}

/* C1 controls and bidi overrides from a program's stderr reach the log as '?', as C0 ones do. */
static void
exec_stderr_escaped_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char *log;

	conf_probe(d, port, ", \"stderr-c1\"", "");
	start_quiet(d);
	fetch(port, out, sizeof(out));
	assert_true(al_wait(d, "service=probe end=done program=* exit=0", NULL, 10000));
	if (!h_wait_log(d, "c1 [?31m] raw [?] bidi [?] iso [?] ok [\xc3\xa9]", 10000))
		h_fail_with_log(d, "control characters reached the log");
	log = h_read_log(d);
	assert_null(strstr(log, "\x9b"));
	assert_null(strstr(log, "\xe2\x80\xae"));
	assert_null(strstr(log, "\xe2\x81\xa6"));
	free(log);
}

/* ---- UDP: wait mode ------------------------------------------------------------ */

/* One datagram sent to port from a connected socket, left open. */
static int
udp_send_connected(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, "hi", 2, 0), 2);
	return fd;
}

static void
exec_udp_wait_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char reply[256];
	struct al_line l;
	ssize_t n;

	h_write_conf(d, "log = { connections = true; };\n"
	    "services = ( { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   wait = true; command = [ \"%s\", \"udp-echo\" ]; } );\n", port, h_exec_probe());
	start_quiet(d);
	for (int i = 0; i < 3; i++) {
		n = h_udp_query("127.0.0.1", port, "hi", 2, reply, sizeof(reply) - 1, h_hang_ms(3000));
		if (n < 0)
			h_fail_with_log(d, "no reply from the wait program");
		reply[n] = '\0';
		/* the program read the socket itself; it got no peer variables */
		assert_string_equal(reply, "UDP peers=0");
	}
	assert_true(al_wait_nth(d, "service=u program=*", 3, &l, 10000));
	/* a wait program's line: no peer (it read its own), how long it ran and how it ended */
	assert_null(al_get(&l, "peer"));
	assert_non_null(al_get(&l, "duration_ms"));
	assert_string_equal(al_get(&l, "end"), "done");
	assert_string_equal(al_get(&l, "exit"), "0");
	/* exactly one worker, whatever the global workers says */
	assert_true(h_wait_children(d->pid, 1, 2000));
}

/* Without the access log, a wait program's run is not logged either. */
static void
exec_udp_wait_quiet_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char reply[256];

	h_write_conf(d, "log = { connections = false; };\n"
	    "services = ( { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   wait = true; command = [ \"%s\", \"udp-echo\" ]; } );\n", port, h_exec_probe());
	start_quiet(d);
	/* a second reply comes from a second run: the first one's end was handled before it started */
	assert_true(h_udp_query("127.0.0.1", port, "hi", 2, reply, sizeof(reply) - 1, 3000) > 0);
	assert_true(h_udp_query("127.0.0.1", port, "hi", 2, reply, sizeof(reply) - 1, 3000) > 0);
	assert_int_equal(al_count(d, "service=u"), 0);
}

/* A reload while a wait program lingers: the new worker waits for it; never two on the socket. */
static void
exec_udp_wait_reload_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	/* a macro, not a variable: the compiler checks the format against its arguments */
#define LINGER_CONF "log = { connections = true; };\n" \
	    "services = ( { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n" \
	    "   wait = true; command = [ \"%s\", \"udp-linger\" ]; %s },\n" \
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n"
	char first[64], reply[64];
	ssize_t n;

	h_write_conf(d, LINGER_CONF, port, h_exec_probe(), "", sport);
	start_quiet(d);
	n = h_udp_query("127.0.0.1", port, "a", 1, first, sizeof(first) - 1, h_hang_ms(3000));
	if (n < 0)
		h_fail_with_log(d, "no reply from the wait program");
	first[n] = '\0';
	h_write_conf(d, LINGER_CONF, port, h_exec_probe(), "env = [ \"GENERATION=2\" ];", sport);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	/* the lingering program of the old generation still owns the socket */
	n = h_udp_query("127.0.0.1", port, "b", 1, reply, sizeof(reply) - 1, h_hang_ms(3000));
	assert_true(n > 0);
	reply[n] = '\0';
	assert_string_equal(reply, first);
	/* once it is gone, the new generation's worker starts the next one */
	assert_true(al_wait_nth(d, "service=u program=*", 1, NULL, 5000));
	n = h_udp_query("127.0.0.1", port, "c", 1, reply, sizeof(reply) - 1, h_hang_ms(5000));
	assert_true(n > 0);
	reply[n] = '\0';
	assert_string_not_equal(reply, first);
	assert_true(al_wait_nth(d, "service=u program=*", 2, NULL, 5000));
	h_sleep_ms(300);
	assert_int_equal(al_count(d, "service=u program=*"), 2);
#undef LINGER_CONF
}

/* A wait program that sees no datagram for `timeout` seconds ends (end=timeout). */
static void
exec_udp_wait_timeout_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	int64_t t0;
	int fd;

	h_write_conf(d, "shutdown_timeout = 1;\nlog = { connections = true; level = \"info\"; };\n"
	    "services = ( { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   wait = true; timeout = 1; command = [ \"%s\", \"silent\" ]; } );\n", port, h_exec_probe());
	start_quiet(d);
	fd = udp_send_connected(port);
	t0 = h_now_ms();
	if (!al_wait(d, "service=u end=timeout program=* signal=SIGTERM", NULL, 10000))
		h_fail_with_log(d, "an idle wait program was never ended");
	assert_true(h_now_ms() - t0 >= 900);
	assert_true(h_log_contains(d, "no activity on its socket for timeout seconds"));
	close(fd);
}

/* A wait program that exits 0 without reading backs off as a crash does, logged once a step. */
static void
exec_udp_wait_unread_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	int fd, starts, steps;

	h_write_conf(d, "log = { connections = true; };\n"
	    "services = ( { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   wait = true; command = [ \"%s\", \"exit\", \"0\" ]; } );\n", port, h_exec_probe());
	start_quiet(d);
	fd = udp_send_connected(port);
	if (!h_wait_log(d, "leaves the datagram it was started for unread; next start in 2000 ms", 15000))
		h_fail_with_log(d, "a wait program that reads nothing was restarted without backing off");
	steps = h_log_count(d, "leaves the datagram it was started for unread");
	starts = al_count(d, "service=u program=*");
	print_message("%d starts, %d back-off steps\n", starts, steps);
	/* three in a row start the back-off; then one start per step */
	assert_int_equal(h_log_count(d, "next start in 1000 ms"), 1);
	assert_true(starts <= steps + 3);
	close(fd);
}

/* ---- configuration errors, with their lines ------------------------------------- */

struct bad {
	const char *text;
	int line;
	const char *msg;
};

static void
exec_config_errors_test(void **state)
{
	char nx[512], text[2048], err[CONFIG_ERR_MAX], want[600], noexec[512];
	const struct bad cases[] = {
		{ "{ name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; }", 2,
		  "service \"x\": handler exec needs a command" },
		{ "{ name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\";\n command = [ \"bin/true\" ]; }", 3,
		  "command \"bin/true\" must be an absolute path" },
		{ "{ name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\";\n command = [ \"%NX%\" ]; }", 3,
		  "No such file or directory" },
		{ "{ name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; user = \"nobody\";\n command = [ \"%NOEXEC%\" ]; }", 3,
		  "is not executable by user nobody" },
		{ "{ name = \"x\"; protocol = \"udp\"; port = 7;\n handler = \"exec\"; command = [ \"/bin/cat\" ]; }", 3,
		  "exec over UDP needs wait = true" },
		{ "{ name = \"x\"; protocol = \"udp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ]; wait = true;\n workers = 2; }", 3,
		  "a wait service has exactly one worker (workers = 2)" },
		{ "{ name = \"x\"; protocol = \"udp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ]; wait = true; workers = 1;\n max_workers = 3; }", 3,
		  "a wait service has exactly one worker (max_workers = 3)" },
		{ "{ name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n env = [ \"NOEQUALS\" ]; }", 3,
		  "env entry \"NOEQUALS\" must be NAME=value" },
		{ "{ name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n limits = { memory = 10; }; }", 3,
		  "\"memory\" is 10, out of range 1048576-" },
		{ "{ name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ ];\n }", 2,
		  "command is empty" },
	};
	char dir[] = "/tmp/netsrvd-exec-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0711), 0);	/* nobody may search it: the file's own mode is the case */
	snprintf(nx, sizeof(nx), "%s/missing", dir);
	snprintf(noexec, sizeof(noexec), "%s/rootonly", dir);
	h_write_file(noexec, "#!/bin/sh\n");
	assert_int_equal(chmod(noexec, 0700), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char svc[1024];
		const char *at;

		snprintf(svc, sizeof(svc), "%s", cases[i].text);
		if ((at = strstr(svc, "%NX%")) != NULL || (at = strstr(svc, "%NOEXEC%")) != NULL) {
			char tail[1024];
			bool is_nx = strncmp(at, "%NX%", 4) == 0;
			snprintf(tail, sizeof(tail), "%s", at + (is_nx ? 4 : 8));
			snprintf(svc + (at - svc), sizeof(svc) - (size_t)(at - svc), "%s%s",
			    is_nx ? nx : noexec, tail);
		}
		snprintf(text, sizeof(text), "services = (\n%s );\n", svc);
		struct config *cfg = config_parse_string(text, "t.conf", err, sizeof(err));
		if (cfg != NULL) {
			config_free(cfg);
			fail_msg("case %zu: accepted", i);
		}
		snprintf(want, sizeof(want), "t.conf:%d: ", cases[i].line);
		if (strncmp(err, want, strlen(want)) != 0 || strstr(err, cases[i].msg) == NULL)
			fail_msg("case %zu: expected \"%s...%s\", got \"%s\"", i, want, cases[i].msg, err);
	}
	unlink(noexec);
	rmdir(dir);
}

/* ---- real programs from Debian's packages, driven by their real clients --------- */

static bool
have(const char *path)
{
	return access(path, X_OK) == 0;
}

static void
skip_without(const char *path)
{
	if (!have(path)) {
		if (geteuid() == 0)
			fail_msg("%s is missing: build-aux/install-deps check installs it", path);
		print_message("skipped: %s is not installed (CI, as root, has it)\n", path);
		skip();
	}
}

static void
exec_tftpd_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char root[256], file[300], got[300], cmd[1024];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	skip_without("/usr/sbin/in.tftpd");
	skip_without("/usr/bin/tftp");
	if (geteuid() != 0) {
		print_message("skipped: needs root (in.tftpd -s chroots to its directory; CI runs as root)\n");
		skip();
	}
	snprintf(root, sizeof(root), "%s/tftproot", d->dir);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(chmod(d->dir, 0755), 0);	/* in.tftpd drops to nobody */
	snprintf(file, sizeof(file), "%s/boot.txt", root);
	h_write_file(file, "netboot image, served by in.tftpd under netsrvd\n");
	assert_int_equal(chmod(file, 0644), 0);
	snprintf(got, sizeof(got), "%s/got.txt", d->dir);
	h_write_conf(d, "log = { connections = true; };\n"
	    "services = ( { name = \"tftp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   wait = true; command = [ \"/usr/sbin/in.tftpd\", \"--timeout\", \"1\", \"-s\", \"%s\" ]; } );\n",
	    port, root);
	start_quiet(d);
	for (int i = 0; i < 2; i++) {
		unlink(got);
		snprintf(cmd, sizeof(cmd), "cd '%s' && tftp -m octet 127.0.0.1 %d -c get boot.txt got.txt", d->dir, port);
		int rc = h_run(argv, out, sizeof(out), 10000);
		if (rc != 0)
			h_fail_with_log(d, out);
		char *data = NULL;
		FILE *f = fopen(got, "r");
		char buf[256] = "";
		assert_non_null(f);
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		assert_string_equal(buf, "netboot image, served by in.tftpd under netsrvd\n");
		free(data);
		print_message("tftp get #%d: %s", i + 1, buf);
	}
	/* in.tftpd exits after its own --timeout; each fetch got its own start or shared one */
	assert_true(al_wait(d, "service=tftp program=*", NULL, 5000));
	assert_true(h_wait_log(d, "exit=0", 5000));
}

static void
exec_git_daemon_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char repo[256], clone[256], cmd[2048];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int rc;

	skip_without("/usr/lib/git-core/git-daemon");
	snprintf(repo, sizeof(repo), "%s/srv/hello.git", d->dir);
	snprintf(clone, sizeof(clone), "%s/clone", d->dir);
	snprintf(cmd, sizeof(cmd),
	    "set -e; export HOME='%s' GIT_CONFIG_NOSYSTEM=1; mkdir -p '%s/srv' && cd '%s' && "
	    "git init -q work && cd work && echo 'hello through netsrvd' > README && "
	    "git add README && git -c user.name=t -c user.email=t@example.org commit -q -m first && "
	    "git clone -q --bare . '%s'", d->dir, d->dir, d->dir, repo);
	rc = h_run(argv, out, sizeof(out), 20000);
	if (rc != 0)
		fail_msg("setting up the repository: %s", out);
	h_write_conf(d, "log = { connections = true; };\n"
	    "services = ( { name = \"git\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 2; max_runtime = 60; env = [ \"HOME=%s\" ];\n"
	    "   command = [ \"/usr/lib/git-core/git-daemon\", \"--inetd\", \"--export-all\", \"--base-path=%s/srv\" ]; } );\n",
	    port, d->dir, d->dir);
	h_start_serving(d, port);
	snprintf(cmd, sizeof(cmd), "export HOME='%s' GIT_CONFIG_NOSYSTEM=1; git clone -q git://127.0.0.1:%d/hello.git '%s' && cat '%s/README'",
	    d->dir, port, clone, clone);
	rc = h_run(argv, out, sizeof(out), 30000);
	if (rc != 0)
		h_fail_with_log(d, out);
	assert_string_equal(out, "hello through netsrvd\n");
	print_message("git clone git://127.0.0.1:%d/hello.git: README says %s", port, out);
	assert_true(al_wait(d, "service=git", NULL, 10000));
	assert_true(h_wait_log(d, "exit=0", 10000));
}

/* rsync's daemon in inetd mode (it chroots: root's power stays with the program) */
static void
exec_rsync_daemon_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char mod[256], conf[256], file[300], cmd[2048];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int rc;

	skip_without("/usr/bin/rsync");
	if (geteuid() != 0) {
		print_message("skipped: needs root (rsync's daemon chroots and runs as root here; CI runs as root)\n");
		skip();
	}
	snprintf(mod, sizeof(mod), "%s/module", d->dir);
	assert_int_equal(mkdir(mod, 0755), 0);
	snprintf(file, sizeof(file), "%s/notes.txt", mod);
	h_write_file(file, "synced through netsrvd\n");
	snprintf(conf, sizeof(conf), "%s/rsyncd.conf", d->dir);
	snprintf(cmd, sizeof(cmd), "[mod]\npath = %s\nread only = yes\nuse chroot = yes\nuid = root\ngid = root\n", mod);
	h_write_file(conf, cmd);
	h_write_conf(d, "log = { connections = true; };\n"
	    "services = ( { name = \"rsync\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 2; max_runtime = 60;\n"
	    "   command = [ \"/usr/bin/rsync\", \"--daemon\", \"--config=%s\" ]; } );\n", port, conf);
	start_quiet(d);
	snprintf(cmd, sizeof(cmd), "rsync -q rsync://127.0.0.1:%d/mod/notes.txt '%s/copy.txt' && cat '%s/copy.txt'",
	    port, d->dir, d->dir);
	rc = h_run(argv, out, sizeof(out), 30000);
	if (rc != 0)
		h_fail_with_log(d, out);
	assert_string_equal(out, "synced through netsrvd\n");
	print_message("rsync rsync://127.0.0.1:%d/mod/notes.txt: %s", port, out);
	assert_true(al_wait(d, "service=rsync", NULL, 10000));
	assert_true(al_wait(d, "end=done program=* exit=0", NULL, 10000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(exec_environment_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_proxy_client_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_groups_test, groups_setup, groups_teardown),
		cmocka_unit_test_setup_teardown(exec_exit_status_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_signal_and_metrics_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_stderr_flood_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_max_runtime_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_stop_ends_programs_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_reload_lets_programs_finish_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_not_started_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_timeout_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_bytes_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_leftover_child_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_close_early_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_stderr_escaped_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_udp_wait_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_udp_wait_quiet_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_udp_wait_reload_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_udp_wait_timeout_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_udp_wait_unread_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test(exec_config_errors_test),
		cmocka_unit_test_setup_teardown(exec_tftpd_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_git_daemon_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(exec_rsync_daemon_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
