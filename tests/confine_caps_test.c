/* capabilities, no_new_privileges and syscall_filter: the functions in forked children, then a real daemon's programs (tests/exec_probe.c) reporting what they got. */
#include "autoconfig.h"

#include <errno.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "exec_spawn.h"
#include "harness.h"
#include "privs.h"
#include "program_filter.h"
#include "sandbox.h"


static void
skip_unless_root(const char *why)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root (%s)\n", why);
		skip();
	}
}

static void
skip_without_filter(void)
{
	const char *why = program_filter_unavailable();

	if (why != NULL) {
		print_message("skipped: no program filter here: %s\n", why);
		skip();
	}
}

/* Runs fn in a child; returns its exit code, or -1 for anything but an exit. */
static int
in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* This process's bounding set, as a mask (PR_CAPBSET_READ). */
static uint64_t
bounding_set(void)
{
	uint64_t m = 0;

	for (unsigned long cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			m |= UINT64_C(1) << cap;
	return m;
}

#define KEEP ((UINT64_C(1) << CAP_NET_BIND_SERVICE) | (UINT64_C(1) << CAP_CHOWN))

static int
drop_but_two(void)
{
	uint64_t before = bounding_set();

	if (privs_drop_bounding_set_except(KEEP) != 0)
		return 2;
	return bounding_set() == (before & KEEP) ? 0 : 1;
}

/* The bounding set keeps exactly the capabilities of the mask (that it had). */
static void
confine_caps_bounding_except_test(void **state)
{
	(void)state;
	skip_unless_root("CAP_SETPCAP, to drop from the bounding set");
	assert_int_equal(in_child(drop_but_two), 0);
}

/* Calls the list leaves out, and some it must keep for a shell to work. */
static void
confine_caps_filter_list_test(void **state)
{
	static const char *const refused[] = { "mount", "umount2", "pivot_root", "chroot", "reboot",
	    "kexec_load", "ptrace", "perf_event_open", "bpf", "init_module", "iopl", "ioperm", "swapon",
	    "settimeofday", "clock_settime", "acct", "syslog", "quotactl", "vhangup", "sethostname",
	    "open_by_handle_at", "fsopen", "move_mount" };
	static const char *const allowed[] = { "_llseek", "read", "write", "openat", "close", "mmap",
	    "execve", "clone", "clone3", "wait4", "pipe2", "dup2", "fcntl", "socket", "connect",
	    "setuid", "setgroups", "capset", "prctl", "seccomp", "ioctl", "getrandom", "rt_sigaction",
	    "exit_group", "writev" };

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (program_filter_allows(refused[i]))
			fail_msg("%s is let through", refused[i]);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (!program_filter_allows(allowed[i]))
			fail_msg("%s is refused", allowed[i]);
	assert_true(program_filter_known("system-service"));
	assert_false(program_filter_known("@system-service"));
	assert_false(program_filter_known(NULL));
}

/*
 * Under the filter: each refused call says EPERM, a number the libc does
 * not know ENOSYS, the allowed ones work, and a shell pipeline (fork,
 * pipe, execve, wait) runs to its end. Any user: without CAP_SYS_ADMIN
 * the install sets no_new_privs itself.
 */
static int
filtered(void)
{
	struct program_filter f;
	int status;
	pid_t pid;

	if (program_filter_build(&f, "system-service") == -1 || program_filter_install(&f) == -1)
		return 10;
	if (mount("none", "/nonexistent-netsrvd-test", "netsrvd-no-such-fs", 0, NULL) != -1 || errno != EPERM)
		return 11;
	if (syscall(SYS_reboot, 0, 0, 0, NULL) != -1 || errno != EPERM)
		return 12;
	if (ptrace(PTRACE_PEEKUSER, getppid(), NULL, NULL) != -1 || errno != EPERM)
		return 13;
	if (syscall(sandbox_syscall_count() + 100) != -1 || errno != ENOSYS)
		return 14;
	if (getpid() <= 0 || write(1, "", 0) != 0)
		return 15;
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", "echo through | cat | grep -q through", (char *)NULL);
		_exit(16);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 17;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 18;
}

static void
confine_caps_filter_child_test(void **state)
{
	(void)state;
	skip_without_filter();
	assert_int_equal(in_child(filtered), 0);
}

/* --- exec_start with a filter, no daemon ------------------------------------------ */

/*
 * Runs the probe with args through exec_start from a child that stands
 * for the worker: with filter, the child puts it on itself first, as a
 * worker does (worker.c), and the program inherits it. Its stdout into out.
 */
static void
run_probe(const char *filter, char **args, char *out, size_t len)
{
	int sv[2], status;
	ssize_t n;
	pid_t worker;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	worker = fork();
	assert_true(worker != -1);
	if (worker == 0) {
		struct program_filter f;
		struct exec_prep prep;
		struct exec_child c;
		char why[256] = "";

		close(sv[0]);
		if (filter != NULL && (program_filter_build(&f, filter) == -1 || program_filter_install(&f) == -1))
			_exit(10);
		if (exec_prepare(&prep, args, NULL, NULL, false) == -1)
			_exit(11);
		if (exec_start(&prep, sv[1], &c, why, sizeof(why)) == -1) {
			(void)write(sv[1], why, strlen(why));
			_exit(12);
		}
		close(sv[1]);
		if (waitpid(c.pid, &status, 0) != c.pid)
			_exit(13);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 14);
	}
	close(sv[1]);
	n = h_read_all(sv[0], out, len - 1, h_hang_ms(10000));
	assert_true(n >= 0);
	out[n] = '\0';
	close(sv[0]);
	assert_int_equal(waitpid(worker, &status, 0), worker);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("probe (or its worker) status %#x; it said: %s", status, out);
}

/*
 * The filter is the program's, from its first instruction, inherited from
 * the worker: Seccomp 2 in its status, the refused calls EPERM. A root program keeps
 * CAP_SYS_ADMIN, so no no_new_privs was needed (a set-user-ID program
 * still works); any other gets it with the filter.
 */
static void
confine_caps_exec_start_filter_test(void **state)
{
	char *status_args[] = { (char *)h_exec_probe(), "status", NULL };
	char *call_args[] = { (char *)h_exec_probe(), "syscall", "mount", "reboot", "ptrace", "getpid", NULL };
	char out[4096];

	(void)state;
	skip_without_filter();
	run_probe("system-service", status_args, out, sizeof(out));
	assert_non_null(strstr(out, "Seccomp:\t2\n"));
	assert_non_null(strstr(out, geteuid() == 0 ? "NoNewPrivs:\t0\n" : "NoNewPrivs:\t1\n"));
	run_probe("system-service", call_args, out, sizeof(out));
	assert_string_equal(out, "mount EPERM\nreboot EPERM\nptrace EPERM\ngetpid ok\nend\n");
	run_probe(NULL, status_args, out, sizeof(out));
	assert_non_null(strstr(out, "Seccomp:\t0\n"));
}

/* --- a real daemon ------------------------------------------------------------------ */

/* What one program run for a client of port wrote, until it closed. */
static void
fetch(struct daemon *d, int port, char *buf, size_t len)
{
	int fd = h_connect("127.0.0.1", port, 2000);
	ssize_t n;

	assert_true(fd >= 0);
	shutdown(fd, SHUT_WR);
	n = h_read_all(fd, buf, len - 1, h_hang_ms(10000));
	close(fd);
	if (n <= 0)
		h_fail_with_log(d, "no answer from the program");
	buf[n] = '\0';
}

/* The hex value after key ("CapBnd:") in a status text; UINT64_MAX if absent. */
static uint64_t
status_hex(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p != NULL ? strtoull(p + strlen(key), NULL, 16) : UINT64_MAX;
}

/* /proc/PID/file (pid 0: ours) into text, NUL-terminated. */
static void
read_proc(pid_t pid, const char *file, char *text, size_t len)
{
	char path[64];
	FILE *f;
	size_t n;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/%s", file);
	else
		snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	assert_non_null(f = fopen(path, "r"));
	n = fread(text, 1, len - 1, f);
	text[n] = '\0';
	fclose(f);
}

static uint64_t
our_status_hex(const char *key)
{
	char text[4096];

	read_proc(0, "status", text, sizeof(text));
	return status_hex(text, key);
}

/*
 * capabilities = [ ... ] is the program's bounding set, and (run as
 * root) all it holds; no_new_privileges its NoNewPrivs. A service
 * without them leaves the program what netsrvd has, as before.
 */
static void
confine_caps_program_bounding_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), plain = h_free_port();
	char text[8192];

	skip_unless_root("a program whose bounding set is cut, run as root");
	h_write_conf(d, "services = (\n"
	    " { name = \"caps\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   command = [ \"%s\", \"status\" ];\n"
	    "   capabilities = [ \"CAP_NET_BIND_SERVICE\", \"CAP_CHOWN\" ]; no_new_privileges = true; },\n"
	    " { name = \"plain\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   command = [ \"%s\", \"status\" ]; } );\n", port, h_exec_probe(), plain, h_exec_probe());
	h_start_serving(d, plain);
	fetch(d, port, text, sizeof(text));
	assert_int_equal(status_hex(text, "CapBnd:"), KEEP);
	assert_int_equal(status_hex(text, "CapEff:"), KEEP);
	assert_non_null(strstr(text, "NoNewPrivs:\t1\n"));
	fetch(d, plain, text, sizeof(text));
	assert_int_equal(status_hex(text, "CapBnd:"), our_status_hex("CapBnd:"));
	assert_non_null(strstr(text, "NoNewPrivs:\t0\n"));
}

/*
 * The first of master's children whose title names service's worker;
 * the only child if none does (under valgrind the title is valgrind's
 * command line); -1 if none.
 */
static pid_t
worker_of(pid_t master, const char *service)
{
	pid_t kids[32];
	char title[256], want[128];
	int n = h_children(master, kids, 32);

	snprintf(want, sizeof(want), "worker %s", service);
	for (int i = 0; i < n; i++) {
		h_cmdline(kids[i], title, sizeof(title));
		if (strstr(title, want) != NULL)
			return kids[i];
	}
	return n == 1 ? kids[0] : -1;
}

/*
 * A built-in service that sets capabilities still serves; its workers'
 * bounding set is what it lists, and they hold none of it (effective
 * empty, no_new_privs: nothing can bring one back).
 */
static void
confine_caps_builtin_serves_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char text[4096];
	pid_t w;

	skip_unless_root("a bounding set to drop");
	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 1; capabilities = [ \"CAP_NET_BIND_SERVICE\" ]; no_new_privileges = true; } );\n", port);
	h_start_serving(d, port);
	assert_true(h_echo("127.0.0.1", port, "still here\n", 11, 5000));
	assert_true((w = worker_of(d->pid, "echo")) > 0);
	read_proc(w, "status", text, sizeof(text));
	assert_int_equal(status_hex(text, "CapBnd:"), UINT64_C(1) << CAP_NET_BIND_SERVICE);
	assert_int_equal(status_hex(text, "CapEff:"), 0);
	assert_non_null(strstr(text, "NoNewPrivs:\t1\n"));
}

/* Field n (1-based, as proc(5) counts) of /proc/pid/stat, after the command's ")". */
static long
stat_field(pid_t pid, int n)
{
	char text[1024], *p;
	long v = 0;

	read_proc(pid, "stat", text, sizeof(text));
	assert_non_null(p = strrchr(text, ')'));
	assert_non_null(p = strchr(p + 2, ' '));	/* past field 3, the state (a letter) */
	for (int i = 4; i <= n; i++)
		v = strtol(p, &p, 10);
	return v;
}

/*
 * nice and umask on a built-in service: its workers' own (systemd's Nice=
 * and UMask= for the unit), set before the user change, so as root a
 * nice below 0 too; the worker still serves.
 */
static void
confine_caps_builtin_nice_umask_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), nice = geteuid() == 0 ? -5 : 7;
	char text[4096];
	pid_t w;

	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 1; nice = %d; umask = \"0077\"; } );\n", port, nice);
	h_start_serving(d, port);
	assert_true(h_echo("127.0.0.1", port, "niced\n", 6, 5000));
	assert_true((w = worker_of(d->pid, "echo")) > 0);
	read_proc(w, "status", text, sizeof(text));
	assert_non_null(strstr(text, "Umask:\t0077\n"));
	assert_int_equal(stat_field(w, 19), nice);
	/* the master keeps its own: ours, which it inherited */
	errno = 0;
	assert_int_equal(stat_field(d->pid, 19), getpriority(PRIO_PROCESS, 0));
	assert_int_equal(errno, 0);
}

/* The daemon runs under valgrind (NETSRVD_WRAPPER): its programs get no filter. */
static bool
daemon_under_valgrind(void)
{
	const char *w = getenv("NETSRVD_WRAPPER");

	return w != NULL && strstr(w, "valgrind") != NULL;
}

/*
 * The Seccomp: line of the status of service's workers, when all say the
 * same; -2 when they differ (one still starting), -1 when none was found.
 */
static int
workers_seccomp(struct daemon *d, const char *service)
{
	pid_t kids[16];
	int n = h_children(d->pid, kids, 16), mode = -1;
	char want[128], line[256], path[64];

	snprintf(want, sizeof(want), "netsrvd: worker %s", service);
	for (int i = 0; i < n; i++) {
		FILE *f;

		h_cmdline(kids[i], line, sizeof(line));
		if (strncmp(line, want, strlen(want)) != 0 || (line[strlen(want)] != '\0' &&
		    line[strlen(want)] != ' '))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/status", (long)kids[i]);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "Seccomp:", 8) == 0) {
				int m = atoi(line + 8);
				mode = mode == -1 || mode == m ? m : -2;
			}
		fclose(f);
	}
	return mode;
}

/*
 * syscall_filter = "system-service": the program's mount, reboot and
 * ptrace get EPERM where the same calls fail otherwise without it
 * (ENOENT, EINVAL, ESRCH as root), and a real program, a shell
 * pipeline, still echoes the client under it.
 */
static void
confine_caps_program_filter_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), plain = h_free_port(), shell = h_free_port();
	char text[4096];
	int64_t end;

	skip_without_filter();
	h_write_conf(d, "services = (\n"
	    " { name = \"filtered\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   command = [ \"%s\", \"syscall\", \"mount\", \"reboot\", \"ptrace\", \"getpid\" ];\n"
	    "   syscall_filter = \"system-service\"; },\n"
	    " { name = \"open\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   command = [ \"%s\", \"syscall\", \"mount\", \"reboot\", \"ptrace\", \"getpid\" ]; },\n"
	    " { name = \"shell\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   command = [ \"/bin/sh\", \"-c\", \"cat | cat\" ]; syscall_filter = \"system-service\"; } );\n",
	    port, h_exec_probe(), plain, h_exec_probe(), shell);
	h_start_serving(d, shell);
	if (daemon_under_valgrind()) {
		/* no filter there, said once at the load for each service that asks */
		assert_int_equal(h_log_count(d, "syscall_filter \"system-service\" not applied"), 2);
		assert_true(h_echo("127.0.0.1", shell, "no filter\n", 10, h_hang_ms(5000)));
		return;
	}
	assert_int_equal(h_log_count(d, "not applied"), 0);
	fetch(d, port, text, sizeof(text));
	assert_string_equal(text, "mount EPERM\nreboot EPERM\nptrace EPERM\ngetpid ok\nend\n");
	if (geteuid() == 0) {
		fetch(d, plain, text, sizeof(text));
		assert_null(strstr(text, "EPERM"));
		assert_non_null(strstr(text, "reboot EINVAL\n"));
	}
	assert_true(h_echo("127.0.0.1", shell, "through the filter\n", 19, h_hang_ms(5000)));
	/* the workers put the filter on themselves (once started); their programs inherit it */
	end = h_now_ms() + h_hang_ms(5000);
	while (workers_seccomp(d, "filtered") != 2 && h_now_ms() < end)
		h_sleep_ms(20);
	assert_int_equal(workers_seccomp(d, "filtered"), 2);
	assert_int_equal(workers_seccomp(d, "open"), 0);
}

/*
 * A filtered program that keeps CAP_SYS_ADMIN (root, bounding set whole)
 * runs without no_new_privs, so a set-user-ID program still works, as
 * under systemd; one whose bounding set leaves it out gets it with the
 * filter, though the worker that starts it still holds CAP_SYS_ADMIN.
 */
static void
confine_caps_filter_nnp_test(void **state)
{
	struct daemon *d = *state;
	int keeps = h_free_port(), cut = h_free_port();
	char text[4096];

	skip_unless_root("a program that keeps CAP_SYS_ADMIN");
	skip_without_filter();
	if (daemon_under_valgrind()) {
		print_message("skipped: the daemon runs under valgrind: no filter\n");
		skip();
	}
	h_write_conf(d, "services = (\n"
	    " { name = \"keeps\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   command = [ \"%s\", \"status\" ]; syscall_filter = \"system-service\"; },\n"
	    " { name = \"cut\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   command = [ \"%s\", \"status\" ]; syscall_filter = \"system-service\"; capabilities = [ ]; } );\n",
	    keeps, h_exec_probe(), cut, h_exec_probe());
	h_start_serving(d, cut);
	fetch(d, keeps, text, sizeof(text));
	assert_non_null(strstr(text, "Seccomp:\t2\n"));
	assert_non_null(strstr(text, "NoNewPrivs:\t0\n"));
	fetch(d, cut, text, sizeof(text));
	assert_non_null(strstr(text, "Seccomp:\t2\n"));
	assert_non_null(strstr(text, "NoNewPrivs:\t1\n"));
	assert_int_equal(status_hex(text, "CapBnd:"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(confine_caps_bounding_except_test),
		cmocka_unit_test(confine_caps_filter_list_test),
		cmocka_unit_test(confine_caps_filter_child_test),
		cmocka_unit_test(confine_caps_exec_start_filter_test),
		cmocka_unit_test_setup_teardown(confine_caps_program_bounding_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(confine_caps_builtin_serves_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(confine_caps_builtin_nice_umask_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(confine_caps_program_filter_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(confine_caps_filter_nnp_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
