/* cgroup = { }: a cgroup per service and per exec connection, run for real (cgroup v2): nothing a program starts outlives its connection. */
#include "autoconfig.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "accesslog.h"
#include "cgroup.h"
#include "harness.h"
#include "procutil.h"

static char out[65536];
static char host_why[PATH_MAX + 256];


/* The daemon, as root, writes under our cgroup v2: skipped, saying why, where it cannot. */
static void
need_cgroup(void)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root (the daemon makes cgroups under its own)\n");
		skip();
	}
	if (cgroup_host_check(host_why, sizeof(host_why)) == -1) {
		print_message("skipped: no writable cgroup v2 here: %s\n", host_why);
		skip();
	}
}

/* C's cgroup.controllers has name (the daemon is our child: its C is ours). */
static bool
controller_available(const char *name)
{
	char path[PATH_MAX + 32], buf[512];
	const char *p;
	size_t n = strlen(name);
	int fd;
	ssize_t r;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", cgroup_self_path());
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	for (p = buf; (p = strstr(p, name)) != NULL; p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* One TCP exec service "probe" running the probe with args, with or without a cgroup group. */
static void
conf_probe(struct daemon *d, int port, const char *args, const char *extra, const char *cgroup)
{
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"probe\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 2; command = [ \"%s\"%s ]; %s %s } );\n", port, h_exec_probe(), args, extra,
	    cgroup != NULL ? cgroup : "");
}

static void
start_quiet(struct daemon *d)
{
	h_start(d, NULL);
	if (!h_wait_log(d, "started:", 20000))
		h_fail_with_log(d, "the daemon did not start");
}

/* The daemon's instance cgroup, I (the master names it after itself). */
static void
instance(const struct daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/netsrvd.%ld", cgroup_self_path(), (long)d->pid);
}

/* A pid written to file, waited for (a hang bound). */
static long
read_pid_file(struct daemon *d, const char *file)
{
	int64_t end = h_now_ms() + h_hang_ms(5000);

	while (h_now_ms() < end) {
		FILE *f = fopen(file, "r");
		long pid = 0;
		int n = f != NULL ? fscanf(f, "%ld", &pid) : 0;

		if (f != NULL)
			fclose(f);
		if (n == 1 && pid > 1)
			return pid;
		h_sleep_ms(5);
	}
	h_fail_with_log(d, "the program wrote no pid");
	return -1;
}

/* Gone, or a zombie waiting for its reaper: it runs no more. */
static bool
ended(pid_t pid)
{
	char st;
	pid_t pp;

	return !pu_stat(pid, &st, &pp) || st == 'Z';
}

static int64_t
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Polls every millisecond (the delay is what the test reports), up to a hang bound; the time it ended, or -1. */
static int64_t
wait_ended_at_us(pid_t pid, int ms)
{
	int64_t end = h_now_ms() + h_hang_ms(ms);

	while (!ended(pid)) {
		if (h_now_ms() > end)
			return -1;
		usleep(1000);
	}
	return now_us();
}

/* The whole reply of a connection that sends nothing; when its EOF came in *eof_us (may be NULL). */
static ssize_t
fetch_at(int port, char *buf, size_t len, int64_t *eof_us)
{
	int fd = h_connect("127.0.0.1", port, 2000);
	ssize_t n;

	assert_true(fd >= 0);
	shutdown(fd, SHUT_WR);
	n = h_read_all(fd, buf, len - 1, 5000);
	if (eof_us != NULL)
		*eof_us = now_us();
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return n;
}

static ssize_t
fetch(int port, char *buf, size_t len)
{
	return fetch_at(port, buf, len, NULL);
}

/* The directories under dir whose name starts with prefix. */
static int
count_dirs(const char *dir, const char *prefix)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((e = readdir(dp)) != NULL)
		n += e->d_type == DT_DIR && strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(dp);
	return n;
}

static bool
wait_no_dirs(const char *dir, const char *prefix, int ms)
{
	int64_t end = h_now_ms() + h_hang_ms(ms);

	while (count_dirs(dir, prefix) > 0) {
		if (h_now_ms() > end)
			return false;
		h_sleep_ms(10);
	}
	return true;
}

/* Every conn.* cgroup under dir holds no process (cgroup.events: populated 0). */
static bool
conn_dirs_empty(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	bool empty = dp != NULL;

	while (dp != NULL && (e = readdir(dp)) != NULL) {
		char path[2 * PATH_MAX], buf[128];
		FILE *f;

		if (e->d_type != DT_DIR || strncmp(e->d_name, "conn.", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/cgroup.events", dir, e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;	/* removed meanwhile */
		while (fgets(buf, sizeof(buf), f) != NULL)
			empty &= strcmp(buf, "populated 1\n") != 0;
		fclose(f);
	}
	if (dp != NULL)
		closedir(dp);
	return empty;
}

static void
kill_if_alive(long pid)
{
	if (pid > 1 && h_pid_alive((pid_t)pid))
		kill((pid_t)pid, SIGKILL);
}

/* ---- the escape ------------------------------------------------------------ */

/*
 * The program's grandchild calls setsid and closes its stdio: no process
 * group, no session, no socket ties it to the connection any more. With
 * cgroup = { } it is killed with the connection all the same.
 */
static void
escape_case(struct daemon *d, const char *user, const char *more)
{
	int port = h_free_port();
	char file[256], args[400], extra[512];
	long gc;
	int64_t eof = 0, gone;

	need_cgroup();
	/* a directory the service's user can write its pid into */
	snprintf(file, sizeof(file), "%s/run", d->dir);
	assert_int_equal(mkdir(file, 0700), 0);
	if (user != NULL)
		assert_int_equal(chown(file, getpwnam(user)->pw_uid, 0), 0);
	snprintf(file, sizeof(file), "%s/run/escaped.pid", d->dir);
	snprintf(args, sizeof(args), ", \"escape\", \"%s\"", file);
	snprintf(extra, sizeof(extra), "%s%s%s %s", user != NULL ? "user = \"" : "", user != NULL ? user : "",
	    user != NULL ? "\";" : "", more != NULL ? more : "");
	conf_probe(d, port, args, extra, "cgroup = { };");
	start_quiet(d);
	fetch_at(port, out, sizeof(out), &eof);
	/* the connection has ended (EOF): from here on its grandchild must go */
	gc = read_pid_file(d, file);
	if ((gone = wait_ended_at_us((pid_t)gc, 5000)) < 0) {
		kill_if_alive(gc);
		h_fail_with_log(d, "the setsid'd grandchild outlived its connection");
	}
	print_message("setsid'd grandchild %ld ended %lld us after its connection's EOF (service user %s)\n", gc,
	    (long long)(gone - eof), user != NULL ? user : "root");
	assert_true(al_wait(d, "service=probe end=done program=* exit=0", NULL, 5000));
	/* when the worker logs the connection's end, it has waited for the cgroup to empty */
	assert_true(ended((pid_t)gc));
	assert_int_equal(h_stop(d), 0);
}

static void
cgroup_escape_test(void **state)
{
	escape_case(*state, NULL, NULL);
}

/* A service whose user is not root: its cgroup is delegated to that user (chown), as Delegate= does. */
static void
cgroup_escape_user_test(void **state)
{
	if (getpwnam("nobody") == NULL) {
		print_message("skipped: no user nobody\n");
		skip();
	}
	escape_case(*state, "nobody", NULL);
}

/* With a mount namespace of its own (/sys read-only under strict), the worker still makes its connections' cgroups. */
static void
cgroup_escape_protected_test(void **state)
{
	struct daemon *d = *state;
	char more[256];

	snprintf(more, sizeof(more), "protect_system = \"strict\"; read_write_paths = [ \"%s\" ];", d->dir);
	escape_case(d, NULL, more);
}

/* Today's behaviour without a cgroup group: the grandchild survives its connection. */
static void
cgroup_escape_without_cgroup_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], args[400];
	long gc;

	snprintf(file, sizeof(file), "%s/escaped.pid", d->dir);
	snprintf(args, sizeof(args), ", \"escape\", \"%s\"", file);
	conf_probe(d, port, args, "", NULL);
	start_quiet(d);
	fetch(port, out, sizeof(out));
	gc = read_pid_file(d, file);
	assert_true(al_wait(d, "service=probe end=done program=* exit=0", NULL, 5000));
	h_sleep_ms(200);
	/* the process group kill cannot reach it: it left the group, the session and the socket */
	assert_true(h_pid_alive((pid_t)gc));
	kill((pid_t)gc, SIGKILL);
	assert_true(h_wait_gone((pid_t)gc, 3000));
	assert_int_equal(h_stop(d), 0);
}

/* A UDP wait program (the worker's serve_socket): each run has its cgroup, and its escaped grandchild ends with the run. */
static void
cgroup_udp_wait_escape_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], reply[64];
	int64_t sent, gone;
	ssize_t n;
	long gc;

	need_cgroup();
	snprintf(file, sizeof(file), "%s/escaped.pid", d->dir);
	h_write_conf(d, "log = { connections = true; };\n"
	    "services = ( { name = \"u\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   wait = true; command = [ \"%s\", \"escape-udp\", \"%s\" ]; cgroup = { }; } );\n", port, h_exec_probe(), file);
	start_quiet(d);
	sent = now_us();
	n = h_udp_query("127.0.0.1", port, "hi", 2, reply, sizeof(reply) - 1, h_hang_ms(3000));
	if (n < 0)
		h_fail_with_log(d, "no reply from the wait program");
	reply[n] = '\0';
	assert_string_equal(reply, "escaped\n");
	gc = read_pid_file(d, file);
	if ((gone = wait_ended_at_us((pid_t)gc, 5000)) < 0) {
		kill_if_alive(gc);
		h_fail_with_log(d, "the wait program's setsid'd grandchild outlived its run");
	}
	print_message("UDP wait program's grandchild %ld ended %lld us after the query was sent\n", gc,
	    (long long)(gone - sent));
	assert_true(al_wait(d, "service=u end=done program=* exit=0", NULL, 5000));
	assert_int_equal(h_stop(d), 0);
}

/* A reload that gives a service its cgroup group: the new workers' programs get connection cgroups. */
static void
cgroup_reload_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], args[400];
	long gc;

	need_cgroup();
	snprintf(file, sizeof(file), "%s/escaped.pid", d->dir);
	snprintf(args, sizeof(args), ", \"escape\", \"%s\"", file);
	conf_probe(d, port, args, "", NULL);
	start_quiet(d);
	conf_probe(d, port, args, "", "cgroup = { };");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (!h_wait_log(d, "reloaded: generation 2", 10000))
		h_fail_with_log(d, "the reload did not apply");
	/* the old generation's workers drain; a connection may still reach one */
	for (int tries = 0; tries < 10; tries++) {
		unlink(file);
		fetch(port, out, sizeof(out));
		gc = read_pid_file(d, file);
		if (wait_ended_at_us((pid_t)gc, 2000) >= 0)
			break;
		kill((pid_t)gc, SIGKILL);
		assert_true(h_wait_gone((pid_t)gc, 3000));
		gc = -1;
		h_sleep_ms(100);
	}
	if (gc < 0)
		h_fail_with_log(d, "after the reload, connections' grandchildren still outlive them");
	assert_int_equal(h_stop(d), 0);
}

/*
 * A reload that takes the cgroup group away: the service's directory
 * goes once its old workers have (nothing of theirs is killed for it),
 * the instance stays, and the service serves on without one.
 */
static void
cgroup_reload_removes_dir_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char inst[PATH_MAX], dir[PATH_MAX + 32];
	int64_t end;

	need_cgroup();
	conf_probe(d, port, ", \"status\"", "", "cgroup = { };");
	start_quiet(d);
	assert_true(fetch(port, out, sizeof(out)) > 0);
	instance(d, inst, sizeof(inst));
	snprintf(dir, sizeof(dir), "%s/svc.probe", inst);
	assert_int_equal(access(dir, F_OK), 0);
	conf_probe(d, port, ", \"status\"", "", NULL);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (!h_wait_log(d, "reloaded: generation 2", 10000))
		h_fail_with_log(d, "the reload did not apply");
	end = h_now_ms() + h_hang_ms(15000);
	while (access(dir, F_OK) == 0 && h_now_ms() < end)
		h_sleep_ms(50);
	if (access(dir, F_OK) == 0)
		h_fail_with_log(d, "the service's cgroup directory outlived the reload that took its group away");
	assert_int_equal(access(inst, F_OK), 0);
	assert_true(fetch(port, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "Seccomp:"));	/* the probe's /proc/self/status */
	assert_int_equal(h_stop(d), 0);
}

/* ---- the connection's cgroup ---------------------------------------------------- */

static void
read_hang_pids(struct daemon *d, const char *file, long pids[3])
{
	h_read_probe_pids(d, file, pids);
	for (int i = 0; i < 3; i++)
		assert_true(pids[i] > 1);
}

/*
 * "probe" running hang (stubborn: it ignores SIGTERM) under cgroup = { }
 * with extra keys, started; file (d->dir/hang.pids): where it writes the
 * pids of the program, its child and its setsid'd grandchild.
 */
static void
start_hang(struct daemon *d, int port, const char *extra, bool stubborn, char *file, size_t flen)
{
	char args[400];

	snprintf(file, flen, "%s/hang.pids", d->dir);
	snprintf(args, sizeof(args), ", \"hang\", \"%s\"%s", file, stubborn ? ", \"stubborn\"" : "");
	conf_probe(d, port, args, extra, "cgroup = { };");
	start_quiet(d);
}

/* A client of start_hang's service, connected: its fd, and the three pids its program wrote. */
static int
connect_hang(struct daemon *d, int port, const char *file, long pids[3])
{
	int fd;

	unlink(file);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	read_hang_pids(d, file, pids);
	return fd;
}

/* /proc/PID/cgroup's v2 line, without "0::". */
static void
proc_cgroup(pid_t pid, char *buf, size_t len)
{
	char path[64], line[PATH_MAX];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + 3);
		}
	fclose(f);
}

/* While the program runs, it and what it started are in I/svc.probe/conn.<worker>.<n>, a directory of its own. */
static void
cgroup_dir_while_running_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], inst[PATH_MAX], want[PATH_MAX + 64], cg[PATH_MAX], cg2[PATH_MAX];
	char dir[2 * PATH_MAX];
	long pids[3] = { 0, 0, 0 };
	const char *mount_rel;
	char st;
	pid_t worker;
	int fd;

	need_cgroup();
	start_hang(d, port, "", false, file, sizeof(file));
	fd = connect_hang(d, port, file, pids);
	assert_true(pu_stat((pid_t)pids[0], &st, &worker));
	instance(d, inst, sizeof(inst));
	proc_cgroup((pid_t)pids[0], cg, sizeof(cg));
	print_message("program %ld (worker %ld) is in %s\n", pids[0], (long)worker, cg);
	/* /proc shows the path from the hierarchy's root; the instance is under the mount */
	snprintf(want, sizeof(want), "/netsrvd.%ld/svc.probe/conn.%ld.", (long)d->pid, (long)worker);
	assert_non_null(strstr(cg, want));
	/* the escaped child too */
	proc_cgroup((pid_t)pids[2], cg2, sizeof(cg2));
	assert_string_equal(cg, cg2);
	mount_rel = strstr(cg, "/netsrvd.");
	snprintf(dir, sizeof(dir), "%s%s", cgroup_self_path(), mount_rel);
	assert_true(access(dir, F_OK) == 0);
	close(fd);
	/* the client's close is not the program's end; the stop is */
	assert_int_equal(h_stop(d), 0);
	for (int i = 0; i < 3; i++)
		assert_true(h_wait_gone((pid_t)pids[i], 3000));
	assert_true(access(dir, F_OK) == -1);
}

/* max_runtime: the program's end is the connection's, and its whole cgroup goes with it. */
static void
cgroup_max_runtime_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], inst[PATH_MAX], svc[PATH_MAX + 16];
	long pids[3] = { 0, 0, 0 };
	int fd;

	need_cgroup();
	start_hang(d, port, "max_runtime = 1;", false, file, sizeof(file));
	fd = connect_hang(d, port, file, pids);
	assert_true(h_read_all(fd, out, sizeof(out) - 1, 5000) >= 0);
	close(fd);
	assert_true(h_wait_log(d, "max_runtime reached", 10000));
	/* the one that left the group (setsid) too, which exec_test's max_runtime sees live on */
	for (int i = 0; i < 3; i++)
		if (!h_wait_gone((pid_t)pids[i], 3000)) {
			kill_if_alive(pids[0]), kill_if_alive(pids[1]), kill_if_alive(pids[2]);
			h_fail_with_log(d, "a process of the connection outlived max_runtime");
		}
	assert_true(al_wait(d, "end=timeout program=* signal=SIGTERM", NULL, 10000));
	instance(d, inst, sizeof(inst));
	snprintf(svc, sizeof(svc), "%s/svc.probe", inst);
	/* the worker keeps its last connection's cgroup, emptied, for its next */
	assert_true(conn_dirs_empty(svc));
	assert_int_equal(h_stop(d), 0);
}

/* A stop: no process of any connection, no directory of the instance, is left. */
static void
cgroup_stop_leaves_nothing_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], inst[PATH_MAX];
	long pids[2][3];
	int fd[2];

	need_cgroup();
	start_hang(d, port, "", true, file, sizeof(file));
	for (int c = 0; c < 2; c++)
		fd[c] = connect_hang(d, port, file, pids[c]);
	instance(d, inst, sizeof(inst));
	assert_true(access(inst, F_OK) == 0);
	assert_int_equal(h_stop(d), 0);
	for (int c = 0; c < 2; c++) {
		for (int i = 0; i < 3; i++)
			assert_true(ended((pid_t)pids[c][i]));
		close(fd[c]);
	}
	if (access(inst, F_OK) == 0)
		h_fail_with_log(d, "the instance cgroup is still there after the stop");
}

/* A worker killed with SIGKILL cleans nothing: the master sweeps its connection's cgroup when it reaps it. */
static void
cgroup_killed_worker_swept_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char file[256], inst[PATH_MAX], svc[PATH_MAX + 16], prefix[32];
	long pids[3] = { 0, 0, 0 };
	pid_t worker;
	char st;
	int fd;

	need_cgroup();
	start_hang(d, port, "", true, file, sizeof(file));
	fd = connect_hang(d, port, file, pids);
	assert_true(pu_stat((pid_t)pids[0], &st, &worker));
	instance(d, inst, sizeof(inst));
	snprintf(svc, sizeof(svc), "%s/svc.probe", inst);
	snprintf(prefix, sizeof(prefix), "conn.%ld.", (long)worker);
	assert_int_equal(count_dirs(svc, prefix), 1);
	assert_int_equal(kill(worker, SIGKILL), 0);
	for (int i = 0; i < 3; i++)
		if (!h_wait_gone((pid_t)pids[i], 3000)) {
			kill_if_alive(pids[0]), kill_if_alive(pids[1]), kill_if_alive(pids[2]);
			h_fail_with_log(d, "a process of a killed worker's connection lives on");
		}
	assert_true(wait_no_dirs(svc, prefix, 5000));
	assert_true(h_log_contains(d, "left 1 connection cgroups: killed"));
	close(fd);
	assert_int_equal(h_stop(d), 0);
}

/* ---- limits -------------------------------------------------------------------- */

/* A limit whose controller this host's cgroup v2 lacks is refused at load, naming the key and why. */
static void
cgroup_memory_max_refused_test(void **state)
{
	struct daemon *d = *state;
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	int rc;

	need_cgroup();
	conf_probe(d, h_free_port(), ", \"report\"", "", "cgroup = { memory_max = 268435456; };");
	rc = h_run(argv, out, sizeof(out), 10000);
	if (controller_available("memory")) {
		/* a host that has it: the key loads */
		print_message("this host's cgroup v2 has the memory controller: memory_max loads\n");
		assert_int_equal(rc, 0);
		return;
	}
	print_message("netsrvd -t: %s", out);
	assert_int_equal(rc, 78);
	assert_non_null(strstr(out, "service \"probe\": cgroup memory_max: the memory controller is not available in "));
	assert_non_null(strstr(out, "cgroup.controllers"));
}

/* A program that forks 10,000 times is stopped by pids_max, where the pids controller is in cgroup v2. */
static void
cgroup_pids_max_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	long forked = -1;
	int err = 0;

	need_cgroup();
	if (!controller_available("pids")) {
		print_message("skipped: no pids controller in cgroup v2 on this host (%s/cgroup.controllers)\n",
		    cgroup_self_path());
		skip();
	}
	conf_probe(d, port, ", \"forks\", \"10000\"", "", "cgroup = { pids_max = 64; };");
	start_quiet(d);
	fetch(port, out, sizeof(out));
	assert_int_equal(sscanf(out, "forked %ld errno=%d", &forked, &err), 2);
	print_message("forked %ld times before fork failed (errno %d) under pids_max = 64\n", forked, err);
	assert_true(forked < 64);
	assert_int_equal(err, EAGAIN);
	assert_int_equal(h_stop(d), 0);
}

/* ---- metrics --------------------------------------------------------------------- */

/* A value of /metrics as a double (the harness's h_metric reads integers); -1: none. */
static double
metric(int sport, const char *series)
{
	static char page[1 << 18];
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	int fd = h_connect("127.0.0.1", sport, 2000);
	size_t n = strlen(series);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = h_write_all(fd, req, strlen(req)) ? h_read_all(fd, page, sizeof(page) - 1, 3000) : -1;
	close(fd);
	if (r <= 0)
		return -1;
	page[r] = '\0';
	for (const char *p = page; (p = strstr(p, series)) != NULL; p += n)
		if (p > page && p[-1] == '\n' && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* netsrvd_service_cpu_seconds_total, from the service's cpu.stat: there, and growing with its programs' work. */
static void
cgroup_cpu_metric_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *series = "netsrvd_service_cpu_seconds_total{service=\"spin\"}";
	double before, after = -1;
	int64_t end;

	need_cgroup();
	h_write_conf(d, "log = { level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"spin\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\", \"spin\", \"300\" ]; cgroup = { }; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, h_exec_probe(), sport);
	h_start_serving(d, sport);
	end = h_now_ms() + h_hang_ms(5000);
	while ((before = metric(sport, series)) < 0 && h_now_ms() < end)
		h_sleep_ms(50);
	if (before < 0)
		h_fail_with_log(d, "no netsrvd_service_cpu_seconds_total for the service with a cgroup");
	/* the status service has no cgroup group: no series of its own */
	assert_true(metric(sport, "netsrvd_service_cpu_seconds_total{service=\"status\"}") < 0);
	fetch(port, out, sizeof(out));
	assert_string_equal(out, "spun\n");
	/* the master samples once a second */
	end = h_now_ms() + h_hang_ms(5000);
	while ((after = metric(sport, series)) < before + 0.1 && h_now_ms() < end)
		h_sleep_ms(100);
	print_message("cpu seconds of service spin: %.6f before a 300 ms spin, %.6f after\n", before, after);
	assert_true(after >= before + 0.1);
	assert_int_equal(h_stop(d), 0);
}

/* ---- the cost ------------------------------------------------------------------------ */

/* Connections one after the other to a program that exits at once; the microseconds they took. */
static int64_t
serial_connections(struct daemon *d, int port, int n)
{
	int64_t t0 = now_us();

	for (int i = 0; i < n; i++) {
		fetch(port, out, sizeof(out));
		if (strcmp(out, "bye\n") != 0)
			h_fail_with_log(d, "the program did not answer");
	}
	return now_us() - t0;
}

/*
 * What a connection's cgroup costs (mkdir, join, kill, the events wait,
 * rmdir): two services of one daemon, the same program, one with
 * cgroup = { }, in alternating blocks so the machine's drift falls on
 * both. Measured and reported, not asserted.
 */
static void
cgroup_cost_test(void **state)
{
	struct daemon *d = *state;
	const int blocks = 10, per_block = 100;
	int port[2] = { h_free_port(), h_free_port() };
	int64_t total[2] = { 0, 0 };

	need_cgroup();
	h_write_conf(d, "services = (\n"
	    " { name = \"plain\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\", \"exit\", \"0\" ]; },\n"
	    " { name = \"cg\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\", \"exit\", \"0\" ]; cgroup = { }; } );\n",
	    port[0], h_exec_probe(), port[1], h_exec_probe());
	h_start_serving(d, port[0]);
	assert_true(h_wait_port("127.0.0.1", port[1], 5000) == 0);
	for (int with = 0; with < 2; with++)
		(void)serial_connections(d, port[with], 50);	/* warm */
	for (int b = 0; b < blocks; b++)
		for (int with = 0; with < 2; with++)
			total[with] += serial_connections(d, port[with], per_block);
	print_message("%d connections each, one after the other: %.0f us each without a cgroup, %.0f us with "
	    "one: %+.0f us per connection\n", blocks * per_block, (double)total[0] / (blocks * per_block),
	    (double)total[1] / (blocks * per_block), (double)(total[1] - total[0]) / (blocks * per_block));
	assert_int_equal(h_stop(d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cgroup_escape_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_escape_user_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_escape_protected_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_escape_without_cgroup_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_udp_wait_escape_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_reload_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_reload_removes_dir_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_dir_while_running_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_max_runtime_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_stop_leaves_nothing_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_killed_worker_swept_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_memory_max_refused_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_pids_max_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_cpu_metric_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cgroup_cost_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
