/* systemd-native lifecycle, run for real: socket activation, the watchdog, and the in-place binary upgrade (SIGUSR2). */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
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

#include "harness.h"

static int
bound_socket(int type, int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static unsigned long
inode_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (unsigned long)st.st_ino;
}

/* Does the master hold a socket with this inode? */
static bool
master_holds(pid_t pid, unsigned long ino)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "ls -l /proc/%ld/fd | grep -q 'socket:\\[%lu\\]'", (long)pid, ino);
	return system(cmd) == 0;
}

/*
 * What systemd does for socket activation: bind the sockets, put them at
 * fd 3.., set LISTEN_PID to the pid that will exec the daemon, exec it.
 */
static void
system_socket_activation_test(void **state)
{
	struct daemon *d = *state;
	int tport = h_free_port(), uport = h_free_port(), spare = h_free_port();
	int t = bound_socket(SOCK_STREAM, tport), u = bound_socket(SOCK_DGRAM, uport);
	int x = bound_socket(SOCK_STREAM, spare);
	unsigned long tino = inode_of(t), uino = inode_of(u);
	char buf[16];

	h_write_conf(d, "udp_rate = 0;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    tport, uport);
	pid_t pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		char n[32];
		int log = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (log == -1 || dup2(log, 2) == -1 || dup2(t, 3) == -1 || dup2(u, 4) == -1 ||
		    dup2(x, 5) == -1)
			_exit(127);
		snprintf(n, sizeof(n), "%ld", (long)getpid());
		setenv("LISTEN_PID", n, 1);
		setenv("LISTEN_FDS", "3", 1);
		setenv("LISTEN_FDNAMES", "echo:echo-udp:spare", 1);
		execl(h_netsrvd(), h_netsrvd(), "-f", "-c", d->conf, "-p", d->pidfile, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	close(t);
	close(u);
	close(x);
	if (!h_wait_log(d, "started:", 5000))
		h_fail_with_log(d, "not started");
	assert_true(h_echo("127.0.0.1", tport, "activated", 9, 2000));
	assert_int_equal(h_udp_query("127.0.0.1", uport, "dgram", 5, buf, sizeof(buf), 2000), 5);
	/* the very sockets we passed, not new ones */
	assert_true(master_holds(d->pid, tino));
	assert_true(master_holds(d->pid, uino));
	assert_true(h_log_contains(d, "adopted from systemd"));
	char want[100];
	snprintf(want, sizeof(want), "socket tcp 127.0.0.1:%d passed by systemd matches no service", spare);
	assert_true(h_log_contains(d, want));
	assert_int_equal(h_connect("127.0.0.1", spare, 300), -1);
	assert_int_equal(h_stop(d), 0);
}

/* The same through systemd's own tool, when it is installed. */
static void
system_socket_activate_tool_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char listen[64];

	if (access("/usr/bin/systemd-socket-activate", X_OK) != 0) {
		if (getenv("CI") != NULL)
			fail_msg("systemd-socket-activate is missing (package systemd)");
		print_message("skipped: systemd-socket-activate is not installed\n");
		skip();
	}
	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    port);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	pid_t pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int log = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (log == -1 || dup2(log, 2) == -1 || dup2(log, 1) == -1)
			_exit(127);
		execl("/usr/bin/systemd-socket-activate", "systemd-socket-activate", "-l", listen,
		    h_netsrvd(), "-f", "-c", d->conf, "-p", d->pidfile, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	/* it binds, then runs the daemon on the first connection */
	assert_int_equal(h_wait_port("127.0.0.1", port, 5000), 0);
	assert_true(h_echo("127.0.0.1", port, "via the tool", 12, 5000));
	assert_true(h_wait_log(d, "adopted from systemd", 3000));
	assert_true(h_echo("127.0.0.1", port, "again", 5, 2000));
	assert_int_equal(h_stop(d), 0);
}

/* Starts a one-worker echo with a watchdog of usec (for pid, when not NULL); returns at READY=1. */
static void
start_watched(struct daemon *d, int fd, const char *usec, const char *pid)
{
	char seen[8192] = "";

	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    h_free_port());
	setenv("WATCHDOG_USEC", usec, 1);
	if (pid != NULL)
		setenv("WATCHDOG_PID", pid, 1);
	h_start(d, NULL);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_true(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 5000));
}

static void
system_watchdog_test(void **state)
{
	struct daemon *d = *state;
	char path[256], seen[8192] = "";
	int fd = h_notify_open(d, path, sizeof(path));

	setenv("NOTIFY_SOCKET", path, 1);
	start_watched(d, fd, "200000", NULL);
	/* every 100 ms, each a datagram of its own: 5 of them, and never a storm */
	int64_t t0 = h_now_ms();
	for (int n = 0; n < 5; n++) {
		seen[0] = '\0';
		if (!h_notify_wait(fd, "WATCHDOG=1", seen, sizeof(seen), 5000))
			h_fail_with_log(d, "the watchdog pings stopped");
	}
	int64_t took = h_now_ms() - t0;
	print_message("5 WATCHDOG=1 in %lld ms at WATCHDOG_USEC=200000\n", (long long)took);
	/* the first may come at once; four intervals of 100 ms follow */
	assert_true(took >= 300);
	assert_int_equal(h_stop(d), 0);
	close(fd);
}

/* WATCHDOG_PID names someone else: not our business. */
static void
system_watchdog_other_pid_test(void **state)
{
	struct daemon *d = *state;
	char path[256], seen[8192] = "";
	int fd = h_notify_open(d, path, sizeof(path));

	setenv("NOTIFY_SOCKET", path, 1);
	start_watched(d, fd, "100000", "1");
	assert_false(h_notify_wait(fd, "WATCHDOG=1", seen, sizeof(seen), 400));
	assert_int_equal(h_stop(d), 0);
	close(fd);
}

/* Starts d under start-gate.so (tests/start_gate.c) in mode, with NOTIFY_SOCKET at path. */
static void
start_gated(struct daemon *d, const char *path, const char *mode)
{
	const char *so = getenv("START_GATE_SO");

#ifdef NETSRVD_SANITIZERS
	/* the shim has no sanitizer runtime, and ASan refuses to follow a preload that comes first */
	print_message("skipped: start-gate.so cannot be preloaded into the sanitizer build\n");
	skip();
#endif
	assert_non_null(so);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(setenv("NETSRVD_TEST_START", mode, 1), 0);
	assert_int_equal(setenv("LD_PRELOAD", so, 1), 0);
	h_start(d, NULL);
	unsetenv("LD_PRELOAD");
	unsetenv("NETSRVD_TEST_START");
	unsetenv("NOTIFY_SOCKET");
}

/*
 * READY=1 means served: while the workers are held in their setup (at a
 * gate the test opens), no READY=1; once they are through, READY=1, and a
 * client is served.
 */
static void
system_ready_waits_for_workers_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char path[256], gate[300], mode[320], seen[8192] = "";
	int fd = h_notify_open(d, path, sizeof(path));

	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    port);
	snprintf(gate, sizeof(gate), "%s/gate", d->dir);
	snprintf(mode, sizeof(mode), "gate:%s", gate);
	start_gated(d, path, mode);
	if (!h_wait_log(d, "started:", 5000))
		h_fail_with_log(d, "not started");
	assert_false(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 1000));
	h_write_file(gate, "open\n");
	seen[0] = '\0';
	if (!h_notify_wait(fd, "READY=1", seen, sizeof(seen), 10000))
		h_fail_with_log(d, "no READY=1 once the workers serve");
	assert_non_null(strstr(seen, "STATUS=serving"));
	assert_true(h_echo("127.0.0.1", port, "ready", 5, 5000));
	assert_int_equal(h_stop(d), 0);
	close(fd);
}

/*
 * Workers that all die at start (their setup fails): no READY=1 ever, and
 * STATUS= says why, while the master backs off and retries.
 */
static void
system_no_ready_when_workers_fail_test(void **state)
{
	struct daemon *d = *state;
	char path[256], seen[8192] = "";
	int fd = h_notify_open(d, path, sizeof(path));

	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"daytime\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"daytime\"; workers = 1; } );\n",
	    h_free_port(), h_free_port());
	start_gated(d, path, "fail");
	/* both services back off; then the next probe (after 1 s) fails the same way */
	if (!h_wait_log_count(d, "workers keep dying at start (3 in a row)", 2, 10000) ||
	    !h_wait_log(d, "(4 in a row); next start in 2 s", 10000))
		h_fail_with_log(d, "the workers did not fail at start");
	assert_false(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 500));
	assert_non_null(strstr(seen, "STATUS=not ready: the workers of every service fail at start (echo, daytime)"));
	assert_true(h_log_contains(d, "not ready: the workers of every service fail at start (echo, daytime); retrying"));
	assert_true(h_pid_alive(d->pid));
	assert_int_equal(h_stop(d), 0);
	close(fd);
}

static void
copy_file(const char *from, const char *to)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.new' && chmod 755 '%s.new' && mv '%s.new' '%s'",
	    from, to, to, to, to);
	assert_int_equal(system(cmd), 0);
}

/*
 * Starts the daemon (its config written) from a copy of its binary in d's
 * directory, path into bin: the file a test replaces, as a package
 * upgrade would.
 */
static void
start_from_copy(struct daemon *d, int port, char *bin, size_t len)
{
	char *orig = strdup(h_netsrvd());

	assert_non_null(orig);
	snprintf(bin, len, "%s/netsrvd", d->dir);
	copy_file(orig, bin);
	setenv("NETSRVD", bin, 1);
	h_start_serving(d, port);
	setenv("NETSRVD", orig, 1);
	free(orig);
}

/* echo over TCP (2 workers) and UDP (1), hammered from one address: no per-source budget */
static void
write_echo_pair(struct daemon *d, int port, int uport)
{
	h_write_conf(d, "udp_rate = 0;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port, uport);
}

static void
version_of_running_image(pid_t pid, char *out, size_t len)
{
	char exe[64];
	const char *argv[] = { exe, "-V", NULL };

	snprintf(exe, sizeof(exe), "/proc/%ld/exe", (long)pid);
	assert_int_equal(h_run(argv, out, len, 5000), 0);
	out[strcspn(out, "\n")] = '\0';
}

/*
 * SIGUSR2 under load: the binary on disk is replaced by one reporting
 * another version; the master execs it in place. Same pid, new version,
 * no failed client, no old worker left.
 */
static void
system_upgrade_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port();
	char bin[200], version[128], path[256], seen[8192] = "";
	const char *next = getenv("NETSRVD_NEXT");
	struct hammer hm;
	struct tally t;
	pid_t before[16];
	int fd = h_notify_open(d, path, sizeof(path));

	if (next == NULL)
		next = "./netsrvd-next";
	write_echo_pair(d, port, uport);
	setenv("NOTIFY_SOCKET", path, 1);
	start_from_copy(d, port, bin, sizeof(bin));
	unsetenv("NOTIFY_SOCKET");
	assert_true(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 5000));
	version_of_running_image(d->pid, version, sizeof(version));
	assert_string_equal(version, "netsrvd " PACKAGE_VERSION);
	assert_true(h_wait_children(d->pid, 3, 3000));
	int nb = h_children(d->pid, before, 16);

	h_hammer_start(&hm, 3, port, uport, 600);	/* until stopped */
	h_sleep_ms(500);
	copy_file(next, bin);
	int64_t t0 = h_now_ms();
	pid_t pid = d->pid;
	kill(d->pid, SIGUSR2);
	seen[0] = '\0';
	assert_true(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 10000));
	print_message("SIGUSR2 to READY=1 of the new binary: %lld ms\n", (long long)(h_now_ms() - t0));
	assert_non_null(strstr(seen, "RELOADING=1"));
	h_hammer_stop(&hm);
	h_hammer_finish(&hm, &t);
	print_message("upgrade under load: %ld TCP echoes ok, %ld failed; %ld UDP ok, %ld lost\n",
	    t.ok, t.failed, t.udp_ok, t.udp_lost);
	assert_int_equal(t.failed, 0);
	assert_int_equal(t.udp_lost, 0);
	assert_true(t.ok > 100);
	/* the same process, now the new image */
	assert_int_equal(d->pid, pid);
	assert_true(h_pid_alive(pid));
	version_of_running_image(d->pid, version, sizeof(version));
	assert_string_equal(version, "netsrvd " PACKAGE_VERSION "-next");
	assert_true(h_log_contains(d, "upgraded in place to netsrvd " PACKAGE_VERSION "-next"));
	/* no worker from before is left, and the pool is whole */
	assert_true(h_wait_children(d->pid, 3, 5000));
	pid_t after[16];
	int na = h_children(d->pid, after, 16);
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			assert_true(after[i] != before[j]);
	FILE *f = fopen(d->pidfile, "r");
	long filepid = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &filepid), 1);
	fclose(f);
	assert_int_equal(filepid, pid);
	assert_int_equal(h_count_zombies(d->pid), 0);
	assert_int_equal(h_stop(d), 0);
	assert_int_equal(access(d->pidfile, F_OK), -1);
	close(fd);
}

/* A binary that fails -t is not exec'd; one that cannot be exec'd leaves the old running. */
static void
system_upgrade_refused_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char bin[200], version[128];

	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port);
	start_from_copy(d, port, bin, sizeof(bin));
	/* a "binary" that says the config is bad (replacing a running file: a rename) */
	char fake[220];
	snprintf(fake, sizeof(fake), "%s.fake", bin);
	h_write_file(fake, "#!/bin/sh\necho 'netsrvd: the new build rejects this file' >&2\nexit 78\n");
	assert_int_equal(chmod(fake, 0755), 0);
	assert_int_equal(rename(fake, bin), 0);
	kill(d->pid, SIGUSR2);
	assert_true(h_wait_log(d, "upgrade refused", 5000));
	assert_true(h_log_contains(d, "the new build rejects this file"));
	assert_true(h_echo("127.0.0.1", port, "old", 3, 2000));
	version_of_running_image(d->pid, version, sizeof(version));
	assert_string_equal(version, "netsrvd " PACKAGE_VERSION);
	/* gone altogether */
	unlink(bin);
	kill(d->pid, SIGUSR2);
	assert_true(h_wait_log_count(d, "upgrade refused", 2, 5000));
	assert_true(h_echo("127.0.0.1", port, "still", 5, 2000));
	assert_int_equal(h_stop(d), 0);
}

/*
 * The worker list an upgrade passes is only believed for our own
 * children: a forged entry naming another process is neither signalled
 * nor waited for, so it neither dies nor blocks the stop.
 */
static void
system_upgrade_foreign_pid_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char list[64];
	pid_t bystander = fork();

	assert_true(bystander != -1);
	if (bystander == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port);
	snprintf(list, sizeof(list), "%ld echo", (long)bystander);
	setenv("NETSRVD_LISTEN_FDS", "", 1);
	setenv("NETSRVD_WORKERS", list, 1);
	h_start_serving(d, port);
	unsetenv("NETSRVD_LISTEN_FDS");
	unsetenv("NETSRVD_WORKERS");
	assert_true(h_wait_log(d, "is not our child; ignoring it", 3000));
	assert_true(h_echo("127.0.0.1", port, "hi", 2, 2000));
	bool alive = h_pid_alive(bystander);
	int rc = h_stop(d);
	kill(bystander, SIGKILL);
	waitpid(bystander, NULL, 0);
	assert_true(alive);
	assert_int_equal(rc, 0);
}

static long
pid_in_file(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

/*
 * A new binary that passes -t and then dies at start loses nothing: the
 * old master's guard keeps the sockets and runs the previous binary
 * again, which takes over the pid file and serves. Under load: no client
 * fails.
 */
static void
system_upgrade_failed_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port();
	char bin[200], fake[220], script[1024];
	struct hammer hm;
	struct tally t;

	write_echo_pair(d, port, uport);
	start_from_copy(d, port, bin, sizeof(bin));
	/* passes -t with the real binary, then fails as a broken build would */
	snprintf(script, sizeof(script), "#!/bin/sh\nfor a; do [ \"$a\" = -t ] && exec '%s' \"$@\"; done\n"
	    "echo 'netsrvd: this build fails at start' >&2\nexit 1\n", h_netsrvd());
	snprintf(fake, sizeof(fake), "%s.fake", bin);
	h_write_file(fake, script);
	assert_int_equal(chmod(fake, 0755), 0);
	assert_int_equal(rename(fake, bin), 0);
	pid_t old = d->pid;

	h_hammer_start(&hm, 3, port, uport, 600);	/* until stopped */
	h_sleep_ms(500);
	kill(old, SIGUSR2);
	int st = h_wait_exit(old, 10000);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	if (!h_wait_log(d, "running netsrvd " PACKAGE_VERSION " again after a failed upgrade", 10000))
		h_fail_with_log(d, "the previous binary did not take over");
	assert_true(h_log_contains(d, "upgrade failed: the new image"));
	int64_t end = h_now_ms() + h_hang_ms(5000);
	long now_pid;
	while ((now_pid = pid_in_file(d->pidfile)) == (long)old && h_now_ms() < end)
		h_sleep_ms(20);
	assert_true(now_pid > 0 && now_pid != (long)old);
	d->pid = (pid_t)now_pid;	/* not our child: the teardown kills it by pid */
	assert_true(h_pid_alive(d->pid));
	h_hammer_stop(&hm);
	h_hammer_finish(&hm, &t);
	print_message("failed upgrade under load: %ld TCP echoes ok, %ld failed; %ld UDP ok, %ld lost\n",
	    t.ok, t.failed, t.udp_ok, t.udp_lost);
	assert_int_equal(t.failed, 0);
	assert_true(t.ok > 0);
	assert_true(h_echo("127.0.0.1", port, "back", 4, 2000));
	/* a graceful stop of the master that took over */
	assert_int_equal(kill(d->pid, SIGTERM), 0);
	end = h_now_ms() + h_hang_ms(10000);
	while (h_pid_alive(d->pid) && h_now_ms() < end)
		h_sleep_ms(20);
	assert_false(h_pid_alive(d->pid));
	d->pid = 0;
	assert_int_equal(access(d->pidfile, F_OK), -1);
}

/* Writes text on fd and reads it back within a bound that only catches a hang. */
static bool
echo_on(int fd, const char *text)
{
	size_t n = strlen(text), got = 0;
	char buf[256];
	int64_t end = h_now_ms() + h_hang_ms(3000);

	if (!h_write_all(fd, text, n))
		return false;
	while (got < n && h_now_ms() < end) {
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return got == n && memcmp(buf, text, n) == 0;
}

/*
 * An exec program's session across SIGUSR2 is treated as a reload treats
 * it: not cut at shutdown_timeout, but ended by its max_runtime (and the
 * SIGTERM's grace), as the worker list handed over says.
 */
static void
system_upgrade_keeps_exec_sessions_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	const char *next = getenv("NETSRVD_NEXT");
	char bin[200], rest[64];
	int fd;

	if (next == NULL)
		next = "./netsrvd-next";
	h_write_conf(d, "shutdown_timeout = 1;\nlog = { connections = true; level = \"info\"; };\n"
	    "services = ( { name = \"cat\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;\n"
	    "   handler = \"exec\"; workers = 1; max_runtime = 6; command = [ \"/bin/cat\" ]; } );\n", port);
	start_from_copy(d, port, bin, sizeof(bin));
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(echo_on(fd, "before\n"));
	copy_file(next, bin);
	assert_int_equal(kill(d->pid, SIGUSR2), 0);
	if (!h_wait_log(d, "upgraded in place to netsrvd", 10000))
		h_fail_with_log(d, "the upgrade did not happen");
	h_sleep_ms(2500);	/* past shutdown_timeout: a stop would have ended it */
	if (!echo_on(fd, "after\n"))
		h_fail_with_log(d, "the session did not survive the upgrade");
	/* the new image serves meanwhile */
	assert_true(h_echo("127.0.0.1", port, "new\n", 4, 3000));
	/* and max_runtime still ends it: the connection closes */
	assert_true(h_read_all(fd, rest, sizeof(rest), 15000) >= 0);
	close(fd);
	assert_true(h_wait_log(d, "max_runtime reached", 5000));
	assert_false(h_log_contains(d, "after it was told to stop (shutdown_timeout); killing it"));
	assert_int_equal(h_stop(d), 0);
}

/*
 * After a failed upgrade is rolled back, the old image's exec workers are
 * the recovered master's like any other: its stop ends their programs.
 */
static void
system_upgrade_failed_stop_ends_programs_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), xport = h_free_port();
	char bin[200], fake[220], script[1024], pidfile[256], probe[512];
	const char *b = getenv("TOP_BUILDDIR");
	long pids[3] = { 0, 0, 0 };
	int fd;

	snprintf(probe, sizeof(probe), "%s/tests/exec-probe", b != NULL ? b : ".");
	snprintf(pidfile, sizeof(pidfile), "%s/hang.pids", d->dir);
	h_write_conf(d, "shutdown_timeout = 1;\nlog = { level = \"info\"; };\n"
	    "services = ( { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"hang\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;\n"
	    "   handler = \"exec\"; workers = 1; command = [ \"%s\", \"hang\", \"%s\" ]; } );\n",
	    port, xport, probe, pidfile);
	start_from_copy(d, port, bin, sizeof(bin));
	fd = h_connect("127.0.0.1", xport, 2000);
	assert_true(fd >= 0);
	h_read_probe_pids(d, pidfile, pids);
	/* passes -t with the real binary, then fails as a broken build would */
	snprintf(script, sizeof(script), "#!/bin/sh\nfor a; do [ \"$a\" = -t ] && exec '%s' \"$@\"; done\n"
	    "echo 'netsrvd: this build fails at start' >&2\nexit 1\n", h_netsrvd());
	snprintf(fake, sizeof(fake), "%s.fake", bin);
	h_write_file(fake, script);
	assert_int_equal(chmod(fake, 0755), 0);
	assert_int_equal(rename(fake, bin), 0);
	pid_t old = d->pid;
	assert_int_equal(kill(old, SIGUSR2), 0);
	int st = h_wait_exit(old, 10000);
	assert_true(st != -1 && WIFEXITED(st));
	if (!h_wait_log(d, "again after a failed upgrade", 10000))
		h_fail_with_log(d, "the previous binary did not take over");
	int64_t end = h_now_ms() + h_hang_ms(5000);
	long now_pid;
	while ((now_pid = pid_in_file(d->pidfile)) == (long)old && h_now_ms() < end)
		h_sleep_ms(20);
	assert_true(now_pid > 0 && now_pid != (long)old);
	d->pid = (pid_t)now_pid;	/* not our child: the teardown kills it by pid */
	assert_true(h_echo("127.0.0.1", port, "back", 4, 2000));
	/* the program from before the upgrade is still serving its client */
	assert_true(h_pid_alive((pid_t)pids[0]));
	assert_int_equal(kill(d->pid, SIGTERM), 0);
	end = h_now_ms() + h_hang_ms(10000);
	while (h_pid_alive(d->pid) && h_now_ms() < end)
		h_sleep_ms(20);
	assert_false(h_pid_alive(d->pid));
	d->pid = 0;
	bool gone = h_wait_gone((pid_t)pids[0], 3000) && h_wait_gone((pid_t)pids[1], 3000);
	for (int i = 0; i < 3; i++)
		if (pids[i] > 1 && h_pid_alive((pid_t)pids[i]))
			kill((pid_t)pids[i], SIGKILL);
	close(fd);
	if (!gone)
		h_fail_with_log(d, "a program from before the failed upgrade outlived the stop");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(system_socket_activation_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_socket_activate_tool_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_ready_waits_for_workers_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_no_ready_when_workers_fail_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_watchdog_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_watchdog_other_pid_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_upgrade_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_upgrade_refused_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_upgrade_failed_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_upgrade_keeps_exec_sessions_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_upgrade_failed_stop_ends_programs_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(system_upgrade_foreign_pid_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("systemd", tests, NULL, NULL);
}
