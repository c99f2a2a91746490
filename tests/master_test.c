/* The master and its workers, run for real: supervision, stop, signals, privileges, notify. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "sandbox.h"

static void
echo_conf(struct daemon *d, int port, int workers, const char *extra)
{
	h_write_conf(d, "log = { level = \"debug\"; };\n%s\n"
	    "services = ( { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;\n"
	    "  handler = \"echo\"; workers = %d; } );\n", extra ? extra : "", port, workers);
}

static void
read_status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(out, len, "%s", line + strlen(key));
			out[strcspn(out, "\n")] = '\0';
		}
	fclose(f);
}

/*
 * A worker forked a moment ago may still be shedding what it inherited
 * from the master (its other sockets, root): on a loaded machine the test
 * can look before it is done. Wait for the state it settles in, bounded
 * only to catch a hang; the assertions after it say what is wrong.
 */
static void
wait_status_field(pid_t pid, const char *key, const char *want)
{
	int64_t end = h_now_ms() + h_hang_ms(10000);
	char val[128];

	do {
		read_status_field(pid, key, val, sizeof(val));
		if (strcmp(val, want) == 0)
			return;
		h_sleep_ms(20);
	} while (h_now_ms() < end);
}

static void
wait_sockets(pid_t pid, int n)
{
	int64_t end = h_now_ms() + h_hang_ms(10000);

	while (h_count_fds(pid, "socket:") != n && h_now_ms() < end)
		h_sleep_ms(20);
}

static void
master_serves_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port();
	pid_t kids[16];
	char cmd[256];
	char buf[64];

	h_write_conf(d, "log = { level = \"debug\"; };\n"
	    "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 3; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    port, uport);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 5, 3000));
	assert_true(h_echo("127.0.0.1", port, "hello, world", 12, 2000));
	assert_int_equal(h_udp_query("127.0.0.1", uport, "ping", 4, buf, sizeof(buf), 2000), 4);
	assert_memory_equal(buf, "ping", 4);

	/* titles for ps */
	h_cmdline(d->pid, cmd, sizeof(cmd));
	assert_string_equal(cmd, "netsrvd: master");
	int n = h_children(d->pid, kids, 16), tcp = 0, udp = 0;
	assert_int_equal(n, 5);
	for (int i = 0; i < n; i++) {
		wait_status_field(kids[i], "NoNewPrivs:", "\t1");	/* confined: named, and its filter on */
		if (sandbox_seccomp_supported())
			wait_status_field(kids[i], "Seccomp:", "\t2");
		h_cmdline(kids[i], cmd, sizeof(cmd));
		tcp += strcmp(cmd, "netsrvd: worker echo") == 0;
		udp += strcmp(cmd, "netsrvd: worker echo-udp") == 0;
		/* a worker holds its own socket only: no other listener, no pid file */
		wait_sockets(kids[i], 1);
		if (h_count_fds(kids[i], "socket:") != 1) {
			char ls[128];
			snprintf(ls, sizeof(ls), "ls -l /proc/%ld/fd /proc/%ld/fd >&2", (long)kids[i], (long)getpid());
			if (system(ls) != 0)
				print_error("ls failed\n");
			fail_msg("worker %ld holds more than one socket", (long)kids[i]);
		}
		assert_int_equal(h_count_fds(kids[i], d->dir), 2);	/* stdout and stderr: the test's log */
	}
	assert_int_equal(tcp, 3);
	assert_int_equal(udp, 2);
	/* every worker serves under the seccomp filter (the default) */
	for (int i = 0; i < n && sandbox_seccomp_supported(); i++) {
		char val[32];
		read_status_field(kids[i], "Seccomp:", val, sizeof(val));
		assert_string_equal(val, "\t2");
	}
	/*
	 * Workers that stay root keep no capability, not even in reserve.
	 * Not root, the kernel refuses to empty the bounding set (no
	 * CAP_SETPCAP): no_new_privs is what makes it bound nothing.
	 */
	if (geteuid() != 0)
		print_message("not root: the workers' bounding set stays; no_new_privs checked instead (CI runs this as root)\n");
	for (int i = 0; i < n; i++) {
		static const char *const sets[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:" };
		char val[32];

		for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
			if (geteuid() != 0 && strcmp(sets[k], "CapBnd:") == 0)
				continue;
			read_status_field(kids[i], sets[k], val, sizeof(val));
			if (strcmp(val, "\t0000000000000000") != 0)
				fail_msg("worker %ld: %s%s", (long)kids[i], sets[k], val);
		}
		if (geteuid() != 0) {
			read_status_field(kids[i], "NoNewPrivs:", val, sizeof(val));
			assert_string_equal(val, "\t1");
		}
	}
	/* the master: two listeners, the locked pid file */
	assert_int_equal(h_count_fds(d->pid, "socket:"), 2);
	assert_int_equal(h_count_fds(d->pid, d->pidfile), 1);
	assert_int_equal(h_stop(d), 0);
	assert_int_equal(h_count_zombies(d->pid), 0);
}

static void
master_kill_worker_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	pid_t kids[8], after[8];

	echo_conf(d, port, 3, NULL);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 3, 3000));
	h_sleep_ms(1100);	/* past the start-failure window: this is a crash, not a start failure */
	assert_int_equal(h_children(d->pid, kids, 8), 3);
	assert_int_equal(kill(kids[0], SIGKILL), 0);
	int64_t t0 = h_now_ms();
	bool replaced = false;
	while (!replaced && h_now_ms() - t0 < h_hang_ms(5000)) {
		int n = h_children(d->pid, after, 8);
		replaced = n == 3;
		for (int i = 0; i < n; i++)
			if (after[i] == kids[0])
				replaced = false;	/* still there (zombie) or not yet reaped */
		if (!replaced)
			h_sleep_ms(10);
	}
	assert_true(replaced);
	char want[128];
	snprintf(want, sizeof(want), "worker %ld killed by signal 9", (long)kids[0]);
	assert_true(h_wait_log(d, want, 5000));
	assert_false(h_log_contains(d, "keep dying at start"));
	assert_true(h_echo("127.0.0.1", port, "after", 5, 2000));
	assert_int_equal(h_count_zombies(d->pid), 0);
	assert_int_equal(h_stop(d), 0);
}

/*
 * A worker stopped by SIGSTOP (an exec program of the same user can send
 * it) still looks idle in its line: the master reads its state from /proc,
 * continues it, and when it stays stopped kills and replaces it.
 */
static void
master_stopped_worker_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	pid_t kids[8], after[8];
	char want[128];

	echo_conf(d, port, 1, NULL);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 1, 3000));
	assert_int_equal(h_children(d->pid, kids, 8), 1);
	/* stopped again as soon as it is continued: it makes no progress however told */
	pid_t stopper = fork();
	assert_true(stopper != -1);
	if (stopper == 0) {
		while (kill(kids[0], SIGSTOP) == 0)
			usleep(1000);
		_exit(0);
	}
	int64_t end = h_now_ms() + h_hang_ms(10000);
	bool replaced = false;
	while (!replaced && h_now_ms() < end) {
		int n = h_children(d->pid, after, 8);
		replaced = n == 1 && after[0] != kids[0];
		if (!replaced)
			h_sleep_ms(20);
	}
	kill(stopper, SIGKILL);
	waitpid(stopper, NULL, 0);
	kill(kids[0], SIGKILL);	/* if it is still ours, the test has failed already */
	assert_true(replaced);
	snprintf(want, sizeof(want), "worker %ld is stopped", (long)kids[0]);
	assert_true(h_wait_log(d, want, 5000));
	assert_true(h_echo("127.0.0.1", port, "after", 5, 2000));
	assert_int_equal(h_stop(d), 0);
}

/* A worker stopped once and continued by the master goes on serving: not killed. */
static void
master_stopped_worker_continued_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	pid_t kids[8];
	char want[128];

	echo_conf(d, port, 1, NULL);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 1, 3000));
	assert_int_equal(h_children(d->pid, kids, 8), 1);
	assert_int_equal(kill(kids[0], SIGSTOP), 0);
	snprintf(want, sizeof(want), "worker %ld is stopped", (long)kids[0]);
	assert_true(h_wait_log(d, want, 5000));
	assert_true(h_echo("127.0.0.1", port, "again", 5, 2000));
	assert_true(h_pid_alive(kids[0]));
	assert_int_equal(h_stop(d), 0);
}

/* SIGTERM to one worker: it exits normally and is replaced without a warning. */
static void
master_term_worker_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	pid_t kids[4];

	echo_conf(d, port, 2, NULL);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 2, 3000));
	assert_int_equal(h_children(d->pid, kids, 4), 2);
	kill(kids[0], SIGTERM);
	char want[128];
	snprintf(want, sizeof(want), "worker %ld exited", (long)kids[0]);
	assert_true(h_wait_log(d, want, 2000));
	assert_true(h_wait_children(d->pid, 2, 2000));
	assert_false(h_log_contains(d, "warning"));
	assert_int_equal(h_stop(d), 0);
}

/*
 * Workers that die right after they start, again and again: the master backs
 * off (1 s, 2 s, 4 s ...) instead of forking in a loop.
 */
static void
master_backoff_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	pid_t seen[256];
	int nseen = 0;

	echo_conf(d, port, 1, NULL);
	h_start_serving(d, port);
	/* until the fifth death in a row: 3 quick tries, then +1 s and +2 s */
	int64_t t0 = h_now_ms(), end = t0 + h_hang_ms(30000);
	while (!h_log_contains(d, "(5 in a row); next start in 4 s") &&
	    h_now_ms() < end && nseen < 256) {
		pid_t kids[8];
		int n = h_children(d->pid, kids, 8);
		for (int i = 0; i < n; i++) {
			bool known = false;
			for (int j = 0; j < nseen; j++)
				known |= seen[j] == kids[i];
			if (!known) {
				seen[nseen++] = kids[i];
				kill(kids[i], SIGKILL);
			}
		}
		h_sleep_ms(5);
	}
	int64_t took = h_now_ms() - t0;
	print_message("%d workers forked in %lld ms while each was killed at start\n",
	    nseen, (long long)took);
	assert_true(h_log_contains(d, "service echo: workers keep dying at start (3 in a row); next start in 1 s"));
	assert_true(h_log_contains(d, "(4 in a row); next start in 2 s"));
	assert_true(h_log_contains(d, "(5 in a row); next start in 4 s"));
	/* never a fork storm: the backoff's 1 s and 2 s were waited */
	assert_true(took >= 2900);
	assert_true(nseen >= 5);
	assert_true(nseen <= 8);
	assert_int_equal(h_count_zombies(d->pid), 0);

	/* once workers survive, service resumes */
	h_sleep_ms(100);
	assert_true(h_wait_children(d->pid, 1, 10000));
	assert_true(h_echo("127.0.0.1", port, "alive", 5, 10000));
	assert_int_equal(h_stop(d), 0);
}

static void
master_graceful_stop_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char buf[16];

	echo_conf(d, port, 2, "shutdown_timeout = 10;");
	h_start_serving(d, port);
	int fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "abc", 3));
	assert_int_equal(h_read_all(fd, buf, 3, 2000), 3);

	assert_int_equal(kill(d->pid, SIGTERM), 0);
	assert_true(h_wait_log(d, "graceful stop", 2000));
	h_sleep_ms(300);
	assert_true(h_pid_alive(d->pid));	/* waiting for our client */
	/* but it accepts no one new */
	int fd2 = h_connect("127.0.0.1", port, 500);
	if (fd2 >= 0) {
		ssize_t n = h_read_all(fd2, buf, 1, 1000);
		close(fd2);
		assert_true(n <= 0);
	}
	/* the in-flight client is served to its end */
	assert_true(h_write_all(fd, "def", 3));
	assert_int_equal(h_read_all(fd, buf, 3, 2000), 3);
	assert_memory_equal(buf, "def", 3);
	close(fd);
	int st = h_wait_exit(d->pid, 3000);
	assert_true(st != -1);
	d->pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(access(d->pidfile, F_OK), -1);
	assert_true(h_log_contains(d, "stopped"));
}

static void
master_shutdown_timeout_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();

	echo_conf(d, port, 1, "shutdown_timeout = 1; timeout = 60;");
	h_start_serving(d, port);
	int fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "x", 1));
	h_sleep_ms(100);
	int64_t t0 = h_now_ms();
	kill(d->pid, SIGTERM);
	int st = h_wait_exit(d->pid, 5000);
	int64_t took = h_now_ms() - t0;
	d->pid = 0;
	close(fd);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(took >= 900);
	assert_true(h_log_contains(d, "shutdown_timeout (1 s) reached: killing 1 workers still serving"));
	assert_int_equal(access(d->pidfile, F_OK), -1);
}

static void
master_fast_stop_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	pid_t kids[4];

	echo_conf(d, port, 2, "shutdown_timeout = 30;");
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 2, 2000));
	assert_int_equal(h_children(d->pid, kids, 4), 2);
	int fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "x", 1));
	h_sleep_ms(100);
	kill(d->pid, SIGQUIT);
	int st = h_wait_exit(d->pid, 5000);
	d->pid = 0;
	close(fd);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(h_pid_alive(kids[0]));
	assert_false(h_pid_alive(kids[1]));
	assert_int_equal(access(d->pidfile, F_OK), -1);
}

/* Workers never outlive their master. */
static void
master_sigkill_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	pid_t kids[8];

	echo_conf(d, port, 4, NULL);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 4, 3000));
	int n = h_children(d->pid, kids, 8);
	assert_int_equal(n, 4);
	kill(d->pid, SIGKILL);
	assert_true(h_wait_exit(d->pid, 2000) != -1);
	d->pid = 0;
	int64_t end = h_now_ms() + h_hang_ms(5000);
	for (int i = 0; i < n; i++)
		while (h_pid_alive(kids[i]) && h_now_ms() < end)
			h_sleep_ms(20);
	for (int i = 0; i < n; i++)
		assert_false(h_pid_alive(kids[i]));
	/* the port is free for a restart */
	assert_int_equal(h_connect("127.0.0.1", port, 300), -1);
}

/* Waits until at most `left` of the pids are alive; returns how many are. */
static int
wait_alive_at_most(const pid_t *pids, int n, int left, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);
	int alive;

	do {
		alive = 0;
		for (int i = 0; i < n; i++)
			alive += h_pid_alive(pids[i]);
		if (alive <= left)
			break;
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	return alive;
}

/* Orphans are not the teardown's to find: those still alive, and still our workers, go. */
static void
kill_orphans(const pid_t *pids, int n)
{
	char title[64];

	for (int i = 0; i < n; i++) {
		h_cmdline(pids[i], title, sizeof(title));
		if (h_pid_alive(pids[i]) && strncmp(title, "netsrvd: worker", 15) == 0)
			kill(pids[i], SIGKILL);
	}
}

/*
 * Workers never outlive the master, whatever user they run as: after a
 * kill -9 of the master the idle ones leave at once (TCP and UDP), the
 * busy one finishes its client, and meanwhile a new daemon binds the same
 * ports. As root the workers run as nobody (setuid clears PDEATHSIG).
 */
static void
master_sigkill_orphans_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port();
	pid_t kids[8];
	char buf[8];

	h_write_conf(d, "log = { level = \"debug\"; };\n%s\n"
	    "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 3; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    geteuid() == 0 ? "user = \"nobody\";" : "", port, uport);
	if (geteuid() != 0)
		print_message("not root: workers keep the test's user (CI runs this as root, as nobody)\n");
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 5, 3000));
	int n = h_children(d->pid, kids, 8);
	assert_int_equal(n, 5);
	int client = h_connect("127.0.0.1", port, 2000);
	assert_true(client >= 0);
	assert_true(h_write_all(client, "a", 1));
	assert_int_equal(h_read_all(client, buf, 1, 2000), 1);

	kill(d->pid, SIGKILL);
	assert_true(h_wait_exit(d->pid, 2000) != -1);
	d->pid = 0;
	/* every idle worker goes; only the one serving the client stays */
	int left = wait_alive_at_most(kids, n, 1, 3000);
	if (left != 1) {
		kill_orphans(kids, n);
		fail_msg("%d of %d workers outlived the master", left, n);
	}

	/* a restart binds the same ports while the orphan still serves */
	h_start_serving(d, port);
	assert_true(h_echo("127.0.0.1", port, "new", 3, 2000));
	assert_int_equal(h_udp_query("127.0.0.1", uport, "udp", 3, buf, sizeof(buf), 2000), 3);
	assert_true(h_write_all(client, "b", 1));
	assert_int_equal(h_read_all(client, buf, 1, 2000), 1);
	assert_int_equal(buf[0], 'b');

	/* its client gone, the orphan goes too */
	close(client);
	left = wait_alive_at_most(kids, n, 0, 3000);
	kill_orphans(kids, n);
	assert_int_equal(left, 0);
	assert_int_equal(h_stop(d), 0);
}

/* A terminal's Ctrl-C or hangup reaches the whole group; only the master acts on it. */
static void
master_group_signal_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, sport);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 3, 2000));
	kill(-d->pid, SIGHUP);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 3000), 1);
	assert_true(h_wait_children(d->pid, 3, 3000));
	/* the workers ignored the group's SIGHUP: none died of it */
	assert_int_equal(h_metric(sport, "netsrvd_worker_crashes_total{service=\"echo\"}"), 0);
	assert_int_equal(h_metric(sport, "netsrvd_worker_crashes_total{service=\"status\"}"), 0);
	assert_true(h_echo("127.0.0.1", port, "hup", 3, 2000));
	kill(-d->pid, SIGINT);
	int st = h_wait_exit(d->pid, 5000);
	d->pid = 0;
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(h_log_contains(d, "killed by signal"));
}


static void
master_privilege_drop_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	struct passwd *pw;
	pid_t kids[4];
	char ids[128], want[128];

	if (geteuid() != 0) {
		print_message("skipped: dropping privileges needs root (CI runs this as root)\n");
		skip();
	}
	pw = getpwnam("nobody");
	assert_non_null(pw);
	char empty[200], extra[300], root[256], link[64];
	snprintf(empty, sizeof(empty), "%s/empty", d->dir);
	assert_int_equal(mkdir(empty, 0755), 0);
	snprintf(extra, sizeof(extra), "user = \"nobody\"; chroot = \"%s\";", empty);
	echo_conf(d, port, 2, extra);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 2, 2000));
	assert_true(h_echo("127.0.0.1", port, "dropped", 7, 2000));
	assert_int_equal(h_children(d->pid, kids, 4), 2);
	for (int i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "\t%ld\t%ld\t%ld\t%ld", (long)pw->pw_uid,
		    (long)pw->pw_uid, (long)pw->pw_uid, (long)pw->pw_uid);
		wait_status_field(kids[i], "Uid:", want);
		wait_status_field(kids[i], "NoNewPrivs:", "\t1");
		read_status_field(kids[i], "Uid:", ids, sizeof(ids));
		assert_string_equal(ids, want);
		snprintf(want, sizeof(want), "\t%ld\t%ld\t%ld\t%ld", (long)pw->pw_gid,
		    (long)pw->pw_gid, (long)pw->pw_gid, (long)pw->pw_gid);
		read_status_field(kids[i], "Gid:", ids, sizeof(ids));
		assert_string_equal(ids, want);
		snprintf(want, sizeof(want), "\t%ld ", (long)pw->pw_gid);
		read_status_field(kids[i], "Groups:", ids, sizeof(ids));
		assert_string_equal(ids, want);
		read_status_field(kids[i], "NoNewPrivs:", ids, sizeof(ids));
		assert_string_equal(ids, "\t1");
		/* and jailed in the empty directory */
		snprintf(link, sizeof(link), "/proc/%ld/root", (long)kids[i]);
		ssize_t k = readlink(link, root, sizeof(root) - 1);
		assert_true(k > 0);
		root[k] = '\0';
		assert_string_equal(root, empty);
	}
	/* the master keeps root, so a reload can still bind low ports */
	read_status_field(d->pid, "Uid:", ids, sizeof(ids));
	assert_string_equal(ids, "\t0\t0\t0\t0");
	assert_int_equal(h_stop(d), 0);
}

static void
master_notify_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char path[256], seen[8192] = "";
	int fd = h_notify_open(d, path, sizeof(path));

	echo_conf(d, port, 2, NULL);
	setenv("NOTIFY_SOCKET", path, 1);
	h_start(d, NULL);
	unsetenv("NOTIFY_SOCKET");
	assert_true(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 5000));
	assert_non_null(strstr(seen, "STATUS=serving: 1 services, 2 workers"));
	/* a good reload */
	seen[0] = '\0';
	kill(d->pid, SIGHUP);
	assert_true(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 5000));
	assert_non_null(strstr(seen, "RELOADING=1\nMONOTONIC_USEC="));
	assert_non_null(strstr(seen, "STATUS=reloaded: 1 services, 2 workers"));
	/* a failed one still ends with READY=1, so systemctl reload returns */
	seen[0] = '\0';
	h_write_conf(d, "services = (\n { name = \"echo\"; protocol = \"tcp\"; port = %d; handler = \"ecoh\"; } );\n", port);
	kill(d->pid, SIGHUP);
	assert_true(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 5000));
	assert_non_null(strstr(seen, "RELOADING=1"));
	assert_non_null(strstr(seen, "STATUS=reload failed: "));
	if (strstr(seen, "unknown handler \"ecoh\"") == NULL ||
	    strstr(seen, "still serving the previous configuration") == NULL)
		fail_msg("notifications: %s", seen);
	seen[0] = '\0';
	kill(d->pid, SIGTERM);
	assert_true(h_notify_wait(fd, "STOPPING=1", seen, sizeof(seen), 5000));
	int st = h_wait_exit(d->pid, 5000);
	d->pid = 0;
	close(fd);
	assert_true(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* How many of the master's children have path open. */
static int
children_holding(pid_t master, const char *path)
{
	pid_t kids[16];
	int n = h_children(master, kids, 16), holding = 0;

	for (int i = 0; i < n; i++)
		holding += h_count_fds(kids[i], path) > 0;
	return holding;
}

/* Log rotation: after a rename and SIGUSR1, master and workers write to the new file. */
static void
master_reopen_log_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char logpath[300], rotated[320], cmd[700];

	snprintf(logpath, sizeof(logpath), "%s/netsrvd.log", d->dir);
	snprintf(rotated, sizeof(rotated), "%s.1", logpath);
	h_write_conf(d, "log = { target = \"%s\"; connections = true; };\n"
	    "services = ( { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    logpath, port);
	h_start_serving(d, port);
	assert_true(h_echo("127.0.0.1", port, "one", 3, 2000));
	assert_int_equal(rename(logpath, rotated), 0);
	kill(d->pid, SIGUSR1);
	int64_t end = h_now_ms() + h_hang_ms(5000);
	while (access(logpath, F_OK) != 0 && h_now_ms() < end)
		h_sleep_ms(20);
	assert_int_equal(access(logpath, F_OK), 0);
	/* the workers are rolled: the new ones write to the new file */
	while (children_holding(d->pid, rotated) > 0 && h_now_ms() < end)
		h_sleep_ms(20);
	assert_int_equal(children_holding(d->pid, rotated), 0);
	assert_true(h_echo("127.0.0.1", port, "two", 3, 2000));
	/* the access line of the second connection is in the new file */
	snprintf(cmd, sizeof(cmd), "grep -q 'service=echo .* in=3 out=3' '%s' && grep -q 'reopening log' '%s'",
	    logpath, rotated);
	end = h_now_ms() + h_hang_ms(5000);
	while (system(cmd) != 0 && h_now_ms() < end)
		h_sleep_ms(20);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "test $(grep -c 'service=echo .* in=3 out=3' '%s') -eq 1", rotated);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(h_stop(d), 0);
}

/* seccomp = false leaves workers unfiltered; the default filter still lets every handler serve (service_test). */
static void
master_seccomp_off_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	pid_t kids[4];
	char val[32];

	echo_conf(d, port, 1, "seccomp = false;");
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 1, 2000));
	assert_int_equal(h_children(d->pid, kids, 4), 1);
	read_status_field(kids[0], "Seccomp:", val, sizeof(val));
	assert_string_equal(val, "\t0");
	assert_int_equal(h_stop(d), 0);
}

/*
 * A worker its filter stops says which call did it: the master's log names
 * the call (a preloaded accept4() makes a worker call uname(2)).
 */
static void
master_seccomp_names_refused_call_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	const char *so = getenv("FORBIDDEN_CALL_SO");
	char want[96];

	if (!sandbox_seccomp_supported()) {
		print_message("skipped: no worker filter in this build or under valgrind\n");
		skip();
	}
	assert_non_null(so);
	echo_conf(d, port, 1, NULL);
	assert_int_equal(setenv("LD_PRELOAD", so, 1), 0);
	h_start(d, NULL);
	assert_int_equal(unsetenv("LD_PRELOAD"), 0);
	snprintf(want, sizeof(want), "killed by signal %d (%s): its seccomp filter refused system call %d (uname)",
	    SIGSYS, strsignal(SIGSYS), SYS_uname);
	if (!h_wait_log(d, want, 5000))
		h_fail_with_log(d, "the master did not name the refused call");
	assert_int_equal(h_stop(d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(master_serves_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_seccomp_off_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_seccomp_names_refused_call_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_kill_worker_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_stopped_worker_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_stopped_worker_continued_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_term_worker_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_backoff_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_graceful_stop_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_shutdown_timeout_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_fast_stop_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_sigkill_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_sigkill_orphans_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_group_signal_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_privilege_drop_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_notify_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(master_reopen_log_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("master", tests, NULL, NULL);
}
