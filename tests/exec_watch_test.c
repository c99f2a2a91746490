/* Unit tests of exec_watch driven directly: real programs, their ends, their deadlines, their stderr in the log. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_spawn.h"
#include "exec_watch.h"
#include "harness.h"
#include "log.h"
#include "sig.h"

struct fx {
	int client;		/* the test's end of the program's socket */
	int io;			/* the program's end */
	int wake[2];		/* the worker's wake-up pipe */
	struct exec_prep prep;
	bool prepared;
	struct exec_child c;
	struct exec_watch w;
	struct exec_result r;
	_Atomic int stopping;	/* the master's word */
	_Atomic int64_t progress;
	int moved_calls;
	bool moved_answer;
	char dir[64];
	char log[128];
	char file[128];		/* for a program to write to */
};

static bool
moved(void *ctx)
{
	struct fx *f = ctx;

	f->moved_calls++;
	return f->moved_answer;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct log_settings ls = { .level = LOG_LVL_INFO };
	char err[256];
	int sv[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->client = sv[0];
	f->io = sv[1];
	assert_int_equal(pipe2(f->wake, O_CLOEXEC | O_NONBLOCK), 0);
	f->c.pid = -1;
	f->c.pidfd = f->c.err_fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/exec_watch_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	snprintf(f->file, sizeof(f->file), "%s/file", f->dir);
	ls.target = f->log;
	if (log_apply(&ls, err, sizeof(err)) == -1)
		fail_msg("log_apply: %s", err);
	f->w = (struct exec_watch){ .service = "t", .wake_fd = f->wake[0], .shutdown_timeout = 5,
	    .daemon_stopping = &f->stopping, .progress = &f->progress };
	sig_worker_stop = 0;
	/* a watch that never returns fails the test instead of hanging the run */
	alarm((unsigned)(h_hang_ms(60000) / 1000));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	struct log_settings ls = { .level = LOG_LVL_INFO };
	char cmd[128], err[64];
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD };

	alarm(0);
	if (f->c.pid > 0) {
		(void)kill(-f->c.pid, SIGKILL);
		(void)waitpid(f->c.pid, NULL, 0);
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)signal(sigs[i], SIG_DFL);
	sig_worker_stop = 0;
	(void)log_apply(&ls, err, sizeof(err));
	close(f->wake[0]);
	close(f->wake[1]);
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

/* Starts argv on the socket; the program's end is then the program's alone. */
static void
start(struct fx *f, char **argv)
{
	char why[256] = "";

	assert_int_equal(exec_prepare(&f->prep, argv, NULL, NULL, false), 0);
	f->prepared = true;
	exec_prep_limit(&f->prep, RLIMIT_CORE, 0);
	if (exec_start(&f->prep, f->io, &f->c, why, sizeof(why)) == -1)
		fail_msg("exec_start: %s", why);
	close(f->io);
	f->io = -1;
}

/* Watches it to its end; c's descriptors are closed and it is reaped. */
static void
watch(struct fx *f)
{
	pid_t pid = f->c.pid;

	exec_watch(&f->w, &f->c, &f->r);
	/* reaped: its number may be anyone's now, the teardown must not signal it */
	f->c.pid = -1;
	assert_int_equal(f->c.err_fd, -1);
	assert_int_equal(f->c.pidfd, -1);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_true(atomic_load(&f->progress) > 0);
}

static char *
read_log(struct fx *f)
{
	static char buf[262144];
	FILE *fp = fopen(f->log, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static int
count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
assert_logged(struct fx *f, const char *needle)
{
	char *log = read_log(f);

	if (strstr(log, needle) == NULL)
		fail_msg("not in the log: \"%s\"\n%s", needle, log);
}

static void
assert_format(struct fx *f, pid_t pid, const char *words)
{
	char got[128], want[128];

	exec_result_format(&f->r, pid, got, sizeof(got));
	snprintf(want, sizeof(want), "program=%ld %s", (long)pid, words);
	assert_string_equal(got, want);
}

static void
assert_ended(struct fx *f, bool timed_out, bool idle, bool stopped)
{
	assert_int_equal(f->r.timed_out, timed_out);
	assert_int_equal(f->r.idle, idle);
	assert_int_equal(f->r.stopped, stopped);
}

/* ---- how it ends ------------------------------------------------------------ */

/* The client's EOF ends cat; exit 0, nothing timed out. */
static void
exec_watch_client_eof_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/cat", NULL };
	char back[64];
	pid_t pid;

	start(f, argv);
	pid = f->c.pid;
	assert_true(h_write_all(f->client, "hello\n", 6));
	assert_int_equal(shutdown(f->client, SHUT_WR), 0);
	watch(f);
	assert_true(WIFEXITED(f->r.status));
	assert_int_equal(WEXITSTATUS(f->r.status), 0);
	assert_ended(f, false, false, false);
	assert_format(f, pid, "exit=0");
	assert_int_equal(h_read_all(f->client, back, sizeof(back), 5000), 6);
	assert_memory_equal(back, "hello\n", 6);
}

/* An exit status of its own, and its stderr in the log under the service and its pid. */
static void
exec_watch_exit_error_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sh", "-c", "echo oops >&2; exit 7", NULL };
	char want[128];
	pid_t pid;

	start(f, argv);
	pid = f->c.pid;
	watch(f);
	assert_true(WIFEXITED(f->r.status));
	assert_int_equal(WEXITSTATUS(f->r.status), 7);
	assert_ended(f, false, false, false);
	assert_format(f, pid, "exit=7");
	snprintf(want, sizeof(want), "service t: program %ld: oops\n", (long)pid);
	assert_logged(f, want);
}

static void
exec_watch_signaled_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sh", "-c", "kill -KILL $$", NULL };
	pid_t pid;

	start(f, argv);
	pid = f->c.pid;
	watch(f);
	assert_true(WIFSIGNALED(f->r.status));
	assert_int_equal(WTERMSIG(f->r.status), SIGKILL);
	assert_ended(f, false, false, false);
	assert_format(f, pid, "signal=SIGKILL");
}

/* The words for each status, a signal without a name and a status that is neither among them. */
static void
exec_watch_result_format_test(void **state)
{
	struct fx *f = *state;

	f->r.status = 3 << 8;
	assert_format(f, 42, "exit=3");
	f->r.status = SIGTERM;
	assert_format(f, 42, "signal=SIGTERM");
	f->r.status = 100;		/* WTERMSIG 100: no such signal */
	assert_format(f, 42, "signal=100");
	f->r.status = 0x137f;		/* stopped by SIGSTOP, as WUNTRACED would report it */
	assert_format(f, 42, "status=4991");
}

/* max_runtime passes: SIGTERM to its group, and it is a timeout, not the idle one. */
static void
exec_watch_max_runtime_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sleep", "30", NULL };
	char want[160];
	pid_t pid;

	f->w.max_runtime = 1;
	start(f, argv);
	pid = f->c.pid;
	watch(f);
	assert_true(WIFSIGNALED(f->r.status));
	assert_int_equal(WTERMSIG(f->r.status), SIGTERM);
	assert_ended(f, true, false, false);
	snprintf(want, sizeof(want), "service t: program %ld: max_runtime reached; SIGTERM to its process group",
	    (long)pid);
	assert_logged(f, want);
}

/* One that ignores SIGTERM gets SIGKILL, shutdown_timeout later, and its group with it. */
static void
exec_watch_stubborn_killed_test(void **state)
{
	struct fx *f = *state;
	char script[256];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	long member = 0;
	FILE *fp;

	snprintf(script, sizeof(script), "trap '' TERM; sleep 30 & echo $! > '%s'; wait", f->file);
	f->w.max_runtime = 1;
	f->w.shutdown_timeout = 1;
	start(f, argv);
	watch(f);
	assert_true(WIFSIGNALED(f->r.status));
	assert_int_equal(WTERMSIG(f->r.status), SIGKILL);
	assert_ended(f, true, false, false);
	assert_logged(f, "outlived its SIGTERM; SIGKILL to its process group");
	assert_non_null(fp = fopen(f->file, "r"));
	assert_int_equal(fscanf(fp, "%ld", &member), 1);
	fclose(fp);
	assert_true(h_wait_gone((pid_t)member, 5000));
}

/* Nothing moves on the socket for idle_timeout: it ends as max_runtime would, marked idle. */
static void
exec_watch_idle_timeout_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sleep", "30", NULL };

	f->w.idle_timeout = 1;
	f->w.moved = moved;
	f->w.moved_ctx = f;
	start(f, argv);
	watch(f);
	assert_true(WIFSIGNALED(f->r.status));
	assert_int_equal(WTERMSIG(f->r.status), SIGTERM);
	assert_ended(f, true, true, false);
	assert_true(f->moved_calls >= 1);
	assert_logged(f, "no activity on its socket for timeout seconds; SIGTERM to its process group");
}

/* A socket that keeps moving is never idle: max_runtime ends it. */
static void
exec_watch_moving_not_idle_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sleep", "30", NULL };

	f->w.idle_timeout = 1;
	f->w.max_runtime = 3;
	f->w.moved = moved;
	f->w.moved_ctx = f;
	f->moved_answer = true;
	start(f, argv);
	watch(f);
	assert_ended(f, true, false, false);
	assert_true(f->moved_calls >= 1);
	assert_logged(f, "max_runtime reached");
}

/*
 * The worker's TERM during a stop (the master's word says so): SIGTERM to
 * the program after shutdown_timeout, marked stopped, not timed out. The
 * program itself sends the TERM to us, its parent, so it comes while the
 * watch waits.
 */
static void
exec_watch_daemon_stop_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sh", "-c", "kill -TERM $PPID; exec sleep 30", NULL };

	assert_int_equal(sig_worker_setup(f->wake[1], getppid(), -1, NULL), 0);
	atomic_store(&f->stopping, 1);
	f->w.shutdown_timeout = 1;
	start(f, argv);
	watch(f);
	assert_true(sig_worker_stop);
	assert_true(WIFSIGNALED(f->r.status));
	assert_int_equal(WTERMSIG(f->r.status), SIGTERM);
	assert_ended(f, false, false, true);
	assert_logged(f, "the daemon stops; SIGTERM to its process group");
}

/* The same TERM during a reload (no stop word) lets the program finish: even shutdown_timeout 0 does not end it. */
static void
exec_watch_reload_lets_it_finish_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sh", "-c", "kill -TERM $PPID; sleep 1; exit 3", NULL };

	assert_int_equal(sig_worker_setup(f->wake[1], getppid(), -1, NULL), 0);
	f->w.shutdown_timeout = 0;
	start(f, argv);
	watch(f);
	assert_true(sig_worker_stop);
	assert_true(WIFEXITED(f->r.status));
	assert_int_equal(WEXITSTATUS(f->r.status), 3);
	assert_ended(f, false, false, false);
	assert_false(strstr(read_log(f), "SIGTERM") != NULL);
}

/* ---- its stderr --------------------------------------------------------------- */

/* Controls and bidi overrides are shown as '?', a tab stays, long lines are cut, the last unended line is logged. */
static void
exec_watch_stderr_escaped_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sh", "-c",
	    "exec >&2; printf 'a\\033[31mb\\tc\\n'; printf 'bidi [\\342\\200\\256] ok [\\303\\251]\\n';"
	    " i=0; while [ $i -lt 1500 ]; do printf x; i=$((i+1)); done; printf '\\n';"
	    " printf 'tail without newline'", NULL };
	char want[1100], x[1001];
	pid_t pid;

	start(f, argv);
	pid = f->c.pid;
	watch(f);
	assert_true(WIFEXITED(f->r.status));
	assert_int_equal(WEXITSTATUS(f->r.status), 0);
	snprintf(want, sizeof(want), "service t: program %ld: a?[31mb\tc\n", (long)pid);
	assert_logged(f, want);
	snprintf(want, sizeof(want), "service t: program %ld: bidi [?] ok [\xc3\xa9]\n", (long)pid);
	assert_logged(f, want);
	memset(x, 'x', 1000);
	x[1000] = '\0';
	snprintf(want, sizeof(want), "program %ld: %s\n", (long)pid, x);
	assert_logged(f, want);
	snprintf(want, sizeof(want), "program %ld: %s\n", (long)pid, x + 500);
	assert_logged(f, want);
	snprintf(want, sizeof(want), "service t: program %ld: tail without newline\n", (long)pid);
	assert_logged(f, want);
}

/* Over EXEC_STDERR_LINES_PER_S lines in a second: the rest are counted, and the count is logged. */
static void
exec_watch_stderr_flood_test(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "/bin/sh", "-c", "printf 'flood line %d\\n' $(seq 0 999) >&2", NULL };
	unsigned long logged, suppressed = 0;
	char *log, *p;

	start(f, argv);
	watch(f);
	assert_true(WIFEXITED(f->r.status));
	log = read_log(f);
	logged = (unsigned long)count(log, ": flood line ");
	for (p = log; (p = strstr(p, ": program ")) != NULL; p++) {
		unsigned long n;
		int end = 0;

		if (sscanf(p, ": program %*d: %lu stderr lines not logged (over 100 a second)%n", &n, &end) == 1 && end > 0)
			suppressed += n;
	}
	print_message("logged %lu, counted %lu\n", logged, suppressed);
	assert_true(logged >= EXEC_STDERR_LINES_PER_S);
	assert_true(suppressed > 0);
	assert_int_equal(logged + suppressed, 1000);
}

/* A descendant that keeps the stderr pipe open is not waited for: the program's exit ends the watch. */
static void
exec_watch_descendant_holds_stderr_test(void **state)
{
	struct fx *f = *state;
	char script[256];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	long member = 0;
	pid_t pid;
	FILE *fp;

	snprintf(script, sizeof(script), "sleep 30 & echo $! > '%s'; echo done >&2", f->file);
	start(f, argv);
	pid = f->c.pid;
	watch(f);
	assert_true(WIFEXITED(f->r.status));
	assert_int_equal(WEXITSTATUS(f->r.status), 0);
	assert_logged(f, ": done\n");
	assert_non_null(fp = fopen(f->file, "r"));
	assert_int_equal(fscanf(fp, "%ld", &member), 1);
	fclose(fp);
	assert_true(h_pid_alive((pid_t)member));
	assert_int_equal(kill(-pid, SIGKILL), 0);
	assert_true(h_wait_gone((pid_t)member, 5000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(exec_watch_client_eof_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_exit_error_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_signaled_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_result_format_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_max_runtime_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_stubborn_killed_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_idle_timeout_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_moving_not_idle_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_daemon_stop_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_reload_lets_it_finish_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_stderr_escaped_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_stderr_flood_test, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_watch_descendant_holds_stderr_test, setup, teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("exec_watch", tests, NULL, NULL);
}
