/* The log target, run for real: what root refuses to open, and a stderr nobody reads. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "access.h"
#include "accesslog.h"
#include "harness.h"

#define SECRET "root's own 0600 file\n"

/* A root-only file that a planted symlink points at; its content must never change. */
static void
make_victim(struct daemon *d, char *victim, size_t len)
{
	snprintf(victim, len, "%s/victim", d->dir);
	h_write_file(victim, SECRET);
	assert_int_equal(chmod(victim, 0600), 0);
}

static void
assert_victim_untouched(const char *victim)
{
	char buf[256] = "";
	struct stat sb;
	FILE *f = fopen(victim, "r");

	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, SECRET);
	assert_int_equal(stat(victim, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
}

/* The same daemon, with its "log" read from another file (h_wait_log reads d->log). */
static struct daemon
log_file_of(const struct daemon *d, const char *path)
{
	struct daemon f = *d;

	snprintf(f.log, sizeof(f.log), "%s", path);
	return f;
}

static void
write_conf(struct daemon *d, int port, const char *log)
{
	h_write_conf(d, "log = { %s };\n"
	    "services = ( { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;\n"
	    "  handler = \"echo\"; workers = 1; } );\n", log, port);
}

/* Starts the daemon and expects startup to fail with 71 and msg in its stderr. */
static void
expect_startup_failure(struct daemon *d, const char *msg)
{
	pid_t pid = h_start(d, NULL);
	int st = h_wait_exit(pid, 5000);

	d->pid = 0;
	if (st == -1) {
		kill(pid, SIGKILL);
		h_wait_exit(pid, 2000);
		h_fail_with_log(d, "netsrvd did not exit: it opened its log, or hangs opening it");
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 71 || !h_log_contains(d, msg))
		h_fail_with_log(d, "expected exit 71 and a precise message");
}

/* A log target that is a symlink: never followed, startup fails, the target is untouched. */
static void
log_symlink_refused_test(void **state)
{
	struct daemon *d = *state;
	char victim[300], link[300], conf[400], msg[400];

	make_victim(d, victim, sizeof(victim));
	snprintf(link, sizeof(link), "%s/netsrvd.log", d->dir);
	assert_int_equal(symlink(victim, link), 0);
	snprintf(conf, sizeof(conf), "target = \"%s\"; connections = true;", link);
	write_conf(d, h_free_port(), conf);
	snprintf(msg, sizeof(msg), "error: log file %s is a symbolic link (not followed)", link);
	expect_startup_failure(d, msg);
	assert_victim_untouched(victim);
}

/* Nor a FIFO (the open would wait for a reader forever) or a directory. */
static void
log_not_regular_refused_test(void **state)
{
	struct daemon *d = *state;
	char fifo[300], conf[400], msg[400];

	snprintf(fifo, sizeof(fifo), "%s/netsrvd.log", d->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(conf, sizeof(conf), "target = \"%s\";", fifo);
	write_conf(d, h_free_port(), conf);
	snprintf(msg, sizeof(msg), "error: log file %s is a FIFO", fifo);
	expect_startup_failure(d, msg);

	snprintf(conf, sizeof(conf), "target = \"%s\";", d->dir);
	write_conf(d, h_free_port(), conf);
	snprintf(msg, sizeof(msg), "error: cannot open log file %s: Is a directory", d->dir);
	expect_startup_failure(d, msg);
}

/*
 * Rotation with a symlink planted where the new file should be: USR1
 * refuses it, the daemon keeps logging to the file it had and serving.
 */
static void
log_reopen_symlink_refused_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char victim[256], path[256], rotated[256], conf[400];

	make_victim(d, victim, sizeof(victim));
	snprintf(path, sizeof(path), "%s/netsrvd.log", d->dir);
	snprintf(rotated, sizeof(rotated), "%s/netsrvd.log.1", d->dir);
	snprintf(conf, sizeof(conf), "target = \"%s\"; connections = true;", path);
	write_conf(d, port, conf);
	h_start_serving(d, port);
	struct daemon cur = log_file_of(d, path), old = log_file_of(d, rotated);
	if (!h_wait_log(&cur, "started:", 10000))
		h_fail_with_log(&cur, "the daemon did not log its start to its file");
	assert_int_equal(rename(path, rotated), 0);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(kill(d->pid, SIGUSR1), 0);
	if (!h_wait_log(&old, "is a symbolic link (not followed); logging stays on the file opened before", 5000))
		h_fail_with_log(&old, "no warning about the planted symlink in the old log");
	/* still serving, still logging where it was */
	assert_true(h_echo("127.0.0.1", port, "after USR1", 10, 2000));
	if (!h_wait_log_count(&old, "service=echo peer=127.0.0.1:", 2, 3000))
		h_fail_with_log(&old, "the access log did not stay on the old file");
	assert_victim_untouched(victim);
	assert_int_equal(h_stop(d), 0);
	assert_victim_untouched(victim);
}

/* Like h_start, but with the daemon's stdout and stderr on fd, which we keep too. */
static void
start_with_stderr(struct daemon *d, int fd)
{
	pid_t pid = fork();

	assert_true(pid != -1);
	if (pid == 0) {
		if (dup2(fd, 2) == -1 || dup2(fd, 1) == -1)
			_exit(127);
		setpgid(0, 0);
		execl(h_netsrvd(), h_netsrvd(), "-f", "-c", d->conf, "-p", d->pidfile, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
}

/*
 * Reads what is in the FIFO or socket now, or waits up to timeout_ms for it
 * to hold needle. What does not fit in seen is let go but for its tail, so
 * a needle that straddles two reads is still found.
 */
static bool
drain_wait_for(int fd, const char *needle, char *seen, size_t len, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);
	const size_t keep = 512;
	size_t got = 0;

	seen[0] = '\0';
	do {
		ssize_t n;
		while ((n = read(fd, seen + got, len - 1 - got)) > 0) {
			got += (size_t)n;
			seen[got] = '\0';
			if (needle != NULL && strstr(seen, needle) != NULL)
				return true;
			if (got >= len - 1) {
				memmove(seen, seen + got - keep, keep + 1);
				got = keep;
			}
		}
		if (needle == NULL)
			return true;
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	return false;
}

/*
 * The daemon's stderr is wfd, whose other end rfd we never read: once it
 * is full the access log cannot be written, and serving must go on
 * regardless (it stopped after 577 connections when workers blocked in
 * write). The dropped lines are counted and reported once the log target
 * takes lines again.
 */
static void
serve_with_unread_stderr(struct daemon *d, int wfd, int rfd, const char *what)
{
	int port = h_free_port();
	char seen[262144];
	const int want = 2000;
	int served = 0;
	unsigned long dropped = 0;

	write_conf(d, port, "target = \"stderr\"; connections = true;");
	start_with_stderr(d, wfd);
	if (h_wait_port("127.0.0.1", port, 10000) != 0)
		fail_msg("netsrvd did not start serving on port %d", port);
	/* the description we share with it stays blocking: ours, not its to change */
	assert_int_equal(fcntl(wfd, F_GETFL) & O_NONBLOCK, 0);
	/* 64 KiB of pipe holds some 500 access lines; go well past it */
	int64_t end = h_now_ms() + h_hang_ms(60000);
	while (served < want && h_now_ms() < end) {
		if (!h_echo("127.0.0.1", port, "never wait for the log", 22, 2000))
			break;
		served++;
	}
	print_message("%d of %d connections served with stderr on a full %s\n", served, want, what);
	assert_int_equal(served, want);
	/*
	 * The reader reads again: a worker says what it could not write with
	 * its next line, which may be the last flood connection's, written as
	 * soon as the drain makes room, or the next connection's.
	 */
	const char *report = " log lines dropped: the log target did not take them in time";
	bool early = drain_wait_for(rfd, report, seen, sizeof(seen), 0);
	assert_true(h_echo("127.0.0.1", port, "and now?", 8, 2000));
	if (!early && !drain_wait_for(rfd, report, seen, sizeof(seen), 5000))
		fail_msg("no count of dropped lines after the %s drained; read:\n%s", what, seen);
	const char *p = strstr(seen, " log lines dropped");
	while (p > seen && p[-1] >= '0' && p[-1] <= '9')
		p--;
	dropped = strtoul(p, NULL, 10);
	print_message("the worker reported %lu access lines dropped\n", dropped);
	assert_true(dropped > 0 && dropped < (unsigned long)want);
	/* then the line that got through */
	if (strstr(p, "service=echo peer=") == NULL)
		assert_true(drain_wait_for(rfd, "service=echo peer=", seen, sizeof(seen), 3000));
	assert_int_equal(h_stop(d), 0);
}

/* stderr on a FIFO (a pipe: `netsrvd -f 2>&1 | ...` with a stuck reader) */
static void
log_stderr_fifo_never_blocks_test(void **state)
{
	struct daemon *d = *state;
	char fifo[256];
	int rfd, wfd;

	snprintf(fifo, sizeof(fifo), "%s/stderr.fifo", d->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(rfd >= 0);
	wfd = open(fifo, O_WRONLY | O_CLOEXEC);
	assert_true(wfd >= 0);
	serve_with_unread_stderr(d, wfd, rfd, "FIFO");
	close(wfd);
	close(rfd);
}

/* stderr on a stream socket (systemd's StandardError=journal, journald stuck) */
static void
log_stderr_socket_never_blocks_test(void **state)
{
	struct daemon *d = *state;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	serve_with_unread_stderr(d, sv[1], sv[0], "socket");
	close(sv[1]);
	close(sv[0]);
}

/* The formatter: every field in its place, free text quoted so the line stays key=value pairs. */
static void
log_access_format_test(void **state)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4711) };
	struct sockaddr_in lb = { .sin_family = AF_INET, .sin_port = htons(40112) };
	struct access_line full = { "echo", (struct sockaddr *)&peer, LOG_PEER_FULL,
	    (struct sockaddr *)&lb, true, false, 6, 7, 12, "done", NULL, "program=42 exit=0", NULL, false, NULL };
	struct access_line refused = { .service = "echo", .peer = (struct sockaddr *)&lb,
	    .end = "refused", .reason = "proxy",
	    .detail = "version 1: no \"PROXY \" at the start \\ \x01" };
	struct access_line program = { .service = "u", .timed = true, .duration_ms = 3, .end = "timeout",
	    .words = "program=9 signal=SIGTERM" };
	struct access_line unknown = { .service = "git", .peer = (struct sockaddr *)&peer, .counted = true,
	    .in = 5, .out = 9, .duration_ms = 4, .end = "done", .words = "program=9 exit=0",
	    .bytes_unknown = true };
	struct al_line l;
	char buf[512], why[160];

	(void)state;
	peer.sin_addr.s_addr = htonl(0xc0000207);	/* 192.0.2.7 */
	lb.sin_addr.s_addr = htonl(0x7f000001);
	access_format(&full, buf, sizeof(buf));
	assert_string_equal(buf, "service=echo peer=192.0.2.7:4711 proxy=127.0.0.1:40112 in=6 out=7 "
	    "duration_ms=12 end=done program=42 exit=0");
	assert_int_equal(al_parse(buf, &l, why, sizeof(why)), 0);

	access_format(&refused, buf, sizeof(buf));
	assert_string_equal(buf, "service=echo peer=127.0.0.1:40112 end=refused reason=proxy "
	    "detail=\"version 1: no \\\"PROXY \\\" at the start \\\\ ?\"");
	if (al_parse(buf, &l, why, sizeof(why)) != 0)
		fail_msg("%s: %s", buf, why);
	assert_string_equal(al_get(&l, "detail"), "version 1: no \"PROXY \" at the start \\ ?");

	access_format(&program, buf, sizeof(buf));
	assert_string_equal(buf, "service=u duration_ms=3 end=timeout program=9 signal=SIGTERM");
	assert_int_equal(al_parse(buf, &l, why, sizeof(why)), 0);

	/* counts the kernel could not give are not made up */
	access_format(&unknown, buf, sizeof(buf));
	assert_string_equal(buf, "service=git peer=192.0.2.7:4711 in=? out=? duration_ms=4 end=done program=9 exit=0");
	assert_int_equal(al_parse(buf, &l, why, sizeof(why)), 0);
	assert_string_equal(al_get(&l, "in"), "?");

	/* a field that does not fit is left out whole */
	assert_int_equal(access_format(&full, buf, 20), strlen("service=echo"));
	assert_string_equal(buf, "service=echo");

	/* and the parser takes nothing else */
	assert_int_equal(al_parse("service echo: refused 127.0.0.1:5 (allow/deny)", &l, why, sizeof(why)), -1);
	assert_int_equal(al_parse("service=echo peer=127.0.0.1:5 end=refused", &l, why, sizeof(why)), -1);
	assert_int_equal(al_parse("service=echo end=done peer=127.0.0.1:5", &l, why, sizeof(why)), -1);
	assert_int_equal(al_parse("service=echo  end=done", &l, why, sizeof(why)), -1);
	assert_int_equal(al_parse("service=echo end=done detail=\"open", &l, why, sizeof(why)), -1);
	assert_int_equal(al_parse("service=echo end=done timed out", &l, why, sizeof(why)), -1);
	assert_int_equal(al_parse("service=echo in=6 end=done", &l, why, sizeof(why)), -1);
	assert_int_equal(al_parse("service=echo in=? out=6 end=done", &l, why, sizeof(why)), -1);
	assert_int_equal(al_parse("service=echo in=6x out=6 end=done", &l, why, sizeof(why)), -1);
}

/* One refused TCP client of port: connects, and is closed before a byte. */
static void
connect_refused(int port)
{
	char c;
	int fd = h_connect("127.0.0.1", port, 2000);

	if (fd >= 0) {
		assert_true(h_read_all(fd, &c, 1, 3000) <= 0);
		close(fd);
	}
}

/* A datagram to port from a socket bound to 127.0.0.1:from (0: any port). */
static void
send_datagram(int port, int from)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = h_bind_loopback(SOCK_DGRAM, from);

	assert_true(fd >= 0);
	to.sin_addr.s_addr = htonl(0x7f000001);
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(fd);
}

/* A privileged port free on 127.0.0.1 for UDP (root only), or 0. */
static int
free_privileged_udp_port(void)
{
	for (int p = 1023; p > 900 && geteuid() == 0; p--) {
		int fd = h_bind_loopback(SOCK_DGRAM, p);
		if (fd >= 0) {
			close(fd);
			return p;
		}
	}
	return 0;
}

#define EVERY_KIND_SERVICES \
	"services = (\n" \
	"  { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n" \
	"    workers = 2; max_per_source = 1; timeout = 1; },\n" \
	"  { name = \"deny\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n" \
	"    deny = [ \"127.0.0.0/8\" ]; },\n" \
	"  { name = \"udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n" \
	"    workers = 1; udp_rate = 1; udp_burst = 1; },\n" \
	"  { name = \"udp-deny\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n" \
	"    workers = 1; deny = [ \"127.0.0.0/8\" ]; } );\n"

/*
 * Every kind of line the daemon writes to its access log, each read by
 * the one parser: connection ends, a timeout, refusals (allow/deny,
 * max_per_source, UDP allow/deny, udp_rate, reflection), datagrams.
 */
static void
log_access_every_kind_test(void **state)
{
	struct daemon *d = *state;
	int p1 = h_free_port(), p2 = h_free_port(), p3 = h_free_port(), p4 = h_free_port();
	int low = free_privileged_udp_port();
	char want[160], reply[8];
	struct al_line l;
	int held;

	h_write_conf(d, "log = { target = \"stderr\"; level = \"info\"; connections = true; };\n"
	    EVERY_KIND_SERVICES, p1, p2, p3, p4);
	h_start_serving(d, p1);
	/* the probe's connection is over: it must not count against max_per_source */
	if (!al_wait(d, "service=echo peer=127.0.0.1:* in=0 out=0 end=closed", NULL, 5000))
		h_fail_with_log(d, "no end=closed line for the probe's connection");

	/* max_per_source: a second connection while the first is held */
	held = h_connect("127.0.0.1", p1, 2000);
	assert_true(held >= 0);
	assert_true(h_write_all(held, "a", 1));
	assert_int_equal(h_read_all(held, reply, 1, 2000), 1);
	connect_refused(p1);	/* its reset may come before our connect is seen done */
	if (!al_wait(d, "service=echo peer=127.0.0.1:* end=refused reason=per_source", &l, 5000))
		h_fail_with_log(d, "no end=refused reason=per_source line");
	assert_null(al_get(&l, "in"));
	/* the held one says nothing more: end=timeout after its second */
	if (!al_wait(d, "service=echo end=timeout", &l, 10000))
		h_fail_with_log(d, "no end=timeout line");
	assert_string_equal(al_get(&l, "in"), "1");
	close(held);
	assert_true(h_echo("127.0.0.1", p1, "hello", 5, 2000));
	if (!al_wait(d, "service=echo in=5 out=5 end=closed", &l, 5000))
		h_fail_with_log(d, "no end=closed line");
	assert_non_null(al_get(&l, "duration_ms"));

	connect_refused(p2);
	if (!al_wait(d, "service=deny peer=127.0.0.1:* end=refused reason=acl", NULL, 5000))
		h_fail_with_log(d, "no TCP end=refused reason=acl line");

	/* udp_burst 1: the first answered, the next refused for the rate */
	assert_int_equal(h_udp_query("127.0.0.1", p3, "x", 1, reply, sizeof(reply), 2000), 1);
	send_datagram(p3, 0);
	send_datagram(p3, 0);
	if (!al_wait(d, "service=udp in=1 out=1 end=answered", NULL, 5000) ||
	    !al_wait(d, "service=udp peer=127.0.0.1:* end=refused reason=rate", NULL, 5000))
		h_fail_with_log(d, "no UDP end=answered and end=refused reason=rate lines");

	send_datagram(p4, 0);
	if (!al_wait(d, "service=udp-deny peer=127.0.0.1:* end=refused reason=acl", NULL, 5000))
		h_fail_with_log(d, "no UDP end=refused reason=acl line");

	if (low != 0) {
		send_datagram(p3, low);
		snprintf(want, sizeof(want), "service=udp peer=127.0.0.1:%d end=refused reason=reflection", low);
		if (!al_wait(d, want, NULL, 5000))
			h_fail_with_log(d, "no end=refused reason=reflection line");
	} else
		print_message("    not root: no datagram from a privileged port (reason=reflection)\n");
	/* and nothing in the log is prose about a refusal or a timeout */
	assert_true(al_count(d, "service=*") >= 7);
	assert_int_equal(h_stop(d), 0);
}

/*
 * Without the access log, refusals and timeouts are still logged at
 * info, in the same form; ordinary ends are not logged.
 */
static void
log_refusals_without_access_log_test(void **state)
{
	struct daemon *d = *state;
	int p1 = h_free_port(), p2 = h_free_port(), p3 = h_free_port(), p4 = h_free_port();
	char reply[8];
	int held;

	h_write_conf(d, "log = { target = \"stderr\"; level = \"info\"; connections = false; };\n"
	    EVERY_KIND_SERVICES, p1, p2, p3, p4);
	h_start_serving(d, p1);
	connect_refused(p2);
	if (!al_wait(d, "service=deny end=refused reason=acl", NULL, 5000))
		h_fail_with_log(d, "no end=refused reason=acl line at info");
	send_datagram(p4, 0);
	if (!al_wait(d, "service=udp-deny end=refused reason=acl", NULL, 5000))
		h_fail_with_log(d, "no UDP end=refused reason=acl line at info");
	held = h_connect("127.0.0.1", p1, 2000);
	assert_true(held >= 0);
	if (!al_wait(d, "service=echo in=0 out=0 end=timeout", NULL, 10000))
		h_fail_with_log(d, "no end=timeout line at info");
	close(held);
	assert_true(h_echo("127.0.0.1", p1, "hello", 5, 2000));
	assert_int_equal(h_udp_query("127.0.0.1", p3, "x", 1, reply, sizeof(reply), 2000), 1);
	assert_int_equal(h_stop(d), 0);
	assert_int_equal(al_count(d, "end=closed"), 0);
	assert_int_equal(al_count(d, "end=answered"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(log_symlink_refused_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(log_not_regular_refused_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(log_reopen_symlink_refused_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(log_stderr_fifo_never_blocks_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(log_stderr_socket_never_blocks_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test(log_access_format_test),
		cmocka_unit_test_setup_teardown(log_access_every_kind_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(log_refusals_without_access_log_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
