/* Unit tests of exec_spawn driven directly: real programs on a socketpair, what they got read from /proc. */
#include "autoconfig.h"

#include <errno.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "exec_spawn.h"
#include "harness.h"

/* What each case starts from: the client's socket and the program's end of it. */
struct fx {
	int client;		/* the test's end */
	int io;			/* the program's stdin and stdout */
	struct exec_prep prep;
	bool prepared;
	struct exec_child c;
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->client = sv[0];
	f->io = sv[1];
	f->c.pid = -1;
	f->c.pidfd = f->c.err_fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/exec_spawn_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* a hang in a start or a wait fails the test instead of the whole run */
	alarm((unsigned)(h_hang_ms(60000) / 1000));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	alarm(0);
	if (f->c.pid > 0) {
		(void)kill(-f->c.pid, SIGKILL);
		(void)waitpid(f->c.pid, NULL, 0);
	}
	if (f->c.err_fd >= 0)
		close(f->c.err_fd);
	if (f->c.pidfd >= 0)
		close(f->c.pidfd);
	if (f->client >= 0)
		close(f->client);
	if (f->io >= 0)
		close(f->io);
	if (f->prepared)
		exec_prep_free(&f->prep);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static void
prepare(struct fx *f, char **argv, char **env, size_t nenv, char **passenv, size_t npass, bool udp)
{
	struct config_strv e = { env, nenv }, p = { passenv, npass };

	assert_int_equal(exec_prepare(&f->prep, argv, &e, &p, udp), 0);
	f->prepared = true;
}

static void
start(struct fx *f)
{
	char why[256] = "";

	if (exec_start(&f->prep, f->io, &f->c, why, sizeof(why)) == -1)
		fail_msg("exec_start: %s", why);
	assert_true(f->c.pid > 0);
	assert_true(f->c.err_fd >= 0);
}

/* Everything the program wrote to its stdout, once it exits; reaps it and returns its status. */
static int
finish(struct fx *f, char *out, size_t len)
{
	int status = -1;
	ssize_t n;

	/* the program's end is the program's alone now: EOF reaches us when it exits */
	close(f->io);
	f->io = -1;
	n = h_read_all(f->client, out, len - 1, 20000);
	assert_true(n >= 0);
	out[n] = '\0';
	assert_int_equal(waitpid(f->c.pid, &status, 0), f->c.pid);
	f->c.pid = -1;
	close(f->c.err_fd);
	f->c.err_fd = -1;
	if (f->c.pidfd >= 0)
		close(f->c.pidfd);
	f->c.pidfd = -1;
	return status;
}

static void
assert_exited(int status, int code)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
		fail_msg("status %#x, not exit %d", status, code);
}

/* What /proc/pid/fd/N points at ("socket:[123]"), or "" if it is not open. */
static void
fd_target(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* The descriptor numbers open in pid, as " 0 1 2". */
static void
fd_list(pid_t pid, char *buf, size_t len)
{
	char path[64];
	struct dirent *de;
	int nums[64], n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	assert_non_null(dir = opendir(path));
	while ((de = readdir(dir)) != NULL && n < 64)
		if (de->d_name[0] != '.')
			nums[n++] = atoi(de->d_name);
	closedir(dir);
	/* readdir's order is the kernel's; sort for the comparison */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && nums[j - 1] > nums[j]; j--) {
			int t = nums[j];
			nums[j] = nums[j - 1];
			nums[j - 1] = t;
		}
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), " %d", nums[i]);
}

/* The line of /proc/pid/FILE that starts with key, without the key; "" if none. */
static void
proc_line(pid_t pid, const char *file, const char *key, char *buf, size_t len)
{
	char path[64], line[512];
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	buf[0] = '\0';
	assert_non_null(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(buf, len, "%s", line + strlen(key));
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	fclose(fp);
}

static struct sockaddr_in
sin4(const char *addr, unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	return sa;
}

static struct sockaddr_in6
sin6(const char *addr, unsigned short port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET6, addr, &sa.sin6_addr), 1);
	return sa;
}

/* ---- what the program gets ------------------------------------------------ */

static char *env_argv[] = { "/usr/bin/env", NULL };

/* env entries, then passenv from ours (env wins, unset names are left out), PATH, PROTO, the peer. */
static void
exec_spawn_environment_test(void **state)
{
	struct fx *f = *state;
	char *env[] = { "GREETING=hello world", "HOME=/nonexistent" };
	char *pass[] = { "NETSRVD_T_PASSED", "NETSRVD_T_UNSET", "GREETING" };
	struct sockaddr_in remote = sin4("192.0.2.7", 5555);
	struct sockaddr_in6 local = sin6("::ffff:127.0.0.1", 7);
	char out[4096];

	setenv("NETSRVD_T_PASSED", "from the test", 1);
	unsetenv("NETSRVD_T_UNSET");
	setenv("GREETING", "from our environment", 1);
	setenv("NETSRVD_T_SECRET", "must not leak", 1);
	prepare(f, env_argv, env, 2, pass, 3, false);
	exec_set_peer(&f->prep, (struct sockaddr *)&remote, (struct sockaddr *)&local);
	start(f);
	assert_exited(finish(f, out, sizeof(out)), 0);
	/* all of it, in this order: an IPv4 client of a dual-stack socket shown as IPv4 */
	assert_string_equal(out,
	    "GREETING=hello world\n"
	    "HOME=/nonexistent\n"
	    "NETSRVD_T_PASSED=from the test\n"
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "PROTO=TCP\n"
	    "TCPREMOTEIP=192.0.2.7\n"
	    "TCPREMOTEPORT=5555\n"
	    "TCPLOCALIP=127.0.0.1\n"
	    "TCPLOCALPORT=7\n"
	    "REMOTE_ADDR=192.0.2.7\n"
	    "REMOTE_PORT=5555\n"
	    "REMOTE_HOST=192.0.2.7\n");
	unsetenv("NETSRVD_T_PASSED");
	unsetenv("GREETING");
	unsetenv("NETSRVD_T_SECRET");
}

/* The next start's peer replaces the last one's; without a local address no TCPLOCAL*; cleared: none. */
static void
exec_spawn_peer_replaced_and_cleared_test(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in remote4 = sin4("192.0.2.7", 5555);
	struct sockaddr_in local4 = sin4("127.0.0.1", 7);
	struct sockaddr_in6 remote6 = sin6("2001:db8::1", 42);
	int sv[2];
	char out[4096];

	prepare(f, env_argv, NULL, 0, NULL, 0, false);
	exec_set_peer(&f->prep, (struct sockaddr *)&remote4, (struct sockaddr *)&local4);
	exec_clear_peer(&f->prep);
	exec_set_peer(&f->prep, (struct sockaddr *)&remote6, NULL);
	start(f);
	assert_exited(finish(f, out, sizeof(out)), 0);
	assert_string_equal(out,
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "PROTO=TCP\n"
	    "TCPREMOTEIP=2001:db8::1\n"
	    "TCPREMOTEPORT=42\n"
	    "REMOTE_ADDR=2001:db8::1\n"
	    "REMOTE_PORT=42\n"
	    "REMOTE_HOST=2001:db8::1\n");

	/* the same preparation, the peer cleared (a UDP wait): the fixed part alone */
	exec_clear_peer(&f->prep);
	close(f->client);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->client = sv[0];
	f->io = sv[1];
	start(f);
	assert_exited(finish(f, out, sizeof(out)), 0);
	assert_string_equal(out,
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "PROTO=TCP\n");
}

/* UDP says so; a PATH the service sets (here through passenv) is the only PATH. */
static void
exec_spawn_udp_own_path_test(void **state)
{
	struct fx *f = *state;
	char *pass[] = { "PATH" };
	char *path = getenv("PATH");
	char out[8192], want[8192];

	assert_non_null(path);
	prepare(f, env_argv, NULL, 0, pass, 1, true);
	start(f);
	assert_exited(finish(f, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "PATH=%s\nPROTO=UDP\n", path);
	assert_string_equal(out, want);
}

/* argv as given: words with spaces and empty words reach the program whole. */
static void
exec_spawn_argv_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sh", "-c", "printf '[%s]\\n' \"$0\" \"$@\"", "zero", "two words", "", "*", NULL };
	char out[512];

	prepare(f, argv, NULL, 0, NULL, 0, false);
	start(f);
	assert_exited(finish(f, out, sizeof(out)), 0);
	assert_string_equal(out, "[zero]\n[two words]\n[]\n[*]\n");
}

/*
 * The program has 0 and 1 on the client's socket, blocking, 2 on the pipe
 * we read, and nothing else, whatever we had open without close-on-exec;
 * its signals are default and unblocked whatever ours are; it leads its own
 * session in /, under the limits.
 */
static void
exec_spawn_descriptors_and_state_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/cat", NULL };
	char got[256], want[256], path[64];
	int leak[2], fl;
	sigset_t usr2, old;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_usr1;
	long pid, ppid, pgrp, sid;
	char comm[64], st;

	/* what a careless worker might have: plain pipes, a high descriptor, a signal ignored, one blocked */
	assert_int_equal(pipe(leak), 0);
	assert_int_equal(dup2(leak[0], 200), 200);
	assert_int_equal(sigaction(SIGUSR1, &ign, &old_usr1), 0);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	assert_int_equal(sigprocmask(SIG_BLOCK, &usr2, &old), 0);
	fl = fcntl(f->io, F_GETFL);
	assert_int_equal(fcntl(f->io, F_SETFL, fl | O_NONBLOCK), 0);

	prepare(f, argv, NULL, 0, NULL, 0, false);
	exec_prep_limit(&f->prep, RLIMIT_NOFILE, 64);
	exec_prep_limit(&f->prep, RLIMIT_CPU, 30);
	start(f);
	/*
	 * exec_start returns once execve has replaced the image, but the
	 * dynamic loader still opens libraries as 3 for a moment: look once
	 * cat has echoed a line, waiting in read(2) for the next.
	 */
	assert_true(h_write_all(f->client, "hello\n", 6));
	assert_int_equal(h_read_all(f->client, got, 6, 20000), 6);
	assert_memory_equal(got, "hello\n", 6);
	fd_list(f->c.pid, got, sizeof(got));
	assert_string_equal(got, " 0 1 2");
	fd_target(getpid(), f->io, want, sizeof(want));
	assert_non_null(strstr(want, "socket:["));
	fd_target(f->c.pid, 0, got, sizeof(got));
	assert_string_equal(got, want);
	fd_target(f->c.pid, 1, got, sizeof(got));
	assert_string_equal(got, want);
	fd_target(getpid(), f->c.err_fd, want, sizeof(want));
	assert_non_null(strstr(want, "pipe:["));
	fd_target(f->c.pid, 2, got, sizeof(got));
	assert_string_equal(got, want);
	proc_line(f->c.pid, "fdinfo/0", "flags:\t", got, sizeof(got));
	assert_int_equal(strtol(got, NULL, 8) & O_NONBLOCK, 0);

	proc_line(f->c.pid, "status", "SigBlk:\t", got, sizeof(got));
	assert_string_equal(got, "0000000000000000");
	proc_line(f->c.pid, "status", "SigIgn:\t", got, sizeof(got));
	assert_string_equal(got, "0000000000000000");
	snprintf(path, sizeof(path), "/proc/%ld/cwd", (long)f->c.pid);
	memset(got, 0, sizeof(got));
	assert_true(readlink(path, got, sizeof(got) - 1) > 0);
	assert_string_equal(got, "/");
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)f->c.pid);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%ld (%63[^)]) %c %ld %ld %ld", &pid, comm, &st, &ppid, &pgrp, &sid), 6);
	fclose(fp);
	assert_int_equal(pgrp, f->c.pid);
	assert_int_equal(sid, f->c.pid);
	assert_int_equal(ppid, getpid());
	proc_line(f->c.pid, "limits", "Max open files", got, sizeof(got));
	assert_int_equal(sscanf(got, "%ld %ld", &pid, &ppid), 2);
	assert_int_equal(pid, 64);
	assert_int_equal(ppid, 64);
	proc_line(f->c.pid, "limits", "Max cpu time", got, sizeof(got));
	assert_int_equal(sscanf(got, "%ld %ld", &pid, &ppid), 2);
	assert_int_equal(pid, 30);
	assert_int_equal(ppid, 30);

	/* the client's EOF ends cat */
	assert_int_equal(shutdown(f->client, SHUT_WR), 0);
	assert_exited(finish(f, got, sizeof(got)), 0);
	assert_string_equal(got, "");

	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &old_usr1, NULL), 0);
	close(200);
	close(leak[0]);
	close(leak[1]);
}

/* ---- when it never runs ----------------------------------------------------- */

static int
count_own_fds(void)
{
	return h_count_fds(getpid(), NULL);
}

/* -1 with the step and the cause; no child left to reap, no descriptor left open. */
static void
assert_start_fails(struct fx *f, const char *want)
{
	char why[512] = "";
	int before = count_own_fds();

	assert_int_equal(exec_start(&f->prep, f->io, &f->c, why, sizeof(why)), -1);
	assert_string_equal(why, want);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(count_own_fds(), before);
}

static void
exec_spawn_start_failed_test(void **state)
{
	struct fx *f = *state;
	char *missing[] = { "/nonexistent/program", NULL };
	char plain[128], want[512];
	char *not_exec[] = { plain, NULL };

	prepare(f, missing, NULL, 0, NULL, 0, false);
	assert_start_fails(f, "cannot execute /nonexistent/program: No such file or directory");
	exec_prep_free(&f->prep);
	f->prepared = false;

	/* a file without an execute bit: refused to root as well */
	snprintf(plain, sizeof(plain), "%s/plain", f->dir);
	h_write_file(plain, "#!/bin/sh\nexit 0\n");
	assert_int_equal(chmod(plain, 0644), 0);
	prepare(f, not_exec, NULL, 0, NULL, 0, false);
	snprintf(want, sizeof(want), "cannot execute %s: Permission denied", plain);
	assert_start_fails(f, want);
}

/* A limit the kernel refuses (above fs.nr_open, for root too) is a failed start, named. */
static void
exec_spawn_limit_refused_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/cat", NULL };
	int nr_open = h_sysctl_int("/proc/sys/fs/nr_open");

	if (nr_open <= 0)
		skip();
	prepare(f, argv, NULL, 0, NULL, 0, false);
	exec_prep_limit(&f->prep, RLIMIT_NOFILE, (long long)nr_open + 1);
	assert_start_fails(f, "setrlimit for /bin/cat: Operation not permitted");
}

/* nice and umask reach the program, set before execve; ours stay as they were. */
static void
exec_spawn_nice_umask_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { (char *)h_exec_probe(), "report", NULL };
	mode_t ours = umask(022);
	char out[8192];
	int our_nice;

	errno = 0;
	our_nice = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(errno, 0);
	prepare(f, argv, NULL, 0, NULL, 0, false);
	exec_prep_nice(&f->prep, 7);
	exec_prep_umask(&f->prep, 0027);
	start(f);
	assert_exited(finish(f, out, sizeof(out)), 0);
	if (strstr(out, "\nnice 7\n") == NULL || strstr(out, "\numask 0027\n") == NULL)
		fail_msg("the program reported:\n%s", out);
	assert_int_equal(umask(ours), 022);
	assert_int_equal(getpriority(PRIO_PROCESS, 0), our_nice);
}

/*
 * A nice value below ours without CAP_SYS_NICE is refused: the start
 * fails, named. As root, the case runs in a child that became nobody.
 */
static void
exec_spawn_nice_refused_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/cat", NULL };
	char why[256] = "";
	int status;
	pid_t pid;

	prepare(f, argv, NULL, 0, NULL, 0, false);
	exec_prep_nice(&f->prep, -5);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		if (geteuid() == 0 && (setgid(65534) == -1 || setuid(65534) == -1))
			_exit(2);
		/* RLIMIT_NICE 0: no lowering allowed to an unprivileged process */
		if (setrlimit(RLIMIT_NICE, &none) == -1)
			_exit(3);
		if (exec_start(&f->prep, f->io, &f->c, why, sizeof(why)) != -1)
			_exit(4);
		_exit(strcmp(why, "setpriority for /bin/cat: Permission denied") == 0 ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_exited(status, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(exec_spawn_environment_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_spawn_peer_replaced_and_cleared_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_spawn_udp_own_path_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_spawn_argv_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_spawn_descriptors_and_state_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_spawn_start_failed_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_spawn_limit_refused_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_spawn_nice_umask_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_spawn_nice_refused_test, setup, teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("exec_spawn", tests, NULL, NULL);
}
