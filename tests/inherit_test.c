/* What a master inherits: the upgrade's and systemd's environment, parsed and checked, any size. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "inherit.h"

extern char **environ;

static void
clear_env(void)
{
	static const char *const vars[] = { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
		"NETSRVD_LISTEN_FDS", "NETSRVD_PIDFILE_FD", "NETSRVD_WORKERS", "NETSRVD_WORKERS_FD",
		"NETSRVD_DETACHED", "NETSRVD_UPGRADE_GUARD_FD", "NETSRVD_RECOVERED" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

/* 20,000 workers: far past what one environment variable holds (128 KiB) */
static void
inherit_many_workers_test(void **state)
{
	enum { N = 20000 };
	struct inherited_worker *ws = calloc(N, sizeof(*ws));
	struct inherited in;
	char err[256];
	int fd;

	(void)state;
	clear_env();
	assert_non_null(ws);
	for (int i = 0; i < N; i++) {
		ws[i].pid = 100000 + i;
		snprintf(ws[i].name, sizeof(ws[i].name), "service-%d", i % 97);
		snprintf(ws[i].kind, sizeof(ws[i].kind), "%s", i % 2 ? "exec" : "echo");
		ws[i].grace_s = i % 5 - 1;
		ws[i].tcp = i % 3 == 0;
		ws[i].pidfd = -1;
	}
	assert_int_equal(inherit_export(NULL, 0, -1, ws, N, false, &fd), 0);
	assert_true(fd > 2);
	/* the environment an exec would pass is still small enough to exec with */
	pid_t child = fork();
	assert_true(child != -1);
	if (child == 0) {
		execle("/bin/true", "true", (char *)NULL, environ);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	assert_int_equal(inherit_collect(&in, err, sizeof(err)), 0);
	assert_string_equal(in.source, "upgrade");
	assert_int_equal(in.nworkers, N);
	for (int i = 0; i < N; i += 997) {
		assert_int_equal(in.workers[i].pid, ws[i].pid);
		assert_string_equal(in.workers[i].name, ws[i].name);
		/* what kind of worker each is crosses too: an upgrade drains it as a reload would */
		assert_string_equal(in.workers[i].kind, ws[i].kind);
		assert_true(in.workers[i].has_grace);
		assert_int_equal(in.workers[i].grace_s, ws[i].grace_s);
		assert_int_equal(in.workers[i].tcp, ws[i].tcp);
		assert_int_equal(in.workers[i].pidfd, -1);
	}
	/* read and closed; the variables are gone */
	assert_int_equal(close(fd), -1);
	assert_null(getenv("NETSRVD_WORKERS_FD"));
	inherit_free(&in);
	free(ws);
}

/* A release that passed the list in NETSRVD_WORKERS upgrades to this one. */
static void
inherit_env_worker_list_test(void **state)
{
	struct inherited in;
	char err[256];

	(void)state;
	clear_env();
	setenv("NETSRVD_LISTEN_FDS", "", 1);
	setenv("NETSRVD_WORKERS", "4242 echo,4243 echo-udp", 1);
	setenv("NETSRVD_DETACHED", "1", 1);
	assert_int_equal(inherit_collect(&in, err, sizeof(err)), 0);
	assert_int_equal(in.nworkers, 2);
	assert_int_equal(in.workers[1].pid, 4243);
	assert_string_equal(in.workers[1].name, "echo-udp");
	assert_false(in.workers[1].has_grace);	/* the new image asks its config */
	assert_int_equal(in.workers[1].pidfd, -1);
	assert_true(in.detached);
	assert_int_equal(in.guard_fd, -1);
	inherit_free(&in);
}

static void
expect_refused(const char *var, const char *value, const char *want)
{
	struct inherited in;
	char err[256] = "";

	clear_env();
	setenv("NETSRVD_LISTEN_FDS", "", 1);
	setenv(var, value, 1);
	assert_int_equal(inherit_collect(&in, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("%s=%s: \"%s\" does not say \"%s\"", var, value, err, want);
	inherit_free(&in);
}

static void
inherit_refuses_garbage_test(void **state)
{
	(void)state;
	expect_refused("NETSRVD_WORKERS", "12", "bad entry");
	expect_refused("NETSRVD_WORKERS", "1 init", "bad entry");	/* pid 1 is nobody's worker */
	expect_refused("NETSRVD_WORKERS", "99999999999 x", "bad entry");
	expect_refused("NETSRVD_WORKERS", "12 echo\tgrace=x", "bad field");
	expect_refused("NETSRVD_WORKERS", "12 echo\tpidfd=1", "bad field");
	expect_refused("NETSRVD_WORKERS_FD", "0", "not a worker list");
	expect_refused("NETSRVD_WORKERS_FD", "999", "not a worker list");
	expect_refused("NETSRVD_PIDFILE_FD", "-1", "not an fd");
	expect_refused("NETSRVD_UPGRADE_GUARD_FD", "x", "not an fd");
	clear_env();
	setenv("LISTEN_PID", "x", 1);
	setenv("LISTEN_FDS", "1", 1);
	struct inherited in;
	char err[256];
	assert_int_equal(inherit_collect(&in, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not numbers"));
	inherit_free(&in);
	clear_env();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inherit_many_workers_test),
		cmocka_unit_test(inherit_env_worker_list_test),
		cmocka_unit_test(inherit_refuses_garbage_test),
	};

	return cmocka_run_group_tests_name("inherit", tests, NULL, NULL);
}
