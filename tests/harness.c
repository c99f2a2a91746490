/* Test harness: start the real daemon on picked ports, talk to it, stop it by pid. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <dirent.h>
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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "procutil.h"

void
h_fail_with_log(struct daemon *d, const char *msg)
{
	char *log = h_read_log(d);

	/* print_error truncates; the log can be long */
	fprintf(stderr, "daemon log:\n%s\n", log ? log : "(none)");
	free(log);
	fail_msg("%s", msg);
}

void
h_test_filter(void)
{
	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
}

int64_t
h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
h_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Under NETSRVD_WRAPPER (valgrind) the daemon runs many times slower, and
 * a loaded machine slows it further: a bound that is there only to catch
 * a hang is stretched by this one factor, so no test depends on how fast
 * anything happens.
 */
int
h_hang_ms(int ms)
{
	const char *w = getenv("NETSRVD_WRAPPER");

	return w != NULL && *w != '\0' ? ms * 10 : ms;
}

const char *
h_netsrvd(void)
{
	const char *p = getenv("NETSRVD");

	return p ? p : "../src/netsrvd";
}

const char *
h_srcdir(void)
{
	const char *p = getenv("TOP_SRCDIR");

	return p ? p : "..";
}

int
h_bind_loopback(int type, int port)
{
	return pu_bind_loopback(type, port);
}

/*
 * A random port in 10000-24999, below the ephemeral range (32768-60999 by
 * default) and the install test's ports (25000-31999), free
 * for TCP and UDP right now. Below, because the clients of parallel tests
 * take their local ports from that range by the thousand, and a test that
 * re-binds its port during a reload must not find a client sitting on it.
 */
int
h_free_port(void)
{
	static bool seeded;

	if (!seeded) {
		srandom((unsigned)getpid() ^ (unsigned)h_now_ms());
		seeded = true;
	}
	for (int i = 0; i < 200; i++) {
		int fds[2], port = pu_hold_port(10000 + (int)(random() % 15000), fds);

		if (port != -1) {
			close(fds[0]);
			close(fds[1]);
			return port;
		}
	}
	fail_msg("no free port");
	return -1;
}

void
h_setup(struct daemon *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/netsrvd-test.XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	chmod(d->dir, 0755);
	snprintf(d->conf, sizeof(d->conf), "%s/netsrv.conf", d->dir);
	snprintf(d->pidfile, sizeof(d->pidfile), "%s/netsrvd.pid", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/stderr.log", d->dir);
}

/* With -q, valgrind writes its per-process log only when it has something to say. */
static int
valgrind_reports(struct daemon *d)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
	    "for f in '%s'/vg/vg.*; do [ -s \"$f\" ] && { echo \"== $f\"; cat \"$f\"; exit 1; }; done; exit 0",
	    d->dir);
	if (system(cmd) != 0) {
		print_error("valgrind reported errors or leaks (above)\n");
		return 1;
	}
	return 0;
}

/*
 * The report itself, not the whole log: a log of hostile input (a reload
 * of random bytes) quotes bytes a terminal or cmocka's output would choke
 * on. From the line before the report, escaped, at most 16 KiB.
 */
static void
print_sanitizer_report(const char *log, const char *at)
{
	const char *from = at;
	size_t n = 0;
	char *out = malloc(4 * 16384 + 1);

	if (out == NULL)
		return;
	for (int lines = 0; from > log && lines < 2; from--)
		lines += from[-1] == '\n';
	for (const unsigned char *p = (const unsigned char *)from; *p != '\0' && n < 4 * 16384 - 4; p++) {
		if (*p == '\n' || *p == '\t' || (*p >= 0x20 && *p < 0x7f))
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, 5, "\\x%02x", *p);
	}
	out[n] = '\0';
	print_error("sanitizer report in the daemon's log:\n%s\n", out);
	free(out);
}

/* Sanitizer reports from the daemon (master or workers) land in its stderr log. */
static int
log_sanitizer_reports(struct daemon *d)
{
	static const char *const marks[] = {
		"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
		"WARNING: AddressSanitizer",
	};
	char *log = h_read_log(d);
	int found = 0;

	const char *first = NULL;

	for (size_t i = 0; log != NULL && i < sizeof(marks) / sizeof(marks[0]); i++) {
		const char *at = strstr(log, marks[i]);
		if (at != NULL) {
			found++;
			if (first == NULL || at < first)
				first = at;
		}
	}
	if (found)
		print_sanitizer_report(log, first);
	free(log);
	return found + valgrind_reports(d);
}

/*
 * Kills whatever this test left running, then removes its files. Returns
 * -1 (a failed teardown in cmocka) when the daemon reported a sanitizer
 * error, so a worker that died of one cannot go unnoticed.
 */
int
h_cleanup(struct daemon *d)
{
	char cmd[256];
	int rc = 0;

	if (d->pid > 0 && h_pid_alive(d->pid)) {
		pid_t kids[256];
		int n = h_children(d->pid, kids, 256);
		kill(d->pid, SIGKILL);
		for (int i = 0; i < n; i++)
			kill(kids[i], SIGKILL);
		h_wait_exit(d->pid, 2000);
	}
	d->pid = 0;
	if (d->dir[0] != '\0' && log_sanitizer_reports(d) > 0)
		rc = -1;
	if (d->dir[0] != '\0' && getenv("KEEP_TEST_DIRS") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", d->dir);
	}
	d->dir[0] = '\0';
	return rc;
}

int
h_fixture_setup(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	h_setup(d);
	*state = d;
	return 0;
}

int
h_fixture_teardown(void **state)
{
	int rc = h_cleanup(*state);

	free(*state);
	return rc;
}

int
h_listen_tcp(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

int
h_count_fds(pid_t pid, const char *prefix)
{
	char path[64], link[256], p[320];
	DIR *dir;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		ssize_t k = readlink(p, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		if (prefix == NULL || strncmp(link, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

void
h_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

void
h_write_conf(struct daemon *d, const char *fmt, ...)
{
	char text[16384];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(text));
	/* write then rename: a reload must never read a half-written file */
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->conf);
	h_write_file(tmp, text);
	assert_int_equal(rename(tmp, d->conf), 0);
}

/*
 * NETSRVD_WRAPPER (e.g. "valgrind -q ... --log-file=@DIR@/vg.%p") runs the
 * daemon under a tool; @DIR@ becomes the directory vg in the test's own. (Not an
 * environment variable: the daemon's process title overwrites the
 * original environment block, which is where valgrind would read it.)
 */
static int
add_wrapper(struct daemon *d, const char **argv, char *buf, size_t len)
{
	const char *w = getenv("NETSRVD_WRAPPER");
	const char *at;
	int n = 0;

	if (w == NULL || *w == '\0')
		return 0;
	at = strstr(w, "@DIR@");
	if (at != NULL) {
		/*
		 * valgrind opens a log per process as whoever the process is by
		 * then: a program of a service's user (nobody) too. Not the
		 * test's directory, which holds the pid file and so must not be
		 * writable by everyone: one beside it that is (sticky).
		 */
		char vg[sizeof(d->dir) + 4];
		snprintf(vg, sizeof(vg), "%s/vg", d->dir);
		assert_true(mkdir(vg, 0700) == 0 || errno == EEXIST);
		assert_int_equal(chmod(vg, 01777), 0);
		snprintf(buf, len, "%.*s%s%s", (int)(at - w), w, vg, at + 5);
	} else
		snprintf(buf, len, "%s", w);
	for (char *tok = strtok(buf, " "); tok != NULL && n < 16; tok = strtok(NULL, " "))
		argv[n++] = tok;
	return n;
}

pid_t
h_start(struct daemon *d, const char *const *extra)
{
	const char *argv[48];
	char wrapper[1024];
	int n = 0;
	pid_t pid;

	n = add_wrapper(d, argv, wrapper, sizeof(wrapper));
	argv[n++] = h_netsrvd();
	argv[n++] = "-f";
	argv[n++] = "-c";
	argv[n++] = d->conf;
	argv[n++] = "-p";
	argv[n++] = d->pidfile;
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 47; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd == -1 || dup2(fd, 2) == -1 || dup2(fd, 1) == -1)
			_exit(127);
		if (fd > 2)
			close(fd);
		setpgid(0, 0);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	d->pid = pid;
	return pid;
}

static bool
conf_has_log_target(struct daemon *d)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "grep -q 'target *=' '%s'", d->conf);
	return system(cmd) == 0;
}

void
h_start_serving(struct daemon *d, int port)
{
	h_start(d, NULL);
	/*
	 * The port answers once bound; the master is ready once it says so
	 * (in our log, unless the config sends its log elsewhere).
	 */
	if (h_wait_port("127.0.0.1", port, 10000) != 0 ||
	    (!conf_has_log_target(d) && !h_wait_log(d, "started:", 10000))) {
		char *log = h_read_log(d);
		print_error("daemon log:\n%s\n", log ? log : "(none)");
		free(log);
		fail_msg("netsrvd did not start serving on port %d", port);
	}
}

int
h_wait_exit(pid_t pid, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r == -1)
			return -1;
		h_sleep_ms(10);
	} while (h_now_ms() < end);
	return -1;
}

int
h_stop(struct daemon *d)
{
	int status;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	status = h_wait_exit(d->pid, 15000);
	if (status == -1) {
		kill(d->pid, SIGKILL);
		status = h_wait_exit(d->pid, 2000);
	}
	d->pid = 0;
	if (status == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* 127.0.0.1 or ::1 (any numeric address) and a port, as a sockaddr */
static socklen_t
loopback_sockaddr(const char *addr, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	return sizeof(*s4);
}

int
h_connect(const char *addr, int port, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct pollfd p;
	int fd, err = 0;
	socklen_t el = sizeof(err);

	sl = loopback_sockaddr(addr, port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1 && errno != EINPROGRESS)
		goto fail;
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, h_hang_ms(timeout_ms)) != 1)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int
h_wait_port(const char *addr, int port, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	do {
		int fd = h_connect(addr, port, 200);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	return -1;
}

bool
h_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	int64_t end = h_now_ms() + h_hang_ms(10000);

	while (len > 0 && h_now_ms() < end) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pf = { fd, POLLOUT, 0 };
			poll(&pf, 1, 100);
		} else
			return false;
	}
	return len == 0;
}

ssize_t
h_read_all(int fd, void *buf, size_t max, int timeout_ms)
{
	char *p = buf;
	size_t got = 0;
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	while (got < max) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int left = (int)(end - h_now_ms());
		if (left <= 0 || poll(&pf, 1, left) != 1)
			return -1;
		ssize_t n = recv(fd, p + got, max - got, 0);
		if (n == 0)
			break;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1)
			return -1;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

bool
h_echo(const char *addr, int port, const void *data, size_t len, int timeout_ms)
{
	char *back = malloc(len + 1);
	int fd = h_connect(addr, port, timeout_ms);
	bool ok = false;

	if (fd >= 0 && back != NULL && h_write_all(fd, data, len) &&
	    shutdown(fd, SHUT_WR) == 0 &&
	    h_read_all(fd, back, len + 1, timeout_ms) == (ssize_t)len)
		ok = memcmp(back, data, len) == 0;
	if (fd >= 0)
		close(fd);
	free(back);
	return ok;
}

ssize_t
h_udp_query(const char *addr, int port, const void *q, size_t qlen,
    void *reply, size_t max, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;
	ssize_t n = -1;

	sl = loopback_sockaddr(addr, port, &ss);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (sendto(fd, q, qlen, 0, (struct sockaddr *)&ss, sl) == (ssize_t)qlen) {
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, timeout_ms) == 1)
			n = recv(fd, reply, max, 0);
	}
	close(fd);
	return n;
}

/* h_hammer_stop closes the pipe's other end: this end reads EOF */
static bool
hammer_stopped(int stopfd)
{
	struct pollfd pf = { stopfd, POLLIN, 0 };

	return poll(&pf, 1, 0) != 0;
}

static void
hammer_loop(int port, int uport, int seconds, int outfd, int stopfd, int id)
{
	struct tally t = { 0, 0, 0, 0 };
	int64_t end = h_now_ms() + seconds * 1000L;
	char msg[64], buf[64];

	while (!hammer_stopped(stopfd) && h_now_ms() < end) {
		int len = snprintf(msg, sizeof(msg), "client %d message %ld", id, t.ok);
		if (h_echo("127.0.0.1", port, msg, (size_t)len, 3000))
			t.ok++;
		else
			t.failed++;
		if (uport > 0 && t.ok % 4 == 0) {
			if (h_udp_query("127.0.0.1", uport, msg, (size_t)len, buf, sizeof(buf), h_hang_ms(2000)) == len &&
			    memcmp(buf, msg, (size_t)len) == 0)
				t.udp_ok++;
			else
				t.udp_lost++;
		}
	}
	if (write(outfd, &t, sizeof(t)) != sizeof(t))
		_exit(1);
	_exit(0);
}

void
h_hammer_start(struct hammer *hm, int clients, int port, int uport, int seconds)
{
	int p[2], stop[2];

	assert_true(clients > 0 && clients <= 16);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe2(stop, O_CLOEXEC), 0);
	hm->n = clients;
	for (int i = 0; i < clients; i++) {
		hm->pid[i] = fork();
		assert_true(hm->pid[i] != -1);
		if (hm->pid[i] == 0) {
			close(p[0]);
			close(stop[1]);
			hammer_loop(port, uport, seconds, p[1], stop[0], i);
		}
	}
	close(p[1]);
	close(stop[0]);
	hm->fd = p[0];
	hm->stop = stop[1];
}

void
h_hammer_stop(struct hammer *hm)
{
	if (hm->stop != -1)
		close(hm->stop);
	hm->stop = -1;
}

void
h_hammer_finish(struct hammer *hm, struct tally *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < hm->n; i++) {
		struct tally t;
		int st = h_wait_exit(hm->pid[i], 60000);
		if (st == -1) {
			kill(hm->pid[i], SIGKILL);
			h_wait_exit(hm->pid[i], 2000);
		}
		assert_true(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		assert_int_equal(read(hm->fd, &t, sizeof(t)), sizeof(t));
		sum->ok += t.ok;
		sum->failed += t.failed;
		sum->udp_ok += t.udp_ok;
		sum->udp_lost += t.udp_lost;
	}
	close(hm->fd);
	h_hammer_stop(hm);
}

int
h_notify_open(struct daemon *d, char *path, size_t len)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(path, len, "%s/notify.sock", d->dir);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Reads notify datagrams until one contains want; all of them go to seen. */
bool
h_notify_wait(int fd, const char *want, char *seen, size_t len, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	while (h_now_ms() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		char msg[1024];
		if (poll(&p, 1, (int)(end - h_now_ms())) != 1)
			return false;
		ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n <= 0)
			return false;
		msg[n] = '\0';
		strncat(seen, msg, len - strlen(seen) - 2);
		strcat(seen, "|");
		if (strstr(msg, want) != NULL)
			return true;
	}
	return false;
}

static int
scan_children(pid_t master, pid_t *out, int max, enum pu_which which)
{
	int n = pu_children(master, which, out, max);

	assert_true(n >= 0);	/* /proc is there */
	return n;
}

int
h_children(pid_t master, pid_t *out, int max)
{
	return scan_children(master, out, max, PU_ALL);
}

int
h_count_children(pid_t master)
{
	return scan_children(master, NULL, 0, PU_ALL);
}

int
h_count_zombies(pid_t master)
{
	/* a child that just exited is a zombie until the master's next reap: count those that stay */
	int64_t end = h_now_ms() + h_hang_ms(3000);
	int n;

	while ((n = scan_children(master, NULL, 0, PU_ZOMBIES)) > 0 && h_now_ms() < end)
		h_sleep_ms(20);
	return n;
}

bool
h_wait_children(pid_t master, int n, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	do {
		if (h_count_children(master) == n)
			return true;
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	return false;
}

bool
h_pid_alive(pid_t pid)
{
	char state;
	pid_t ppid;

	return pu_stat(pid, &state, &ppid) && state != 'Z';
}

bool
h_wait_gone(pid_t pid, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	while (h_pid_alive(pid)) {
		if (h_now_ms() > end)
			return false;
		h_sleep_ms(20);
	}
	return true;
}

void
h_read_probe_pids(struct daemon *d, const char *path, long pids[3])
{
	int64_t end = h_now_ms() + h_hang_ms(3000);
	FILE *f;

	while ((f = fopen(path, "r")) == NULL || fscanf(f, "%ld %ld %ld", &pids[0], &pids[1], &pids[2]) != 3) {
		if (f != NULL)
			fclose(f);
		if (h_now_ms() > end)
			h_fail_with_log(d, "the program never wrote its pids");
		h_sleep_ms(20);
	}
	fclose(f);
}

void
h_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	int fd;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	fd = open(path, O_RDONLY);
	if (fd == -1)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\0')
		n--;	/* a process title pads with NULs */
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
}

char *
h_read_log(struct daemon *d)
{
	FILE *f = fopen(d->log, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

int
h_log_count(struct daemon *d, const char *needle)
{
	char *log = h_read_log(d);
	int n = 0;

	for (char *p = log; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(log);
	return n;
}

bool
h_log_contains(struct daemon *d, const char *needle)
{
	return h_log_count(d, needle) > 0;
}

bool
h_wait_log_count(struct daemon *d, const char *needle, int n, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	do {
		if (h_log_count(d, needle) >= n)
			return true;
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	return false;
}

bool
h_wait_log(struct daemon *d, const char *needle, int timeout_ms)
{
	return h_wait_log_count(d, needle, 1, timeout_ms);
}

/* A whole /metrics page (up to its size), or NULL if the status service did not answer. */
static const char *
metrics_page(int sport)
{
	static char page[1 << 20];
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	int fd = h_connect("127.0.0.1", sport, 2000);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = h_write_all(fd, req, strlen(req)) ? h_read_all(fd, page, sizeof(page) - 1, 3000) : -1;
	close(fd);
	if (n <= 0)
		return NULL;
	page[n] = '\0';
	return strncmp(page, "HTTP/1.0 200 ", 13) == 0 ? page : NULL;
}

long long
h_metric(int sport, const char *series)
{
	const char *page = metrics_page(sport), *p;
	size_t n = strlen(series);

	/* the series whole, at the start of a line: not a longer name, not another label set */
	for (p = page; p != NULL && (p = strstr(p, series)) != NULL; p += n)
		if (p > page && p[-1] == '\n' && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

long long
h_wait_metric(int sport, const char *series, enum h_cmp cmp, long long want, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);
	long long v;

	for (;;) {
		v = h_metric(sport, series);
		if (v == want || (cmp == H_AT_LEAST && v > want))
			return v;
		if (h_now_ms() > end)
			return v;
		h_sleep_ms(20);
	}
}

int
h_run(const char *const *argv, char *out, size_t outlen, int timeout_ms)
{
	int p[2], status;
	size_t got = 0;
	pid_t pid;
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if (dup2(p[1], 1) == -1 || dup2(p[1], 2) == -1)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		int left = (int)(end - h_now_ms());
		if (left <= 0 || poll(&pf, 1, left) != 1)
			break;
		char tmp[4096];
		ssize_t n = read(p[0], tmp, sizeof(tmp));
		if (n <= 0)
			break;
		if (out != NULL && got + 1 < outlen) {
			size_t c = (size_t)n < outlen - 1 - got ? (size_t)n : outlen - 1 - got;
			memcpy(out + got, tmp, c);
			got += c;
		}
	}
	close(p[0]);
	if (out != NULL)
		out[got] = '\0';
	status = h_wait_exit(pid, (int)(end - h_now_ms()) > 0 ? (int)(end - h_now_ms()) : 1);
	if (status == -1) {
		kill(pid, SIGKILL);
		h_wait_exit(pid, 2000);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
h_sysctl_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

bool
h_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

const char *
h_exec_probe(void)
{
	static char path[512];
	const char *b = getenv("TOP_BUILDDIR");

	snprintf(path, sizeof(path), "%s/tests/exec-probe", b != NULL ? b : ".");
	return path;
}
