/* tcp_wrappers, run for real: hosts.allow and hosts.deny the test writes, spawn and twist as libwrap runs them, nothing left behind. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "procutil.h"

/*
 * libwrap reads /etc/hosts.allow and /etc/hosts.deny, paths compiled in.
 * The test runs in a mount namespace of its own (root only), where its
 * two files are bind-mounted over them; the daemon it starts inherits
 * the view, the host's files are never touched. Rewritten in place (a
 * rename would leave the mount on the old inode).
 */
static char tables_dir[64];
static char allow_path[96], deny_path[96];
static const char *no_tables;	/* why the tests skip, or NULL */

static void
write_table(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static const char *
private_tables(void)
{
#ifndef HAVE_LIBWRAP
	return "netsrvd was built without libwrap";
#endif
	if (geteuid() != 0)
		return "not root: the tables are bind-mounted in a private mount namespace";
	if (access("/etc/hosts.allow", F_OK) != 0 || access("/etc/hosts.deny", F_OK) != 0)
		return "no /etc/hosts.allow or /etc/hosts.deny to mount over";
	snprintf(tables_dir, sizeof(tables_dir), "/tmp/netsrvd-wrappers.XXXXXX");
	if (mkdtemp(tables_dir) == NULL)
		return "mkdtemp failed";
	snprintf(allow_path, sizeof(allow_path), "%s/hosts.allow", tables_dir);
	snprintf(deny_path, sizeof(deny_path), "%s/hosts.deny", tables_dir);
	write_table(allow_path, "");
	write_table(deny_path, "");
	if (unshare(CLONE_NEWNS) == -1 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return "no private mount namespace (unshare or mount failed)";
	if (mount(allow_path, "/etc/hosts.allow", NULL, MS_BIND, NULL) == -1 ||
	    mount(deny_path, "/etc/hosts.deny", NULL, MS_BIND, NULL) == -1)
		return "bind mount over /etc/hosts.allow failed";
	return NULL;
}

static void
tables(const char *allow, const char *deny)
{
	write_table(allow_path, allow);
	write_table(deny_path, deny);
}

static void
need_tables(void)
{
	if (no_tables != NULL) {
		print_message("skipped: %s\n", no_tables);
		skip();
	}
}

/*
 * What 127.0.0.1:port says to a client from src until it closes: the
 * bytes (NUL-terminated in out), or -1 when it was reset (refused).
 */
static ssize_t
talk_from(const char *src, int port, char *out, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = h_read_all(fd, out, len - 1, 10000);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return n;
}

/* An exec service (what tcpd wrapped) and the status service for its counters. */
static void
write_conf(struct daemon *d, int port, int sport)
{
	h_write_conf(d, "log = { target = \"stderr\"; level = \"info\"; connections = true; };\n"
	    "services = (\n"
	    " { name = \"finger\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; user = \"root\"; command = [ \"/bin/echo\", \"served\" ];\n"
	    "   tcp_wrappers = \"in.fingerd\"; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";\n"
	    "   workers = 1; } );\n", port, sport);
}

static long long
refused_wrappers(int sport, long long want)
{
	return h_wait_metric(sport, "netsrvd_refused_total{service=\"finger\",reason=\"wrappers\"}",
	    H_EQUAL, want, 10000);
}

/*
 * Nothing a table started is left: no zombie under the master, no child
 * under a worker. The client may see its answer end before the worker has
 * reaped what served it (the program, the check's child): wait for that
 * state, bounded only to catch a hang, then say what is left.
 */
static void
assert_nothing_left(struct daemon *d, int workers)
{
	int64_t end = h_now_ms() + h_hang_ms(10000);
	pid_t kids[16];
	int n, left;

	assert_true(h_wait_children(d->pid, workers, 10000));
	do {
		n = h_children(d->pid, kids, 16);
		left = h_count_zombies(d->pid);
		for (int i = 0; i < n && i < 16; i++)
			left += pu_children(kids[i], PU_ALL, NULL, 0);
		if (left == 0)
			break;
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	assert_int_equal(h_count_zombies(d->pid), 0);
	for (int i = 0; i < n && i < 16; i++)
		assert_int_equal(pu_children(kids[i], PU_ALL, NULL, 0), 0);
}

/* A client hosts.allow names is served; one hosts.deny names is refused, counted and logged. */
static void
wrappers_allow_deny_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char out[256];

	need_tables();
	tables("in.fingerd: 127.0.0.2\n", "in.fingerd: ALL\n");
	write_conf(d, port, sport);
	h_start_serving(d, sport);
	assert_int_equal(talk_from("127.0.0.2", port, out, sizeof(out)), 7);
	assert_string_equal(out, "served\n");
	assert_true(talk_from("127.0.0.1", port, out, sizeof(out)) <= 0);
	assert_string_equal(out, "");
	assert_int_equal(refused_wrappers(sport, 1), 1);
	if (!h_wait_log(d, "service=finger peer=127.0.0.1", 5000) ||
	    !h_wait_log(d, "end=refused reason=wrappers", 5000))
		h_fail_with_log(d, "no end=refused reason=wrappers line");
	/* another daemon's rules are not this service's */
	tables("in.telnetd: ALL\n", "in.telnetd: 127.0.0.2\n");
	assert_int_equal(talk_from("127.0.0.2", port, out, sizeof(out)), 7);
	assert_nothing_left(d, 2);
}

/* libwrap reads the tables at each connection: an edit applies to the next one, no reload. */
static void
wrappers_edit_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char out[256];

	need_tables();
	tables("", "ALL: ALL\n");
	write_conf(d, port, sport);
	h_start_serving(d, sport);
	assert_true(talk_from("127.0.0.1", port, out, sizeof(out)) <= 0);
	tables("in.fingerd: 127.0.0.1\n", "ALL: ALL\n");
	assert_int_equal(talk_from("127.0.0.1", port, out, sizeof(out)), 7);
	assert_string_equal(out, "served\n");
	tables("", "ALL: ALL\n");
	assert_true(talk_from("127.0.0.1", port, out, sizeof(out)) <= 0);
	assert_int_equal(refused_wrappers(sport, 2), 2);
	assert_false(h_log_contains(d, "reload"));
}

/* A small file's text (a test's own), NUL-terminated; the caller frees it. */
static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static long
read_pid_file(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");
	long pid;

	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	pid = atol(buf);
	assert_true(pid > 1);
	return pid;
}

/*
 * spawn runs beside the service, with the % expansions done, before the
 * client is served (libwrap waits for it); one that puts a process in
 * the background leaves nothing once the connection is over.
 */
static void
wrappers_spawn_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char out[256], rule[512], file[256], bg[256];
	long pid;

	need_tables();
	snprintf(file, sizeof(file), "%s/spawned", d->dir);
	snprintf(bg, sizeof(bg), "%s/background", d->dir);
	snprintf(rule, sizeof(rule), "in.fingerd: ALL: spawn (/bin/echo %%a %%d > %s)\n", file);
	tables(rule, "");
	write_conf(d, port, sport);
	h_start_serving(d, sport);
	assert_int_equal(talk_from("127.0.0.1", port, out, sizeof(out)), 7);
	assert_string_equal(out, "served\n");
	{
		char got[128] = "";
		FILE *f = fopen(file, "r");

		assert_non_null(f);
		assert_non_null(fgets(got, sizeof(got), f));
		fclose(f);
		assert_string_equal(got, "127.0.0.1 in.fingerd\n");
	}
	snprintf(rule, sizeof(rule), "in.fingerd: ALL: spawn (/bin/sleep 300 & echo $! > %s)\n", bg);
	tables(rule, "");
	assert_int_equal(talk_from("127.0.0.1", port, out, sizeof(out)), 7);
	pid = read_pid_file(bg);
	assert_true(h_wait_gone((pid_t)pid, 10000));
	assert_nothing_left(d, 2);
}

/*
 * While libwrap decides (here a spawn that waits on a FIFO the test
 * holds), the worker is busy on the board, not a spare; once the spawn
 * is let go the client is served.
 */
static void
wrappers_busy_while_checking_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char out[256], rule[512], fifo[256];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, w;

	need_tables();
	snprintf(fifo, sizeof(fifo), "%s/gate", d->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* held open from the start: should the test fail, its end is the reader's EOF */
	w = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	assert_true(w >= 0);
	snprintf(rule, sizeof(rule), "in.fingerd: ALL: spawn (read x < %s)\n", fifo);
	tables(rule, "");
	write_conf(d, port, sport);
	h_start_serving(d, sport);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_workers{service=\"finger\",state=\"busy\"}",
	    H_EQUAL, 1, 10000), 1);
	/* open until the shell has read it: a FIFO's data goes with its last opener */
	assert_int_equal(write(w, "go\n", 3), 3);
	assert_int_equal(h_read_all(fd, out, sizeof(out) - 1, 10000), 7);
	close(w);
	close(fd);
	assert_int_equal(h_wait_metric(sport, "netsrvd_workers{service=\"finger\",state=\"busy\"}",
	    H_EQUAL, 0, 10000), 0);
}

/*
 * twist replaces the service, as under tcpd: the client gets the
 * command's output and nothing of the program, the connection counts as
 * refused, and the command and what it put in the background are gone
 * with the connection.
 */
static void
wrappers_twist_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char out[256];
	long pid;

	need_tables();
	tables("", "in.fingerd: ALL: twist /bin/echo denied %a\n");
	write_conf(d, port, sport);
	h_start_serving(d, sport);
	assert_int_equal(talk_from("127.0.0.1", port, out, sizeof(out)), 17);
	assert_string_equal(out, "denied 127.0.0.1\n");
	assert_int_equal(refused_wrappers(sport, 1), 1);
	assert_nothing_left(d, 2);
	/* the twist's own pid, and one it left in the background */
	tables("", "in.fingerd: ALL: twist /bin/sleep 300 >/dev/null 2>&1 & echo $$ $!\n");
	assert_true(talk_from("127.0.0.1", port, out, sizeof(out)) > 0);
	assert_null(strstr(out, "served"));
	{
		long twist = 0;

		assert_int_equal(sscanf(out, "%ld %ld", &twist, &pid), 2);
		assert_true(h_wait_gone((pid_t)twist, 10000));
		assert_true(h_wait_gone((pid_t)pid, 10000));
	}
	assert_int_equal(refused_wrappers(sport, 2), 2);
	assert_nothing_left(d, 2);
}

/* What 127.0.0.1:port says to a balancer's connection whose PROXY header names client; -1: reset. */
static ssize_t
talk_as_balancer(int port, const char *client, char *out, size_t len)
{
	char hdr[128];
	int fd = h_connect("127.0.0.1", port, 5000);
	ssize_t n;

	assert_true(fd >= 0);
	snprintf(hdr, sizeof(hdr), "PROXY TCP4 %s 127.0.0.1 5555 %d\r\n", client, port);
	assert_true(h_write_all(fd, hdr, strlen(hdr)));
	n = h_read_all(fd, out, len - 1, 10000);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return n;
}

/* Behind a balancer (proxy_from) the tables judge the client its header names, not the balancer. */
static void
wrappers_proxy_client_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char out[256];

	need_tables();
	tables("in.fingerd: 127.0.0.1\n", "in.fingerd: 192.0.2.7\n");
	h_write_conf(d, "log = { target = \"stderr\"; level = \"info\"; };\nservices = (\n"
	    " { name = \"finger\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; user = \"root\"; command = [ \"/bin/echo\", \"served\" ];\n"
	    "   proxy_from = [ \"127.0.0.0/8\" ]; tcp_wrappers = \"in.fingerd\"; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";\n"
	    "   workers = 1; } );\n", port, sport);
	h_start_serving(d, sport);
	/* the balancer, 127.0.0.1, is allowed by hosts.allow: the client's own rule must win */
	assert_true(talk_as_balancer(port, "192.0.2.7", out, sizeof(out)) <= 0);
	if (!h_wait_log(d, "peer=192.0.2.7:5555 proxy=127.0.0.1:", 5000) ||
	    !h_wait_log(d, "end=refused reason=wrappers", 5000))
		h_fail_with_log(d, "no refusal of the header's client");
	assert_int_equal(talk_as_balancer(port, "192.0.2.8", out, sizeof(out)), 7);
	assert_string_equal(out, "served\n");
}

/* A built-in handler asks libwrap too once the filter is off; the filter on, -t says why not. */
static void
wrappers_builtin_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	char out[4096];

	need_tables();
	h_write_conf(d, "services = (\n { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\";"
	    " port = %d; handler = \"echo\";\n   tcp_wrappers = \"echo\"; } );\n", port);
	assert_int_not_equal(h_run(argv, out, sizeof(out), 5000), 0);
	if (strstr(out, "service \"echo\": tcp_wrappers on handler echo needs seccomp = false") == NULL)
		fail_msg("-t said:\n%s", out);
	tables("", "echo: 127.0.0.1\n");
	h_write_conf(d, "seccomp = false;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 1; tcp_wrappers = \"echo\"; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";\n"
	    "   workers = 1; } );\n", port, sport);
	h_start_serving(d, sport);
	assert_true(talk_from("127.0.0.1", port, out, sizeof(out)) <= 0);
	assert_true(h_echo("127.0.0.1", port, "hi\n", 3, 5000) == false);
	tables("", "echo: 127.0.0.9\n");
	assert_true(h_echo("127.0.0.1", port, "hi\n", 3, 5000));
	assert_true(h_wait_metric(sport, "netsrvd_refused_total{service=\"echo\",reason=\"wrappers\"}",
	    H_EQUAL, 2, 10000) == 2);
}

/*
 * Debian's postinst line for fingerd, through tcpd, imported: the real
 * program runs (a stand-in of that name here) and keeps tcpd's rules,
 * which refuse and serve on the wire as they did under tcpd.
 */
static void
wrappers_import_tcpd_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char inetd[300], fingerd[300], cmd[1200], out[256];
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
	char *conf;

	need_tables();
	snprintf(fingerd, sizeof(fingerd), "%s/in.fingerd", d->dir);
	h_write_file(fingerd, "#!/bin/sh\necho finger served\n");
	assert_int_equal(chmod(fingerd, 0755), 0);
	snprintf(inetd, sizeof(inetd), "%s/inetd.conf", d->dir);
	snprintf(cmd, sizeof(cmd), "127.0.0.1:%d\tstream\ttcp\tnowait\troot\t/usr/sbin/tcpd\t%s\n",
	    port, fingerd);
	h_write_file(inetd, cmd);
	/* the import as the whole file, after a log the harness reads; exit 0: nothing lost */
	snprintf(cmd, sizeof(cmd), "{ echo 'log = { target = \"stderr\"; level = \"info\"; };'; "
	    "exec '%s' --import '%s'; } > '%s'", h_netsrvd(), inetd, d->conf);
	assert_int_equal(h_run(sh, out, sizeof(out), 20000), 0);
	conf = read_text(d->conf);
	if (strstr(conf, "tcp_wrappers = \"in.fingerd\";") == NULL)
		fail_msg("the import:\n%s", conf);
	free(conf);
	tables("in.fingerd: 127.0.0.2\n", "in.fingerd: ALL\n");
	h_start_serving(d, port);
	assert_int_equal(talk_from("127.0.0.2", port, out, sizeof(out)), 14);
	assert_string_equal(out, "finger served\n");
	assert_true(talk_from("127.0.0.1", port, out, sizeof(out)) <= 0);
	if (!h_wait_log(d, "end=refused reason=wrappers", 5000))
		h_fail_with_log(d, "no end=refused reason=wrappers line");
}

/* The key's mistakes, each on its line: a UDP service, a name no table line can hold. */
static void
wrappers_config_refused_test(void **state)
{
	struct daemon *d = *state;
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	char out[4096];

	h_write_conf(d, "services = (\n { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\";"
	    " port = %d; handler = \"exec\"; command = [ \"/bin/true\" ];\n"
	    "   tcp_wrappers = \"in.talkd\"; } );\n", h_free_port());
	assert_int_not_equal(h_run(argv, out, sizeof(out), 5000), 0);
	if (strstr(out, ":3: service \"u\": tcp_wrappers applies to TCP services only") == NULL)
		fail_msg("-t said:\n%s", out);
#ifndef HAVE_LIBWRAP
	return;
#endif
	h_write_conf(d, "services = (\n { name = \"t\"; protocol = \"tcp\"; address = \"127.0.0.1\";"
	    " port = %d; handler = \"exec\"; command = [ \"/bin/true\" ];\n"
	    "   tcp_wrappers = \"in:fingerd\"; } );\n", h_free_port());
	assert_int_not_equal(h_run(argv, out, sizeof(out), 5000), 0);
	if (strstr(out, ":3: service \"t\": tcp_wrappers \"in:fingerd\" is no daemon name") == NULL)
		fail_msg("-t said:\n%s", out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(wrappers_allow_deny_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(wrappers_edit_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(wrappers_spawn_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(wrappers_twist_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(wrappers_busy_while_checking_test, h_fixture_setup,
		    h_fixture_teardown),
		cmocka_unit_test_setup_teardown(wrappers_builtin_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(wrappers_proxy_client_test, h_fixture_setup,
		    h_fixture_teardown),
		cmocka_unit_test_setup_teardown(wrappers_import_tcpd_test, h_fixture_setup,
		    h_fixture_teardown),
		cmocka_unit_test_setup_teardown(wrappers_config_refused_test, h_fixture_setup,
		    h_fixture_teardown),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	h_test_filter();
	no_tables = private_tables();
	rc = cmocka_run_group_tests_name("wrappers", tests, NULL, NULL);
	if (tables_dir[0] != '\0') {
		(void)umount2("/etc/hosts.allow", MNT_DETACH);
		(void)umount2("/etc/hosts.deny", MNT_DETACH);
		(void)unlink(allow_path);
		(void)unlink(deny_path);
		(void)rmdir(tables_dir);
	}
	return rc;
}
