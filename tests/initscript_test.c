/* The LSB init script's status, run on pid files that name what the test made: a zombie, a live process. */
#include "autoconfig.h"

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static char out[8192];

/* Runs the script from the source tree (the environment overrides its @paths@): its exit status. */
static int
run_init(struct daemon *d, const char *action, const char *bin, const char *defaults)
{
	char script[512];
	const char *argv[] = { "/bin/sh", script, action, NULL };
	int rc;

	snprintf(script, sizeof(script), "%s/init/netsrvd.init.in", h_srcdir());
	setenv("NETSRVD_BIN", bin, 1);
	setenv("NETSRVD_CONF", d->conf, 1);
	setenv("NETSRVD_DEFAULTS", defaults, 1);
	rc = h_run(argv, out, sizeof(out), 10000);
	unsetenv("NETSRVD_BIN");
	unsetenv("NETSRVD_CONF");
	unsetenv("NETSRVD_DEFAULTS");
	unsetenv("NETSRVD_PIDFILE");
	return rc;
}

static void
write_pid(const char *path, pid_t pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld\n", (long)pid);
	h_write_file(path, text);
}

/* A child that has exited and that we do not reap: a zombie until the end of the test. */
static pid_t
make_zombie(void)
{
	siginfo_t si;
	pid_t pid = fork();

	assert_true(pid != -1);
	if (pid == 0)
		_exit(0);
	/* WNOWAIT: wait for the exit, leave the child a zombie */
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	return pid;
}

/* A child running sleep(1), the "daemon" of the pid file; its binary, resolved, in bin. */
static pid_t
start_sleeper(char *bin, size_t len)
{
	pid_t pid;
	char exe[64];
	ssize_t n;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	/* the exec is done once /proc names another binary than ours */
	snprintf(exe, sizeof(exe), "/proc/%ld/exe", (long)pid);
	for (int i = 0; i < 500; i++) {
		n = readlink(exe, bin, len - 1);
		bin[n > 0 ? n : 0] = '\0';
		if (strstr(bin, "sleep") != NULL)
			return pid;
		h_sleep_ms(10);
	}
	fail_msg("sleep did not start");
	return -1;
}

static void
stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* A master that died and was not reaped yet is no running daemon: LSB 1, dead with a pid file. */
static void
initscript_status_zombie_test(void **state)
{
	struct daemon *d = *state;
	char nodefaults[300];
	pid_t z = make_zombie();
	int rc;

	snprintf(nodefaults, sizeof(nodefaults), "%s/no-defaults", d->dir);
	write_pid(d->pidfile, z);
	setenv("NETSRVD_PIDFILE", d->pidfile, 1);
	rc = run_init(d, "status", h_netsrvd(), nodefaults);
	stop_child(z);
	if (rc != 1)
		fail_msg("status on a zombie's pid file: exit %d, expected 1:\n%s", rc, out);
	assert_non_null(strstr(out, "netsrvd is not running, but"));
}

/* The same check passes a live process running the binary: the zombie test is not vacuous. */
static void
initscript_status_running_test(void **state)
{
	struct daemon *d = *state;
	char bin[PATH_MAX], nodefaults[300], want[64];
	pid_t p = start_sleeper(bin, sizeof(bin));
	int rc;

	snprintf(nodefaults, sizeof(nodefaults), "%s/no-defaults", d->dir);
	write_pid(d->pidfile, p);
	setenv("NETSRVD_PIDFILE", d->pidfile, 1);
	rc = run_init(d, "status", bin, nodefaults);
	stop_child(p);
	assert_int_equal(rc, 0);
	snprintf(want, sizeof(want), "netsrvd is running (pid %ld)", (long)p);
	assert_non_null(strstr(out, want));
}

/* default/netsrvd is read: the pid file it names is the one status looks at. */
static void
initscript_defaults_file_test(void **state)
{
	struct daemon *d = *state;
	char bin[PATH_MAX], defaults[300], text[400];
	pid_t p = start_sleeper(bin, sizeof(bin));
	int rc;

	snprintf(defaults, sizeof(defaults), "%s/default-netsrvd", d->dir);
	snprintf(text, sizeof(text), "# as a sysadmin writes it\nNETSRVD_PIDFILE=%s\n", d->pidfile);
	h_write_file(defaults, text);
	write_pid(d->pidfile, p);
	rc = run_init(d, "status", bin, defaults);
	stop_child(p);
	if (rc != 0)
		fail_msg("status with NETSRVD_PIDFILE from %s: exit %d:\n%s", defaults, rc, out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(initscript_status_zombie_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(initscript_status_running_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(initscript_defaults_file_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("initscript", tests, NULL, NULL);
}
