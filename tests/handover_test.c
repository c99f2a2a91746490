/* The hand-over across an exec: what an old master writes, read back the same, any size; what is malformed, refused. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "handover.h"
#include "listener.h"

extern char **environ;

/* The protocol's names, as the releases before wrote them: the contract, stated apart from the table. */
static const char *const vars[] = { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
	"NETSRVD_LISTEN_FDS", "NETSRVD_PIDFILE_FD", "NETSRVD_WORKERS", "NETSRVD_WORKERS_FD",
	"NETSRVD_DETACHED", "NETSRVD_UPGRADE_GUARD_FD", "NETSRVD_RECOVERED" };

static void
clear_env(void)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static void
assert_none_left(void)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (getenv(vars[i]) != NULL)
			fail_msg("left in the environment: %s=%s", vars[i], getenv(vars[i]));
}

/* 20,000 workers: far past what one environment variable holds (128 KiB) */
static void
handover_many_workers_test(void **state)
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
	const struct handover h = { .pidfile_fd = -1, .workers = ws, .nworkers = N, .guard_fd = -1 };
	assert_int_equal(handover_export(&h, &fd), 0);
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

	assert_int_equal(handover_collect(&in, err, sizeof(err)), 0);
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
	handover_free(&in);
	free(ws);
}

/* A release that passed the list in NETSRVD_WORKERS upgrades to this one. */
static void
handover_env_worker_list_test(void **state)
{
	struct inherited in;
	char err[256];

	(void)state;
	clear_env();
	setenv("NETSRVD_LISTEN_FDS", "", 1);
	setenv("NETSRVD_WORKERS", "4242 echo,4243 echo-udp", 1);
	setenv("NETSRVD_DETACHED", "1", 1);
	assert_int_equal(handover_collect(&in, err, sizeof(err)), 0);
	assert_int_equal(in.nworkers, 2);
	assert_int_equal(in.workers[1].pid, 4243);
	assert_string_equal(in.workers[1].name, "echo-udp");
	assert_false(in.workers[1].has_grace);	/* the new image asks its config */
	assert_int_equal(in.workers[1].pidfd, -1);
	assert_true(in.detached);
	assert_int_equal(in.guard_fd, -1);
	handover_free(&in);
}

/* What a collect made; the sockets themselves stay open, they are the test's. */
static void
drop(struct inherited *in)
{
	for (size_t i = 0; i < in->nls; i++)
		free(in->ls[i]);
	handover_free(in);
}

static void
expect_refused(const char *var, const char *value, const char *want)
{
	struct inherited in;
	char err[256] = "";

	clear_env();
	setenv("NETSRVD_LISTEN_FDS", "", 1);
	setenv(var, value, 1);
	assert_int_equal(handover_collect(&in, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("%s=%s: \"%s\" does not say \"%s\"", var, value, err, want);
	drop(&in);
}

/* Two variables at once: the second refused for what the first holds. */
static void
expect_refused_with(const char *var1, const char *value1, const char *var, const char *value,
    const char *want)
{
	struct inherited in;
	char err[256] = "";

	clear_env();
	setenv("NETSRVD_LISTEN_FDS", "", 1);
	setenv(var1, value1, 1);
	setenv(var, value, 1);
	assert_int_equal(handover_collect(&in, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("%s=%s %s=%s: \"%s\" does not say \"%s\"", var1, value1, var, value, err, want);
	drop(&in);
}

static int
listening(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type, 0);

	assert_true(fd > 2);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static struct listener *
described(int fd)
{
	char err[256];
	struct listener *l = listener_from_fd(fd, "", err, sizeof(err));

	if (l == NULL)
		fail_msg("listener_from_fd(%d): %s", fd, err);
	return l;
}

/*
 * The bytes themselves, as every release since 0.1.1 writes them: what a
 * binary of another release reads.
 */
static void
assert_wire(const struct handover *h, int workers_fd)
{
	char want[512], got[512];
	ssize_t n;

	snprintf(want, sizeof(want), "%d %s,%d %s", h->ls[0]->fd, h->ls[0]->desc, h->ls[1]->fd,
	    h->ls[1]->desc);
	assert_string_equal(getenv("NETSRVD_LISTEN_FDS"), want);
	assert_non_null(strstr(want, " tcp 127.0.0.1:"));
	snprintf(want, sizeof(want), "%d", h->pidfile_fd);
	assert_string_equal(getenv("NETSRVD_PIDFILE_FD"), want);
	snprintf(want, sizeof(want), "%d", workers_fd);
	assert_string_equal(getenv("NETSRVD_WORKERS_FD"), want);
	assert_null(getenv("NETSRVD_WORKERS"));
	assert_string_equal(getenv("NETSRVD_DETACHED"), "1");
	assert_string_equal(getenv("NETSRVD_RECOVERED"), "1");
	snprintf(want, sizeof(want), "%d", h->guard_fd);
	assert_string_equal(getenv("NETSRVD_UPGRADE_GUARD_FD"), want);
	snprintf(want, sizeof(want), "4242 echo\tgrace=10\tproto=tcp\tkind=echo\n"
	    "4243 echo-udp\tgrace=0\tproto=udp\tkind=echo\n"
	    "4244 git\tgrace=-1\tproto=tcp\tkind=exec\tpidfd=%d\n", h->workers[2].pidfd);
	n = pread(workers_fd, got, sizeof(got) - 1, 0);
	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, want);
}

/*
 * What an old master writes comes back the same: every field of every
 * variable of the table, the sockets asked what they are.
 */
static void
handover_round_trip_test(void **state)
{
	struct inherited_worker ws[3] = {
		{ .pid = 4242, .name = "echo", .kind = "echo", .grace_s = 10, .tcp = true, .pidfd = -1 },
		{ .pid = 4243, .name = "echo-udp", .kind = "echo", .grace_s = 0, .tcp = false, .pidfd = -1 },
		{ .pid = 4244, .name = "git", .kind = "exec", .grace_s = -1, .tcp = true, .pidfd = -1 },
	};
	struct listener *ls[2];
	struct inherited in;
	char err[256] = "", path[] = "/tmp/handover_test.XXXXXX";
	int guard[2], fd;

	(void)state;
	clear_env();
	ls[0] = described(listening(SOCK_STREAM));
	ls[1] = described(listening(SOCK_DGRAM));
	int pidfile = mkstemp(path);
	assert_true(pidfile > 2);
	unlink(path);
	assert_int_equal(pipe(guard), 0);
	ws[2].pidfd = open("/dev/null", O_RDONLY);	/* the number crosses; the master checks it later */
	assert_true(ws[2].pidfd > 2);
	const struct handover h = { .ls = ls, .nls = 2, .pidfile_fd = pidfile, .workers = ws,
		.nworkers = 3, .detached = true, .guard_fd = guard[1], .recovered = true };

	assert_int_equal(handover_export(&h, &fd), 0);
	assert_wire(&h, fd);
	assert_int_equal(handover_collect(&in, err, sizeof(err)), 0);
	assert_string_equal(in.source, "upgrade");
	assert_int_equal(in.nls, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(in.ls[i]->fd, ls[i]->fd);
		assert_int_equal(in.ls[i]->protocol, ls[i]->protocol);
		assert_string_equal(in.ls[i]->desc, ls[i]->desc);
	}
	assert_int_equal(in.pidfile_fd, pidfile);
	assert_int_equal(in.nworkers, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(in.workers[i].pid, ws[i].pid);
		assert_string_equal(in.workers[i].name, ws[i].name);
		assert_string_equal(in.workers[i].kind, ws[i].kind);
		assert_int_equal(in.workers[i].grace_s, ws[i].grace_s);
		assert_true(in.workers[i].has_grace);
		assert_int_equal(in.workers[i].tcp, ws[i].tcp);
		assert_int_equal(in.workers[i].pidfd, ws[i].pidfd);
	}
	assert_true(in.detached);
	assert_int_equal(in.guard_fd, guard[1]);
	assert_true(in.recovered);
	for (int f = 3; f < 64; f++)
		assert_int_equal(handover_keeps_fd(&in, f), f == ls[0]->fd || f == ls[1]->fd ||
		    f == pidfile || f == guard[1] || f == ws[2].pidfd);
	/* the worker list's file is read and closed; nothing of the protocol is left for children */
	assert_int_equal(close(fd), -1);
	assert_none_left();
	drop(&in);

	/* nothing to hand over is still an upgrade, with nothing in it */
	const struct handover none = { .pidfile_fd = -1, .guard_fd = -1 };
	assert_int_equal(handover_export(&none, &fd), 0);
	assert_int_equal(handover_collect(&in, err, sizeof(err)), 0);
	assert_string_equal(in.source, "upgrade");
	assert_int_equal(in.nls + in.nworkers, 0);
	assert_int_equal(in.pidfile_fd, -1);
	assert_int_equal(in.guard_fd, -1);
	assert_false(in.detached || in.recovered);
	drop(&in);

	/* the guard's moments: its fd once it runs, then, bringing the old binary back, recovered */
	assert_int_equal(handover_export(&none, &fd), 0);
	assert_int_equal(handover_export_guard(guard[1]), 0);
	assert_int_equal(handover_export_recovered(), 0);
	assert_int_equal(handover_collect(&in, err, sizeof(err)), 0);
	assert_int_equal(in.guard_fd, guard[1]);
	assert_true(in.recovered);
	drop(&in);

	/* the descriptors cross the exec; one that did not happen leaves them ours, and nothing behind */
	assert_int_equal(handover_export(&h, &fd), 0);
	assert_int_equal(fcntl(ls[0]->fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(fcntl(ls[1]->fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(fcntl(pidfile, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	handover_abandon(&h, fd);
	assert_int_equal(close(fd), -1);
	assert_int_equal(fcntl(ls[0]->fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(pidfile, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_none_left();
	for (size_t i = 0; i < 2; i++) {
		close(ls[i]->fd);
		free(ls[i]);
	}
	close(pidfile);
	close(guard[0]);
	close(guard[1]);
	close(ws[2].pidfd);
}

static void
handover_refuses_garbage_test(void **state)
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
	assert_int_equal(handover_collect(&in, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not numbers"));
	handover_free(&in);
	clear_env();
}

/*
 * Each variable of the protocol, given what a broken or hostile old
 * binary could write: refused, with the variable named, nothing half-taken.
 */
static void
handover_refuses_hostile_values_test(void **state)
{
	char sock[16], file[16], pipew[16], list[32];
	char path[] = "/tmp/handover_test.XXXXXX";
	int s = listening(SOCK_STREAM), f = mkstemp(path), p[2];

	(void)state;
	assert_true(f > 2);
	unlink(path);
	assert_int_equal(pipe(p), 0);
	snprintf(sock, sizeof(sock), "%d", s);
	snprintf(file, sizeof(file), "%d", f);
	snprintf(pipew, sizeof(pipew), "%d", p[1]);
	snprintf(list, sizeof(list), "%d tcp 127.0.0.1:7", f);

	expect_refused("NETSRVD_LISTEN_FDS", "x", "NETSRVD_LISTEN_FDS: bad entry");
	expect_refused("NETSRVD_LISTEN_FDS", "1 tcp *:7", "NETSRVD_LISTEN_FDS: bad entry");	/* stdout */
	expect_refused("NETSRVD_LISTEN_FDS", "3,,4", "NETSRVD_LISTEN_FDS: bad entry");
	expect_refused("NETSRVD_LISTEN_FDS", list, "not a socket");
	expect_refused("NETSRVD_LISTEN_FDS", pipew, "not a socket");
	expect_refused("NETSRVD_PIDFILE_FD", "", "NETSRVD_PIDFILE_FD=: not an fd");
	expect_refused("NETSRVD_PIDFILE_FD", "7 ", "not an fd");
	expect_refused("NETSRVD_PIDFILE_FD", "2", "not an fd");
	expect_refused("NETSRVD_PIDFILE_FD", "99999999999999999999", "not an fd");
	expect_refused("NETSRVD_WORKERS", "12 echo,x", "NETSRVD_WORKERS: bad entry");
	expect_refused("NETSRVD_WORKERS", "-5 echo", "bad entry");
	expect_refused("NETSRVD_WORKERS", "12 echo\tproto=sctp", "bad field");
	expect_refused("NETSRVD_WORKERS", "12 echo\tkind=", "bad field");
	expect_refused("NETSRVD_WORKERS", "12 echo\tkind=far-too-long-a-kind", "bad field");
	expect_refused("NETSRVD_WORKERS", "12 echo\tgrace=-2", "bad field");
	expect_refused("NETSRVD_WORKERS_FD", sock, "NETSRVD_WORKERS_FD=");	/* not a file */
	expect_refused("NETSRVD_WORKERS_FD", pipew, "not a worker list");
	expect_refused("NETSRVD_UPGRADE_GUARD_FD", "999", "NETSRVD_UPGRADE_GUARD_FD=999: not an fd");
	expect_refused("NETSRVD_UPGRADE_GUARD_FD", "-3", "not an fd");

	/* the list in its file is read as strictly as the environment */
	assert_int_equal(write(f, "12 echo\n13\n", 11), 11);
	expect_refused("NETSRVD_WORKERS_FD", file, "NETSRVD_WORKERS_FD: bad entry \"13\"");
	clear_env();
	close(s);
	close(p[0]);
	close(p[1]);
}

/*
 * What no release writes, and what would turn the new master against
 * what it holds: a descriptor named twice (a listener closed as unused
 * while another entry serves on it, the pid file read as the worker list
 * and closed, a guard "released" by writing to a socket), a guard that is
 * not a pipe, a worker listed twice (one entry would wait for a pid
 * forever, and signal whoever gets the number next), a name or kind that
 * would reach the logs with control bytes, a flag with another value.
 */
static void
handover_refuses_forgeries_test(void **state)
{
	char v[128], v2[128], path[] = "/tmp/handover_test.XXXXXX";
	int s = listening(SOCK_STREAM), u = listening(SOCK_DGRAM), f = mkstemp(path), p[2];

	(void)state;
	assert_true(f > 2);
	unlink(path);
	assert_int_equal(pipe(p), 0);

	snprintf(v, sizeof(v), "%d tcp 127.0.0.1:7,%d tcp 127.0.0.1:7", s, s);
	expect_refused("NETSRVD_LISTEN_FDS", v, "named twice");
	snprintf(v, sizeof(v), "%d", f);
	expect_refused_with("NETSRVD_PIDFILE_FD", v, "NETSRVD_UPGRADE_GUARD_FD", v, "named twice");
	expect_refused_with("NETSRVD_PIDFILE_FD", v, "NETSRVD_WORKERS_FD", v, "named twice");
	snprintf(v, sizeof(v), "%d", s);
	expect_refused_with("NETSRVD_LISTEN_FDS", v, "NETSRVD_PIDFILE_FD", v, "named twice");
	snprintf(v, sizeof(v), "%d", u);
	expect_refused_with("NETSRVD_LISTEN_FDS", v, "NETSRVD_UPGRADE_GUARD_FD", v, "named twice");
	snprintf(v, sizeof(v), "%d", s);
	snprintf(v2, sizeof(v2), "12 echo\tpidfd=%d", s);
	expect_refused_with("NETSRVD_LISTEN_FDS", v, "NETSRVD_WORKERS", v2, "named twice");
	snprintf(v2, sizeof(v2), "12 echo\tpidfd=%d,13 echo\tpidfd=%d", f, f);
	expect_refused("NETSRVD_WORKERS", v2, "named twice");
	snprintf(v, sizeof(v), "%d", s);
	expect_refused_with("NETSRVD_WORKERS", "12 echo", "NETSRVD_UPGRADE_GUARD_FD", v, "not a pipe");
	snprintf(v, sizeof(v), "%d", p[0]);	/* the guard's own end */
	expect_refused_with("NETSRVD_WORKERS", "12 echo", "NETSRVD_UPGRADE_GUARD_FD", v, "not a pipe");
	snprintf(v, sizeof(v), "%d", f);
	expect_refused_with("NETSRVD_WORKERS", "12 echo", "NETSRVD_UPGRADE_GUARD_FD", v, "not a pipe");
	expect_refused("NETSRVD_WORKERS", "12 echo,13 echo,12 echo-udp", "worker 12 listed twice");
	expect_refused("NETSRVD_WORKERS", "12 ec\033[2Jho", "bad entry \"12 ec?[2Jho\"");
	expect_refused("NETSRVD_LISTEN_FDS", "3\n\r", "bad entry \"3??\"");
	expect_refused("NETSRVD_WORKERS", "12 two words", "bad entry");
	expect_refused("NETSRVD_WORKERS", "12 a-name-far-longer-than-any-service-may-have", "bad entry");
	expect_refused("NETSRVD_WORKERS", "12 echo\tkind=ex\033c", "bad field");
	expect_refused("NETSRVD_DETACHED", "0", "NETSRVD_DETACHED=0: not 1");
	expect_refused("NETSRVD_DETACHED", "", "not 1");
	expect_refused("NETSRVD_RECOVERED", "yes", "NETSRVD_RECOVERED=yes: not 1");
	clear_env();
	close(s);
	close(u);
	close(f);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handover_many_workers_test),
		cmocka_unit_test(handover_env_worker_list_test),
		cmocka_unit_test(handover_refuses_garbage_test),
		cmocka_unit_test(handover_round_trip_test),
		cmocka_unit_test(handover_refuses_hostile_values_test),
		cmocka_unit_test(handover_refuses_forgeries_test),
	};

	return cmocka_run_group_tests_name("handover", tests, NULL, NULL);
}
