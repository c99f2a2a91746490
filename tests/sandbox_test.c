/* The worker's seccomp filter, tested in forked children: what serving needs passes, the rest kills. */
#include "autoconfig.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox.h"

/* Runs fn in a child under the filter; returns its wait status, and in *refused what it reported. */
static int
in_sandbox_as(void (*fn)(void), int *refused, bool connects_out)
{
	_Atomic int *report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st;

	assert_true(report != MAP_FAILED);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		alarm(5);
		if (sandbox_seccomp(report, connects_out) == -1)
			_exit(99);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	*refused = atomic_load(report) - 1;
	munmap((void *)report, sizeof(*report));
	return st;
}

static int
in_sandbox_reporting(void (*fn)(void), int *refused)
{
	return in_sandbox_as(fn, refused, false);
}

static int
in_sandbox(void (*fn)(void))
{
	int refused;

	return in_sandbox_reporting(fn, &refused);
}

/* a worker's pipes and sockets all exist before the filter goes on */
static void
makes_a_socketpair(void)
{
	int sv[2];

	_exit(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 ? 10 : 11);
}

static void
worker_calls(void)
{
	char buf[8] = "x";
	struct timespec ts;

	if (write(2, "", 0) != 0 || getpid() <= 0 || clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		_exit(12);
	void *p = malloc(1 << 20);	/* mmap-sized allocation */
	if (p == NULL)
		_exit(13);
	free(p);
	if (recv(-1, buf, 1, MSG_DONTWAIT) != -1 || send(-1, buf, 1, MSG_NOSIGNAL) != -1)
		_exit(14);
	_exit(0);
}

/* syslog(3) reconnecting to /dev/log is the one socket a worker opens */
static void
opens_a_unix_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	_exit(fd >= 0 ? 0 : 15);
}

static void
opens_an_inet_socket(void)
{
	_exit(socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 50 : 51);
}

static void
opens_a_packet_socket(void)
{
	_exit(socket(AF_PACKET, SOCK_RAW, 0) >= 0 ? 52 : 53);
}

static void
opens_a_netlink_socket(void)
{
	_exit(socket(AF_NETLINK, SOCK_RAW, 0) >= 0 ? 54 : 55);
}

static void
opens_a_file(void)
{
	int fd = open("/etc/hostname", O_RDONLY);

	_exit(fd >= 0 ? 20 : 21);
}

static void
forks(void)
{
	pid_t p = fork();

	_exit(p >= 0 ? 30 : 31);
}

static void
execs(void)
{
	execl("/bin/true", "true", (char *)NULL);
	_exit(40);
}

/* redirect's relay: a socket to its backend, spliced through a pipe made before the filter */
static int relay_pipe[2] = { -1, -1 };

static void
relays(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int fd4 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0 || fd4 < 0)
		_exit(60);
	/* nothing to splice: EAGAIN from the empty pipe, not SIGSYS */
	n = splice(relay_pipe[0], NULL, fd4, NULL, 4096, SPLICE_F_NONBLOCK);
	_exit(n == -1 ? 0 : 61);
}

static void
splices(void)
{
	_exit(splice(relay_pipe[0], NULL, relay_pipe[1], NULL, 1, SPLICE_F_NONBLOCK) == -1 ? 62 : 63);
}

/* The relay's extra calls pass for a worker that connects out, and only for it. */
static void
sandbox_connects_out_test(void **state)
{
	int refused, st;

	(void)state;
	if (!sandbox_seccomp_supported()) {
		print_message("skipped: no worker filter in this build (sanitizers) or on this architecture\n");
		skip();
	}
	assert_int_equal(pipe2(relay_pipe, O_NONBLOCK | O_CLOEXEC), 0);
	st = in_sandbox_as(relays, &refused, true);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("relay calls: status 0x%x, refused %s", st, sandbox_syscall_name(refused));
	st = in_sandbox_as(worker_calls, &refused, true);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* still no packet or netlink socket, no file */
	st = in_sandbox_as(opens_a_packet_socket, &refused, true);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_sandbox_as(opens_a_netlink_socket, &refused, true);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_sandbox_as(opens_a_file, &refused, true);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	/* and every other worker gets neither */
	st = in_sandbox_as(splices, &refused, false);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	assert_int_equal(refused, SYS_splice);
	st = in_sandbox_as(relays, &refused, false);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	assert_int_equal(refused, SYS_socket);
	close(relay_pipe[0]);
	close(relay_pipe[1]);
}

static void
sandbox_allows_serving_test(void **state)
{
	int st;

	(void)state;
	if (!sandbox_seccomp_supported()) {
		print_message("skipped: no worker filter in this build (sanitizers) or on this architecture\n");
		skip();
	}
	st = in_sandbox(worker_calls);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = in_sandbox(opens_a_unix_socket);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* nothing refused, nothing reported */
	int refused;
	st = in_sandbox_reporting(worker_calls, &refused);
	assert_true(WIFEXITED(st));
	assert_int_equal(refused, -1);
}

static void
sandbox_kills_the_rest_test(void **state)
{
	void (*const forbidden[])(void) = { opens_a_file, forks, execs, makes_a_socketpair,
		opens_an_inet_socket, opens_a_packet_socket, opens_a_netlink_socket };

	(void)state;
#if !defined(__x86_64__) && !defined(__aarch64__)
	print_message("skipped: no seccomp filter on this architecture\n");
	skip();
#endif
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		int st = in_sandbox(forbidden[i]);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("case %zu: expected death by SIGSYS, got status 0x%x", i, st);
	}
}

/* The call that broke the filter is left for the master, and it has a name. */
static void
sandbox_reports_the_refused_call_test(void **state)
{
	int refused, st;

	(void)state;
#if !defined(__x86_64__) && !defined(__aarch64__)
	print_message("skipped: no seccomp filter on this architecture\n");
	skip();
#endif
	st = in_sandbox_reporting(opens_a_file, &refused);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	assert_int_equal(refused, SYS_openat);
	assert_string_equal(sandbox_syscall_name(refused), "openat");
	assert_null(sandbox_syscall_name(-1));
	assert_null(sandbox_syscall_name(1 << 20));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sandbox_allows_serving_test),
		cmocka_unit_test(sandbox_kills_the_rest_test),
		cmocka_unit_test(sandbox_reports_the_refused_call_test),
		cmocka_unit_test(sandbox_connects_out_test),
	};

	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
