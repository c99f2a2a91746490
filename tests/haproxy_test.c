/*
 * Behind a load balancer, run for real: netsrvd with proxy_from behind
 * HAProxy (Debian's package, started by pid on ports picked here, with a
 * config written here, stopped by pid), and PROXY headers sent straight
 * to netsrvd, good and hostile. HAProxy is required as root (CI installs
 * it with build-aux/install-deps check); a user without it gets the
 * HAProxy cases skipped, the others still run.
 *
 * HAPROXY_TEST_LOG=1 prints the logs of each case at teardown.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "accesslog.h"
#include "harness.h"

/* Every wait in this file is bounded by one of these. */
#define IO_MS		5000	/* an answer that should come at once */
#define QUIET_MS	500	/* how long "nothing was sent" is watched */
#define HEADER_MS	3000	/* netsrvd's deadline for a whole header */

/* A client that is neither HAProxy (127.0.0.1) nor in proxy_from. */
#define CLIENT		"127.0.0.2"
#define DENIED		"127.0.0.3"

struct haproxy {
	pid_t pid;
	char cfg[300];
	char log[300];
	char sock[300];		/* its runtime API (stats socket, level admin) */
};

struct fixture {
	struct daemon d[2];
	struct haproxy h;
	struct hammer hm;
	bool hammering;
};

static int
fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	h_setup(&f->d[0]);
	h_setup(&f->d[1]);
	*state = f;
	return 0;
}

static void
print_file(const char *what, const char *path)
{
	char *text = NULL;
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		text = calloc(1, 1 << 20);
		if (text != NULL)
			n = fread(text, 1, (1 << 20) - 1, fp);
		fclose(fp);
	}
	fprintf(stderr, "--- %s (%s):\n%.*s\n", what, path, (int)n, text != NULL ? text : "");
	free(text);
}

static void
haproxy_stop(struct haproxy *h)
{
	if (h->pid <= 0)
		return;
	kill(h->pid, SIGTERM);
	if (h_wait_exit(h->pid, 5000) == -1) {
		kill(h->pid, SIGKILL);
		h_wait_exit(h->pid, 2000);
	}
	h->pid = 0;
}

/* Whatever a case started is stopped here, by pid, even when it failed. */
static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;
	int rc = 0;

	if (f == NULL)
		return 0;
	if (f->hammering) {
		struct tally t;
		h_hammer_finish(&f->hm, &t);
	}
	haproxy_stop(&f->h);
	if (getenv("HAPROXY_TEST_LOG") != NULL) {
		print_file("netsrvd 1", f->d[0].log);
		print_file("netsrvd 2", f->d[1].log);
		if (f->h.log[0] != '\0')
			print_file("haproxy", f->h.log);
	}
	rc |= h_cleanup(&f->d[0]);
	rc |= h_cleanup(&f->d[1]);
	free(f);
	*state = NULL;
	return rc;
}

/* ---- netsrvd --------------------------------------------------------- */

static void
write_conf(struct daemon *d, const char *services)
{
	h_write_conf(d,
	    "pid_file = \"%s\";\n"
	    "log = { target = \"stderr\"; level = \"info\"; connections = true; };\n"
	    "workers = 2;\n"
	    "timeout = 5;\n"
	    "shutdown_timeout = 5;\n"
	    "services = (\n%s\n);\n", d->pidfile, services);
}

static void
start(struct daemon *d, int port)
{
	h_start_serving(d, port);
	if (!h_wait_log(d, "notice: started:", IO_MS))
		h_fail_with_log(d, "netsrvd did not log \"started:\"");
}

static void
wait_log(struct daemon *d, const char *needle)
{
	char msg[512];

	if (!h_wait_log(d, needle, IO_MS)) {
		snprintf(msg, sizeof(msg), "no \"%s\" in the log", needle);
		h_fail_with_log(d, msg);
	}
}

/* An access-log line with every pair of want (accesslog.h), into *l when l is not NULL. */
static void
wait_access(struct daemon *d, const char *want, struct al_line *l)
{
	char msg[512];

	if (!al_wait(d, want, l, IO_MS)) {
		snprintf(msg, sizeof(msg), "no access-log line with %s", want);
		h_fail_with_log(d, msg);
	}
}

/* The end=refused reason=proxy line of 127.0.0.1:lport's connection to service; its detail begins with why. */
static void
wait_proxy_refusal(struct daemon *d, const char *service, int lport, const char *why)
{
	char want[160];
	struct al_line l;
	const char *detail;

	snprintf(want, sizeof(want), "service=%s peer=127.0.0.1:%d end=refused reason=proxy", service, lport);
	wait_access(d, want, &l);
	detail = al_get(&l, "detail");
	if (detail == NULL || strncmp(detail, why, strlen(why)) != 0)
		fail_msg("%s: detail \"%s\", not \"%s...\"", want, detail ? detail : "(none)", why);
}

/* The access log line that holds needle, for the report. */
static void
print_log_line(struct daemon *d, const char *needle)
{
	char *log = h_read_log(d), *p, *bol, *eol;

	if (log == NULL || (p = strstr(log, needle)) == NULL) {
		free(log);
		return;
	}
	for (bol = p; bol > log && bol[-1] != '\n'; bol--)
		;
	eol = strchr(p, '\n');
	print_message("    %.*s\n", eol != NULL ? (int)(eol - bol) : (int)strlen(bol), bol);
	free(log);
}

/* Access log lines of relayed clients that sent something (a port probe through HAProxy sends nothing). */
static int
count_relayed(struct daemon *d)
{
	char *log = h_read_log(d), *line, *save = NULL;
	int n = 0;

	for (line = log != NULL ? strtok_r(log, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		n += strstr(line, " proxy=127.0.0.1:") != NULL && strstr(line, " in=0 ") == NULL;
	free(log);
	return n;
}

/* ---- clients --------------------------------------------------------- */

/* A TCP connection from src (a 127/8 address) to 127.0.0.1:port; *lport: its port. */
static int
connect_from(const char *src, int port, int *lport)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct timeval tv = { IO_MS / 1000, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, src, &sa.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	if (lport != NULL)
		*lport = ntohs(sa.sin_port);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), 1);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		fail_msg("connect from %s to port %d: %s", src, port, strerror(errno));
	return fd;
}

/*
 * Reads until EOF, a reset or timeout_ms; returns the bytes read and
 * whether the connection ended (closed or reset) rather than went quiet.
 */
static ssize_t
read_until_end(int fd, char *buf, size_t max, int timeout_ms, bool *ended)
{
	int64_t end = h_now_ms() + timeout_ms;
	size_t got = 0;

	*ended = false;
	while (got < max) {
		int left = (int)(end - h_now_ms());
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) != 1)
			break;
		n = recv(fd, buf + got, max - got, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			*ended = true;
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			*ended = true;
			break;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Reads exactly len bytes within IO_MS. */
static bool
read_exact(int fd, char *buf, size_t len)
{
	int64_t end = h_now_ms() + IO_MS;
	size_t got = 0;

	while (got < len) {
		int left = (int)(end - h_now_ms());
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) != 1)
			return false;
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
			return false;
		if (n > 0)
			got += (size_t)n;
	}
	return true;
}

/* Nothing arrives for QUIET_MS: a service that speaks first waited. */
static void
assert_quiet(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, QUIET_MS), 0);
}

/* An echo round trip on fd: msg comes back, and nothing else. */
static void
assert_echoes(int fd, const char *msg)
{
	char buf[256];
	size_t len = strlen(msg);

	assert_true(h_write_all(fd, msg, len));
	if (!read_exact(fd, buf, len))
		fail_msg("no echo of \"%s\"", msg);
	assert_memory_equal(buf, msg, len);
}

/* A daytime line: "Weekday, Month DD, YYYY HH:MM:SS-UTC\r\n", then the end. */
static void
assert_daytime(int fd)
{
	char buf[128];
	bool ended;
	ssize_t n = read_until_end(fd, buf, sizeof(buf) - 1, IO_MS, &ended);

	assert_true(n > 8);
	assert_true(ended);
	buf[n] = '\0';
	if (strstr(buf, "-UTC\r\n") == NULL || buf[n - 1] != '\n')
		fail_msg("not a daytime line: \"%s\"", buf);
}

/* The connection ends, and not a byte came before: refused. */
static void
assert_refused_silently(int fd, int within_ms)
{
	char buf[64];
	bool ended;
	ssize_t n = read_until_end(fd, buf, sizeof(buf), within_ms, &ended);

	assert_int_equal(n, 0);
	assert_true(ended);
}

/* ---- PROXY headers, as a balancer writes them ----------------------- */

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* Version 2, PROXY, TCP over IPv4 from src:sport to 127.0.0.1:dport. */
static size_t
v2_header(unsigned char *out, const char *src, int sport, int dport)
{
	struct in_addr s, d;

	assert_int_equal(inet_pton(AF_INET, src, &s), 1);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &d), 1);
	memcpy(out, v2_sig, 12);
	out[12] = 0x21;
	out[13] = 0x11;
	out[14] = 0;
	out[15] = 12;
	memcpy(out + 16, &s, 4);
	memcpy(out + 20, &d, 4);
	out[24] = (unsigned char)(sport >> 8);
	out[25] = (unsigned char)sport;
	out[26] = (unsigned char)(dport >> 8);
	out[27] = (unsigned char)dport;
	return 28;
}

/* Connects from 127.0.0.1 and sends a v2 header naming src:sport; the client's bytes follow. */
static int
connect_relayed(int port, const char *src, int sport, int *lport)
{
	unsigned char h[32];
	size_t n = v2_header(h, src, sport, port);
	int fd = connect_from("127.0.0.1", port, lport);

	assert_true(h_write_all(fd, h, n));
	return fd;
}

/* ---- HAProxy ---------------------------------------------------------- */

static const char *
haproxy_path(void)
{
	static const char *const where[] = { "/usr/sbin/haproxy", "/usr/local/sbin/haproxy",
		"/usr/bin/haproxy", "/usr/local/bin/haproxy" };

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* As root (CI) HAProxy must be there; a user without it skips, saying so. */
static void
need_haproxy(void)
{
	if (haproxy_path() != NULL)
		return;
	if (geteuid() == 0)
		fail_msg("haproxy is not installed: build-aux/install-deps check installs it");
	print_message("skipped: haproxy is not installed (build-aux/install-deps check)\n");
	skip();
}

/* Writes the config (global and defaults, then body), checks it, starts HAProxy, waits for port. */
static void
haproxy_start(struct haproxy *h, struct daemon *d, int port, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
haproxy_start(struct haproxy *h, struct daemon *d, int port, const char *fmt, ...)
{
	char body[4096], out[4096];
	va_list ap;
	FILE *fp;
	pid_t pid;

	snprintf(h->cfg, sizeof(h->cfg), "%s/haproxy.cfg", d->dir);
	snprintf(h->log, sizeof(h->log), "%s/haproxy.log", d->dir);
	snprintf(h->sock, sizeof(h->sock), "%s/haproxy.sock", d->dir);
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	fp = fopen(h->cfg, "w");
	assert_non_null(fp);
	fprintf(fp,
	    "global\n"
	    "    nbthread 1\n"
	    "    log stderr format short local0 notice\n"
	    "    stats socket %s mode 600 level admin\n"
	    "defaults\n"
	    "    mode tcp\n"
	    "    log global\n"
	    "    timeout connect 2s\n"
	    "    timeout client 10s\n"
	    "    timeout server 10s\n"
	    "    timeout check 1s\n"
	    "%s", h->sock, body);
	assert_int_equal(fclose(fp), 0);
	{
		const char *argv[] = { haproxy_path(), "-c", "-q", "-f", h->cfg, NULL };
		if (h_run(argv, out, sizeof(out), 10000) != 0)
			fail_msg("haproxy -c %s:\n%s", h->cfg, out);
	}
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(127);
		setpgid(0, 0);
		execl(haproxy_path(), "haproxy", "-db", "-f", h->cfg, (char *)NULL);
		_exit(127);
	}
	h->pid = pid;
	if (h_wait_port("127.0.0.1", port, IO_MS) != 0) {
		print_file("haproxy", h->log);
		fail_msg("haproxy did not listen on port %d", port);
	}
}

/* One command to HAProxy's runtime API; its answer in out. */
static void
haproxy_cmd(struct haproxy *h, const char *cmd, char *out, size_t len)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(h->sock) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, h->sock, strlen(h->sock) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail_msg("connect %s: %s", h->sock, strerror(errno));
	assert_true(h_write_all(fd, cmd, strlen(cmd)));
	assert_true(h_write_all(fd, "\n", 1));
	n = h_read_all(fd, out, len - 1, IO_MS);
	close(fd);
	assert_true(n >= 0);
	out[n] = '\0';
}

/* The sessions HAProxy has open to a server now ("scur" of show stat), or -1. */
static int
haproxy_sessions(struct haproxy *h, const char *backend, const char *server)
{
	static char stat[65536];
	char prefix[128];
	const char *p;
	int scur = -1;

	haproxy_cmd(h, "show stat", stat, sizeof(stat));
	snprintf(prefix, sizeof(prefix), "\n%s,%s,", backend, server);
	p = strstr(stat, prefix);
	/* pxname,svname,qcur,qmax,scur,... */
	if (p != NULL && sscanf(p + strlen(prefix), "%*[^,],%*[^,],%d", &scur) != 1)
		scur = -1;
	return scur;
}

/* ---- straight to netsrvd ------------------------------------------------ */

/* A status service to wait on and read metrics from: a probe of a proxy_from port would be refused. */
#define STATUS "{ name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; }"

#define PROXIED(name, handler, port) \
	"{ name = \"" name "\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"" handler "\"; proxy_from = [ \"127.0.0.1/32\" ]; "

/*
 * Headers straight from a client in proxy_from: the client they name is
 * the peer (access log, status table, max_per_source, allow/deny), the
 * bytes after the header in the same segment reach the handler, a
 * service that speaks first waits for the header, LOCAL keeps the real
 * peer, and a source outside proxy_from is never parsed.
 */
static void
haproxy_direct_headers_test(void **state)
{
	struct fixture *f = *state;
	struct daemon *d = &f->d[0];
	int echo = h_free_port(), day = h_free_port(), st = h_free_port();
	char svcs[2048], needle[256], buf[256];
	unsigned char h[64];
	size_t n;
	int fd, fd2, fd3, lport, lport2;

	snprintf(svcs, sizeof(svcs),
	    PROXIED("echo", "echo", echo) "max_per_source = 1; deny = [ \"203.0.113.66\" ]; },\n"
	    PROXIED("daytime", "daytime", day) "},\n" STATUS,
	    echo, day, st);
	write_conf(d, svcs);
	start(d, st);

	/* version 2 and the client's first bytes in one write: only the bytes come back */
	n = v2_header(h, "203.0.113.7", 4711, echo);
	memcpy(h + n, "abc", 3);
	fd = connect_from("127.0.0.1", echo, &lport);
	assert_true(h_write_all(fd, h, n + 3));
	assert_true(read_exact(fd, buf, 3));
	assert_memory_equal(buf, "abc", 3);
	assert_echoes(fd, "and more\n");

	/* the status table shows the client, and the balancer apart */
	{
		static char table[65536];
		const char *status;
		int sfd = h_connect("127.0.0.1", st, IO_MS);
		ssize_t got;

		assert_true(sfd >= 0);
		got = h_read_all(sfd, table, sizeof(table) - 1, IO_MS);
		close(sfd);
		assert_true(got > 0);
		table[got] = '\0';
		assert_non_null(strstr(table, " PROXY "));
		assert_non_null(strstr(table, "CONNS   GEN\r\n"));
		snprintf(needle, sizeof(needle), "127.0.0.1:%d", lport);
		status = strstr(table, "203.0.113.7:4711");
		if (status == NULL || strstr(status, needle) == NULL || strchr(status, '\n') < strstr(status, needle))
			fail_msg("no line with client 203.0.113.7:4711 and proxy %s in:\n%s", needle, table);
		print_message("    status: %.*s\n", (int)(strchr(status, '\r') - status), status);
	}

	/* max_per_source counts the client: a second connection of 203.0.113.7 is refused, another client served */
	fd2 = connect_relayed(echo, "203.0.113.7", 4712, NULL);
	assert_refused_silently(fd2, IO_MS);
	close(fd2);
	wait_access(d, "service=echo peer=203.0.113.7:4712 proxy=127.0.0.1:* end=refused reason=per_source", NULL);
	fd2 = connect_relayed(echo, "203.0.113.8", 4713, NULL);
	assert_echoes(fd2, "other client\n");
	close(fd2);
	close(fd);
	snprintf(needle, sizeof(needle), "service=echo peer=203.0.113.7:4711 proxy=127.0.0.1:%d in=", lport);
	wait_log(d, needle);
	print_log_line(d, needle);

	/* deny matches the client, not the balancer */
	fd = connect_relayed(echo, "203.0.113.66", 4714, NULL);
	assert_refused_silently(fd, IO_MS);
	close(fd);
	wait_access(d, "service=echo peer=203.0.113.66:4714 proxy=127.0.0.1:* end=refused reason=acl", NULL);

	/* version 1, same segment */
	fd = connect_from("127.0.0.1", echo, &lport);
	snprintf(buf, sizeof(buf), "PROXY TCP4 198.51.100.9 127.0.0.1 61000 %d\r\nv1 data\n", echo);
	assert_true(h_write_all(fd, buf, strlen(buf)));
	assert_true(read_exact(fd, buf, 8));
	assert_memory_equal(buf, "v1 data\n", 8);
	close(fd);
	snprintf(needle, sizeof(needle), "service=echo peer=198.51.100.9:61000 proxy=127.0.0.1:%d in=8 ", lport);
	wait_log(d, needle);

	/* LOCAL (a health check): the real peer stands, no proxy field */
	n = v2_header(h, "203.0.113.7", 1, echo);
	h[12] = 0x20;
	h[13] = 0x00;
	h[15] = 0;
	fd = connect_from("127.0.0.1", echo, &lport);
	assert_true(h_write_all(fd, h, 16));
	assert_echoes(fd, "check\n");
	close(fd);
	snprintf(needle, sizeof(needle), "service=echo peer=127.0.0.1:%d in=6 ", lport);
	wait_log(d, needle);

	/* daytime speaks first, but not before the header */
	fd = connect_from("127.0.0.1", day, &lport);
	assert_quiet(fd);
	n = v2_header(h, "192.0.2.44", 5555, day);
	assert_true(h_write_all(fd, h, n));
	assert_daytime(fd);
	close(fd);
	snprintf(needle, sizeof(needle), "service=daytime peer=192.0.2.44:5555 proxy=127.0.0.1:%d in=0 ", lport);
	wait_log(d, needle);

	/* a client outside proxy_from is an ordinary client: a header is just its bytes */
	fd3 = connect_from(CLIENT, echo, &lport2);
	assert_echoes(fd3, "PROXY TCP4 1.2.3.4 1.2.3.4 5 7\r\n");
	close(fd3);
	snprintf(needle, sizeof(needle), "service=echo peer=" CLIENT ":%d in=32 ", lport2);
	wait_log(d, needle);
	assert_int_equal(h_metric(st, "netsrvd_refused_total{service=\"echo\",reason=\"proxy\"}"), 0);
	assert_int_equal(h_stop(d), 0);
}

/*
 * Hostile headers straight to netsrvd: malformed, truncated, slow (a byte
 * a second), an oversized version 2 length, a version 1 line without CRLF
 * within 107 bytes, and none at all. Each is closed before a byte is
 * served, logged with its reason, counted as refused with reason proxy;
 * the ones that cannot become valid are closed at once, the others at
 * the 3 s deadline. A good client is served after all of them.
 */
static void
haproxy_hostile_headers_test(void **state)
{
	struct fixture *f = *state;
	struct daemon *d = &f->d[0];
	int echo = h_free_port(), day = h_free_port(), st = h_free_port();
	char svcs[2048], buf[256];
	unsigned char h[64];
	const char *slow = "PROXY TCP4 192.0.2.1 127.0.0.1 1000 7\r\n";
	int64_t t0, took;
	int fd, lport;
	unsigned long long refused = 0;

	snprintf(svcs, sizeof(svcs),
	    PROXIED("echo", "echo", echo) "workers = 4; },\n"
	    PROXIED("daytime", "daytime", day) "},\n" STATUS,
	    echo, day, st);
	write_conf(d, svcs);
	start(d, st);

	/* malformed: an HTTP request where the header should be, refused at once */
	fd = connect_from("127.0.0.1", echo, &lport);
	t0 = h_now_ms();
	assert_true(h_write_all(fd, "GET / HTTP/1.0\r\n\r\n", 18));
	assert_refused_silently(fd, HEADER_MS - 500);
	took = h_now_ms() - t0;
	close(fd);
	wait_proxy_refusal(d, "echo", lport, "not a PROXY protocol header");
	print_message("    malformed: closed after %lld ms\n", (long long)took);
	refused++;

	/* malformed version 1 field: a leading zero */
	fd = connect_from("127.0.0.1", echo, &lport);
	snprintf(buf, sizeof(buf), "PROXY TCP4 192.0.2.01 127.0.0.1 1000 %d\r\nhello\n", echo);
	assert_true(h_write_all(fd, buf, strlen(buf)));
	assert_refused_silently(fd, HEADER_MS - 500);
	close(fd);
	wait_proxy_refusal(d, "echo", lport, "version 1: an address");
	refused++;

	/* oversized version 2 length: refused from its 16th byte, never waited on */
	assert_int_equal(v2_header(h, "192.0.2.1", 1000, echo), 28);
	h[14] = h[15] = 0xff;
	fd = connect_from("127.0.0.1", echo, &lport);
	t0 = h_now_ms();
	assert_true(h_write_all(fd, h, 16));
	assert_refused_silently(fd, HEADER_MS - 500);
	took = h_now_ms() - t0;
	close(fd);
	wait_proxy_refusal(d, "echo", lport, "version 2: longer than 4096 bytes");
	print_message("    oversized v2 length: closed after %lld ms\n", (long long)took);
	refused++;

	/* version 1 without CRLF within 107 bytes */
	memset(buf, '1', sizeof(buf));
	memcpy(buf, "PROXY TCP4 ", 11);
	fd = connect_from("127.0.0.1", echo, &lport);
	assert_true(h_write_all(fd, buf, 120));
	assert_refused_silently(fd, HEADER_MS - 500);
	close(fd);
	wait_proxy_refusal(d, "echo", lport, "version 1: no CRLF within 107 bytes");
	refused++;

	/* truncated: half a version 2 address block, then the sender closes */
	assert_int_equal(v2_header(h, "192.0.2.1", 1000, echo), 28);
	fd = connect_from("127.0.0.1", echo, &lport);
	assert_true(h_write_all(fd, h, 22));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_refused_silently(fd, HEADER_MS - 500);
	close(fd);
	wait_proxy_refusal(d, "echo", lport, "closed before a whole header");
	refused++;

	/* truncated and left open: late at the deadline */
	fd = connect_from("127.0.0.1", echo, &lport);
	t0 = h_now_ms();
	assert_true(h_write_all(fd, h, 22));
	assert_refused_silently(fd, HEADER_MS + h_hang_ms(IO_MS));
	took = h_now_ms() - t0;
	close(fd);
	/* not before the deadline; after it, only a bound on a hang */
	assert_true(took >= HEADER_MS - 100 && took < HEADER_MS + h_hang_ms(IO_MS));
	wait_proxy_refusal(d, "echo", lport, "no whole header within 3 s");
	refused++;

	/* slow: a valid header at a byte a second is late all the same */
	fd = connect_from("127.0.0.1", echo, &lport);
	t0 = h_now_ms();
	{
		bool ended = false;
		for (size_t i = 0; i < strlen(slow) && !ended; i++) {
			ssize_t got;

			if (send(fd, slow + i, 1, MSG_NOSIGNAL) != 1)
				break;
			got = read_until_end(fd, buf, sizeof(buf), 1000, &ended);
			assert_int_equal(got, 0);
		}
		assert_true(ended || h_now_ms() - t0 >= HEADER_MS);
	}
	assert_refused_silently(fd, h_hang_ms(IO_MS));
	took = h_now_ms() - t0;
	close(fd);
	print_message("    slow (1 byte/s): closed after %lld ms\n", (long long)took);
	/* not before the deadline; after it, only a bound on a hang */
	assert_true(took >= HEADER_MS - 100 && took < HEADER_MS + h_hang_ms(IO_MS));
	wait_proxy_refusal(d, "echo", lport, "no whole header within 3 s");
	refused++;

	/* none at all, to a service that speaks first: not a byte of daytime */
	fd = connect_from("127.0.0.1", day, &lport);
	t0 = h_now_ms();
	assert_refused_silently(fd, HEADER_MS + h_hang_ms(IO_MS));
	took = h_now_ms() - t0;
	close(fd);
	assert_true(took >= HEADER_MS - 100);
	wait_proxy_refusal(d, "daytime", lport, "no whole header within 3 s");

	/* each counted as refused with reason proxy; none was served, so no other line */
	assert_int_equal(h_wait_metric(st, "netsrvd_refused_total{service=\"echo\",reason=\"proxy\"}",
	    H_AT_LEAST, refused, IO_MS), refused);
	assert_int_equal(h_wait_metric(st, "netsrvd_refused_total{service=\"daytime\",reason=\"proxy\"}",
	    H_AT_LEAST, 1, IO_MS), 1);
	assert_int_equal(h_metric(st, "netsrvd_connections_total{service=\"echo\"}"), 0);
	assert_int_equal(al_count(d, "service=echo"), (int)refused);
	assert_int_equal(al_count(d, "service=echo end=refused reason=proxy"), (int)refused);
	assert_int_equal(al_count(d, "service=daytime"), 1);

	/* and a good header is still served */
	fd = connect_relayed(echo, "192.0.2.99", 999, NULL);
	assert_echoes(fd, "still here\n");
	close(fd);
	wait_log(d, "service=echo peer=192.0.2.99:999 proxy=127.0.0.1:");
	assert_int_equal(h_stop(d), 0);
}

/* ---- through HAProxy ------------------------------------------------ */

/*
 * send-proxy and send-proxy-v2 in front of echo and daytime: the client
 * (127.0.0.2, its own port) is the peer of netsrvd's access log, with
 * HAProxy as its proxy.
 */
static void
haproxy_send_proxy_test(void **state)
{
	struct fixture *f = *state;
	struct daemon *d = &f->d[0];
	int echo = h_free_port(), day = h_free_port(), st = h_free_port();
	int fe[4] = { h_free_port(), h_free_port(), h_free_port(), h_free_port() };
	const char *mode[2] = { "send-proxy", "send-proxy-v2" };
	char svcs[1024], needle[256];
	int fd, lport;

	need_haproxy();
	snprintf(svcs, sizeof(svcs), PROXIED("echo", "echo", echo) "},\n" PROXIED("daytime", "daytime", day) "},\n"
	    STATUS, echo, day, st);
	write_conf(d, svcs);
	start(d, st);
	haproxy_start(&f->h, d, fe[3],
	    "listen echo-v1\n    bind 127.0.0.1:%d\n    server n1 127.0.0.1:%d send-proxy\n"
	    "listen echo-v2\n    bind 127.0.0.1:%d\n    server n1 127.0.0.1:%d send-proxy-v2\n"
	    "listen daytime-v1\n    bind 127.0.0.1:%d\n    server n1 127.0.0.1:%d send-proxy\n"
	    "listen daytime-v2\n    bind 127.0.0.1:%d\n    server n1 127.0.0.1:%d send-proxy-v2\n",
	    fe[0], echo, fe[1], echo, fe[2], day, fe[3], day);

	for (int v = 0; v < 2; v++) {
		fd = connect_from(CLIENT, fe[v], &lport);
		assert_echoes(fd, "through haproxy\n");
		close(fd);
		snprintf(needle, sizeof(needle), "service=echo peer=" CLIENT ":%d proxy=127.0.0.1:", lport);
		wait_log(d, needle);
		print_message("    echo, %s:\n", mode[v]);
		print_log_line(d, needle);

		fd = connect_from(CLIENT, fe[2 + v], &lport);
		assert_daytime(fd);
		close(fd);
		snprintf(needle, sizeof(needle), "service=daytime peer=" CLIENT ":%d proxy=127.0.0.1:", lport);
		wait_log(d, needle);
		print_message("    daytime, %s:\n", mode[v]);
		print_log_line(d, needle);
	}
	assert_int_equal(al_count(d, "end=refused"), 0);
	haproxy_stop(&f->h);
	assert_int_equal(h_stop(d), 0);
}

/* deny on the client's address refuses it through HAProxy; another client, and HAProxy itself, pass. */
static void
haproxy_deny_test(void **state)
{
	struct fixture *f = *state;
	struct daemon *d = &f->d[0];
	int echo = h_free_port(), fe = h_free_port(), st = h_free_port();
	char svcs[1024], needle[256];
	int fd, lport;

	need_haproxy();
	snprintf(svcs, sizeof(svcs), PROXIED("echo", "echo", echo) "deny = [ \"" DENIED "\" ]; },\n" STATUS,
	    echo, st);
	write_conf(d, svcs);
	start(d, st);
	haproxy_start(&f->h, d, fe,
	    "listen echo\n    bind 127.0.0.1:%d\n    server n1 127.0.0.1:%d send-proxy-v2\n", fe, echo);

	fd = connect_from(DENIED, fe, &lport);
	assert_true(h_write_all(fd, "let me in\n", 10));
	assert_refused_silently(fd, IO_MS);
	close(fd);
	snprintf(needle, sizeof(needle), "service=echo peer=" DENIED ":%d proxy=127.0.0.1:* end=refused reason=acl", lport);
	wait_access(d, needle, NULL);
	print_message("    %s\n", needle);

	fd = connect_from(CLIENT, fe, &lport);
	assert_echoes(fd, "welcome\n");
	close(fd);
	snprintf(needle, sizeof(needle), "service=echo peer=" CLIENT ":%d proxy=127.0.0.1:", lport);
	wait_log(d, needle);
	/* the denied client was never served: its lines are refusals (one per HAProxy retry) */
	assert_int_equal(al_count(d, "service=echo peer=" DENIED ":*"),
	    al_count(d, "service=echo peer=" DENIED ":* end=refused reason=acl"));
	haproxy_stop(&f->h);
	assert_int_equal(h_stop(d), 0);
}

/*
 * Scale-out: two netsrvd behind one HAProxy (round robin, health checks
 * with a LOCAL header, retries and redispatch). Clients hammer through
 * HAProxy while one netsrvd is drained at the balancer, stopped
 * gracefully (SIGTERM) and later started again: no client connection
 * fails, and both served (their metrics, and their access logs for the
 * exact shares).
 */
#define SCALE_CLIENTS	4
#define SCALE_SECONDS	9

static void
haproxy_scale_out_test(void **state)
{
	struct fixture *f = *state;
	int echo[2] = { h_free_port(), h_free_port() }, st[2] = { h_free_port(), h_free_port() };
	int fe = h_free_port();
	char svcs[1024], answer[512];
	long long served[2], before_stop;
	int sessions;
	int relayed[2];
	struct tally t;
	int64_t t0;

	need_haproxy();
	for (int i = 0; i < 2; i++) {
		snprintf(svcs, sizeof(svcs), PROXIED("echo", "echo", echo[i]) "max_per_source = 0; },\n" STATUS,
		    echo[i], st[i]);
		write_conf(&f->d[i], svcs);
		start(&f->d[i], st[i]);
	}
	haproxy_start(&f->h, &f->d[0], fe,
	    "listen echo\n"
	    "    bind 127.0.0.1:%d\n"
	    "    balance roundrobin\n"
	    "    retries 3\n"
	    "    option redispatch 1\n"
	    "    default-server send-proxy-v2 check check-send-proxy inter 200ms fall 1 rise 1\n"
	    "    server n1 127.0.0.1:%d\n"
	    "    server n2 127.0.0.1:%d\n", fe, echo[0], echo[1]);
	/* both up in HAProxy's eyes before the clients start */
	h_sleep_ms(600);

	t0 = h_now_ms();
	h_hammer_start(&f->hm, SCALE_CLIENTS, fe, 0, SCALE_SECONDS);
	f->hammering = true;
	h_sleep_ms(2000);

	/*
	 * The way out netsrv.conf(5) gives: drain the host at the balancer,
	 * wait for its last session, then stop it. (A bare SIGTERM resets the
	 * few connections sitting in its accept queue at that instant: HAProxy
	 * cannot retry a connection that was established.)
	 */
	haproxy_cmd(&f->h, "set server echo/n1 state drain", answer, sizeof(answer));
	if (answer[strspn(answer, "\n")] != '\0')
		fail_msg("set server echo/n1 state drain: %s", answer);
	int64_t drain_end = h_now_ms() + h_hang_ms(IO_MS);
	while ((sessions = haproxy_sessions(&f->h, "echo", "n1")) != 0 && h_now_ms() < drain_end)
		h_sleep_ms(20);
	assert_int_equal(sessions, 0);
	before_stop = h_metric(st[0], "netsrvd_connections_total{service=\"echo\"}");
	print_message("    %lld ms: netsrvd 1 (pid %ld) drained in HAProxy, gets SIGTERM after %lld connections\n",
	    (long long)(h_now_ms() - t0), (long)f->d[0].pid, before_stop);
	assert_int_equal(h_stop(&f->d[0]), 0);
	print_message("    %lld ms: netsrvd 1 stopped\n", (long long)(h_now_ms() - t0));
	h_sleep_ms(1500);
	start(&f->d[0], st[0]);
	haproxy_cmd(&f->h, "set server echo/n1 state ready", answer, sizeof(answer));
	print_message("    %lld ms: netsrvd 1 serving again, ready in HAProxy\n", (long long)(h_now_ms() - t0));

	h_hammer_finish(&f->hm, &t);
	f->hammering = false;
	for (int i = 0; i < 2; i++) {
		served[i] = h_metric(st[i], "netsrvd_connections_total{service=\"echo\"}");
		relayed[i] = count_relayed(&f->d[i]);
	}
	print_message("    scale-out: %ld client connections through HAProxy, %ld failed\n",
	    t.ok + t.failed, t.failed);
	print_message("    netsrvd 1: %d relayed (%.1f%%); metrics: %lld before its stop, %lld since its restart (health checks included)\n",
	    relayed[0], 100.0 * relayed[0] / (relayed[0] + relayed[1] > 0 ? relayed[0] + relayed[1] : 1),
	    before_stop, served[0]);
	print_message("    netsrvd 2: %d relayed (%.1f%%); metrics: %lld\n",
	    relayed[1], 100.0 * relayed[1] / (relayed[0] + relayed[1] > 0 ? relayed[0] + relayed[1] : 1),
	    served[1]);
	assert_int_equal(t.failed, 0);
	assert_true(t.ok > 0);
	/* both served, and the one that came back served again */
	assert_true(before_stop > 0);
	assert_true(served[0] > 0);
	assert_true(served[1] > 0);
	/* every client connection reached one of them, as its own client, once */
	assert_int_equal(relayed[0] + relayed[1], (int)t.ok);
	haproxy_stop(&f->h);
	assert_int_equal(h_stop(&f->d[0]), 0);
	assert_int_equal(h_stop(&f->d[1]), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(haproxy_direct_headers_test, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(haproxy_hostile_headers_test, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(haproxy_send_proxy_test, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(haproxy_deny_test, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(haproxy_scale_out_test, fixture_setup, fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("haproxy", tests, NULL, NULL);
}
