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

static const char *
probe(void)
{
	static char path[512];
	const char *b = getenv("TOP_BUILDDIR");

	snprintf(path, sizeof(path), "%s/tests/exec-probe", b != NULL ? b : ".");
	return path;
}

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

/* Runs the probe with args through exec_start, filter on; its stdout into out. */
static void
run_probe(const char *filter, char **args, char *out, size_t len)
{
	struct exec_prep prep;
	struct exec_child c;
	char why[256] = "";
	int sv[2], status;
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(exec_prepare(&prep, args, NULL, NULL, false), 0);
	if (filter != NULL)
		assert_int_equal(exec_prep_filter(&prep, filter), 0);
	if (exec_start(&prep, sv[1], &c, why, sizeof(why)) == -1)
		fail_msg("exec_start: %s", why);
	close(sv[1]);
	n = h_read_all(sv[0], out, len - 1, h_hang_ms(10000));
	assert_true(n >= 0);
	out[n] = '\0';
	assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
	close(sv[0]);
	close(c.err_fd);
	if (c.pidfd >= 0)
		close(c.pidfd);
	exec_prep_free(&prep);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("probe status %#x; it said: %s", status, out);
}

/*
 * The filter is the program's, from its first instruction: Seccomp 2 in
 * its status, the refused calls EPERM. A root program keeps
 * CAP_SYS_ADMIN, so no no_new_privs was needed (a set-user-ID program
 * still works); any other gets it with the filter.
 */
static void
confine_caps_exec_start_filter_test(void **state)
{
	char *status_args[] = { (char *)probe(), "status", NULL };
	char *call_args[] = { (char *)probe(), "syscall", "mount", "reboot", "ptrace", "getpid", NULL };
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(confine_caps_bounding_except_test),
		cmocka_unit_test(confine_caps_filter_list_test),
		cmocka_unit_test(confine_caps_filter_child_test),
		cmocka_unit_test(confine_caps_exec_start_filter_test),
	};

	h_test_filter();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
