/*
 * Integration tests of the services on the wire (netsrv.conf(5),
 * "Handlers"): each case starts the real daemon on loopback ports it picked,
 * talks to it with our own sockets and with real clients (socat, nc,
 * rdate), and stops it in a teardown that always runs.
 *
 * SERVICE_TEST_FILTER=pattern runs the matching cases only;
 * SERVICE_TEST_LOG=1 prints each daemon's log at teardown.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "accesslog.h"
#include "handler.h"
#include "handler_chargen.h"
#include "handler_daytime.h"
#include "handler_time.h"
#include "harness.h"

/* Every wait in this file is bounded by one of these. */
#define IO_MS		5000	/* a reply that should come at once */
#define SILENCE_MS	500	/* how long "no reply" is waited for */
#define CLIENT_MS	8000	/* a real client, start to exit */

#define BIG		(10u * 1024 * 1024)
#define UDP_MAX_V4	65507	/* 65535 - 20 (IPv4) - 8 (UDP) */
#define RFC868_OFFSET	UINT64_C(2208988800)

/* The whole log (print_error() would cut it at 1 KiB). */
static void
dump_log(struct daemon *d)
{
	char *log = h_read_log(d);

	fflush(stdout);
	fprintf(stderr, "master %ld: %s, %d children\n", (long)d->pid,
	    d->pid > 0 && h_pid_alive(d->pid) ? "alive" : "gone",
	    d->pid > 0 ? h_count_children(d->pid) : 0);
	fprintf(stderr, "daemon log %s:\n%s\n", d->log, log ? log : "(none)");
	fflush(stderr);
	free(log);
}

/* What *state holds: the daemon, and a helper process if the case forks one. */
struct fixture {
	struct daemon d;
	pid_t child;
};

static int
fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	h_setup(&f->d);
	f->child = 0;
	*state = f;
	return 0;
}

/* Runs whatever the case did: no process outlives it. */
static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;

	if (f == NULL)
		return 0;
	if (f->child > 0) {
		kill(f->child, SIGKILL);
		h_wait_exit(f->child, 2000);
		f->child = 0;
	}
	if (getenv("SERVICE_TEST_LOG") != NULL)
		dump_log(&f->d);
	h_cleanup(&f->d);
	free(f);
	*state = NULL;
	return 0;
}

/* ---- configuration ---------------------------------------------------- */

/* The global part every case shares, then the case's services. */
static void
write_conf(struct daemon *d, const char *services)
{
	h_write_conf(d,
	    "pid_file = \"%s\";\n"
	    "log = { target = \"stderr\"; level = \"debug\"; connections = true; };\n"
	    "workers = 2;\n"
	    "timeout = 2;\n"
	    /* an old worker's session must end within it: a hang bound */
	    "shutdown_timeout = %d;\n"
	    "services = (\n%s\n);\n", d->pidfile, h_hang_ms(2000) / 1000, services);
}

/*
 * The master answers on its ports before it has set up its signal
 * handlers; "started:" is logged after. Until then a SIGHUP would kill it.
 */
static void
wait_started(struct daemon *d)
{
	if (!h_wait_log(d, "notice: started:", IO_MS)) {
		dump_log(d);
		fail_msg("netsrvd did not log \"started:\"");
	}
}

/* A TCP and a UDP service of one handler on the same port, plus extra settings. */
static void
start_pair(struct fixture *f, const char *handler, int port, const char *extra)
{
	char svcs[2048];

	snprintf(svcs, sizeof(svcs),
	    "{ name = \"%s\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"%s\"; %s },\n"
	    "{ name = \"%s-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"%s\"; %s }",
	    handler, port, handler, extra ? extra : "",
	    handler, port, handler, extra ? extra : "");
	write_conf(&f->d, svcs);
	h_start_serving(&f->d, port);
	wait_started(&f->d);
}

/* ---- small helpers ---------------------------------------------------- */

static void
fill_random(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 24);
	}
}

/* The local port of a connected socket, to find its access log line. */
static int
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/*
 * Waits for the access log line of one session ("service=NAME peer=PEER ")
 * and copies it into line; false if it did not appear in time.
 */
static bool
wait_access_line(struct daemon *d, const char *svc, const char *peer,
    char *line, size_t len, int timeout_ms)
{
	char needle[160];
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	snprintf(needle, sizeof(needle), "service=%s peer=%s ", svc, peer);
	do {
		char *log = h_read_log(d);
		char *p = log ? strstr(log, needle) : NULL;
		if (p != NULL) {
			size_t n = strcspn(p, "\n");
			if (n >= len)
				n = len - 1;
			memcpy(line, p, n);
			line[n] = '\0';
			free(log);
			return true;
		}
		free(log);
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	return false;
}

static void
assert_access_line(struct daemon *d, const char *svc, const char *peer,
    const char *want)
{
	char line[512];

	if (!wait_access_line(d, svc, peer, line, sizeof(line), IO_MS)) {
		dump_log(d);
		fail_msg("no access log line for service=%s peer=%s", svc, peer);
	}
	if (strstr(line, want) == NULL)
		fail_msg("access log line \"%s\" lacks \"%s\"", line, want);
}

/*
 * Reads until the peer's FIN or reset, at most bite bytes per recv().
 * Returns the bytes read into buf, which has room for max + 1 (more than
 * max is an error); sets *reset if the end was ECONNRESET; -1 on a
 * timeout or another error.
 */
static ssize_t
read_bites(int fd, void *buf, size_t max, int timeout_ms, bool *reset, size_t bite)
{
	unsigned char *p = buf;
	size_t got = 0;
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	*reset = false;
	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int left = (int)(end - h_now_ms());
		if (left <= 0 || poll(&pf, 1, left) != 1)
			return -1;
		ssize_t n = recv(fd, p + got, max - got + 1 > bite ? bite : max - got + 1,
		    MSG_DONTWAIT);
		if (n == 0)
			return (ssize_t)got;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1 && errno == ECONNRESET) {
			*reset = true;
			return (ssize_t)got;
		}
		if (n == -1 || got + (size_t)n > max)
			return -1;
		got += (size_t)n;
	}
}

static ssize_t
read_to_end(int fd, void *buf, size_t max, int timeout_ms, bool *reset)
{
	return read_bites(fd, buf, max, timeout_ms, reset, 65536);
}

/* In bites of 1 KiB: the peer's buffers drain a little at a time. */
static ssize_t
read_to_end_slowly(int fd, void *buf, size_t max, int timeout_ms, bool *reset)
{
	return read_bites(fd, buf, max, timeout_ms, reset, 1024);
}

/* Sends one datagram from fd to 127.0.0.1:port; the reply's length or -1 on silence. */
static ssize_t
udp_from(int fd, int port, const void *q, size_t qlen, void *reply, size_t max,
    int timeout_ms)
{
	struct sockaddr_in sa;
	struct pollfd pf = { fd, POLLIN, 0 };

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (sendto(fd, q, qlen, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)qlen)
		return -1;
	if (poll(&pf, 1, timeout_ms) != 1)
		return -1;
	return recv(fd, reply, max, MSG_DONTWAIT);
}

/*
 * A blocking connect to 127.0.0.1:port from a port bound first (into
 * *lport), so the session can be found in the log even if the server's
 * reset makes connect() itself fail: then -1 with errno ECONNRESET.
 */
static int
connect_bound(int port, int *lport)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct timeval tv = { IO_MS / 1000, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*lport = ntohs(sa.sin_port);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;
		close(fd);
		if (e != ECONNRESET)
			fail_msg("connect to port %d: %s", port, strerror(e));
		errno = e;
		return -1;
	}
	return fd;
}

/* ---- expectations written from the RFCs, not from the daemon's code ---- */

/* Byte pos of the RFC 864 stream: line N holds characters N..N+71 mod 95 of 32..126. */
static unsigned char
chargen_byte(uint64_t pos)
{
	uint64_t line = pos / 74, col = pos % 74;

	if (col < 72)
		return (unsigned char)(32 + (line + col) % 95);
	return col == 72 ? '\r' : '\n';
}

static void
assert_chargen_stream(const unsigned char *buf, size_t len, uint64_t pos)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != chargen_byte(pos + i))
			fail_msg("chargen byte %llu is %d, expected %d",
			    (unsigned long long)(pos + i), buf[i], chargen_byte(pos + i));
}

/* RFC 867 line as we expect it, in English and UTC, for t. */
static void
daytime_expect(time_t t, char *buf, size_t len)
{
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	/* the C locale: the test never calls setlocale() */
	assert_true(strftime(buf, len, "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &tm) > 0);
}

/*
 * A daytime line: right format, and the time now: not ahead of our clock,
 * and behind it by no more than a reply can take to arrive (a hang bound).
 */
static void
assert_daytime_line(const char *line)
{
	struct tm tm;
	char again[DAYTIME_MAX];
	const char *rest;
	time_t now = time(NULL), t;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(line, "%A, %B %d, %Y %H:%M:%S-UTC", &tm);
	if (rest == NULL)
		fail_msg("daytime line \"%s\" does not parse", line);
	assert_string_equal(rest, "\r\n");
	t = timegm(&tm);
	if (t < now - 2 - h_hang_ms(IO_MS) / 1000 || t > now + 2)
		fail_msg("daytime line \"%s\" is %lld s off", line, (long long)(t - now));
	/* byte-exact: zero padding, English names, the weekday agreeing */
	daytime_expect(t, again, sizeof(again));
	assert_string_equal(line, again);
	/* the library's formatter agrees too */
	assert_int_equal(daytime_format(t, again, sizeof(again)), strlen(line));
	assert_string_equal(line, again);
}

static void
assert_time_bytes(const unsigned char *b)
{
	uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	int64_t now = (int64_t)time(NULL);
	uint32_t want = (uint32_t)((uint64_t)now + RFC868_OFFSET);
	int32_t diff = (int32_t)(v - want);

	if (diff < -2 - h_hang_ms(IO_MS) / 1000 || diff > 2)
		fail_msg("time %u is %d s off %u", v, diff, want);
	/* one clock read: a second boundary between two reads used to fail this */
	assert_int_equal(v, time_rfc868(now + diff));
}

/*
 * No amplification (netsrv.conf(5), "UDP reflection protection"): a UDP
 * chargen or qotd reply is never longer than the datagram it answers.
 * Counted as bytes on the wire (payload + 28 bytes of IPv4 and UDP
 * headers), an empty datagram got 10x
 * back from chargen on average and up to 19x; now at most 1x. A qotd
 * datagram shorter than every quote gets no reply; one as long as the
 * longest gets a whole quote.
 */
static void
service_udp_amplification_test(void **state)
{
	struct fixture *f = *state;
	int cport = h_free_port(), qport = h_free_port();
	static const size_t sizes[] = { 0, 1, 8, 64 };
	char svcs[1024], qpath[256], q[512], r[65536];
	long long in = 0, out = 0, worst = 0;
	int longer = 0;

	snprintf(qpath, sizeof(qpath), "%s/quotes", f->d.dir);
	h_write_file(qpath, "To be, or not to be.\n%\nAll that glitters is not gold;\noften have you heard that told.\n");
	snprintf(svcs, sizeof(svcs),
	    "{ name = \"chargen-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"chargen\"; },\n"
	    "{ name = \"qotd-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"qotd\"; quotes = \"%s\"; },\n"
	    "{ name = \"chargen\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"chargen\"; }",
	    cport, qport, qpath, cport);
	write_conf(&f->d, svcs);
	h_start_serving(&f->d, cport);
	wait_started(&f->d);
	memset(q, 'x', sizeof(q));
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		for (int i = 0; i < 25; i++) {
			/* silence (an empty reply is a reply) counts as 0 bytes */
			ssize_t n = h_udp_query("127.0.0.1", cport, q, sizes[k], r, sizeof(r), SILENCE_MS);

			longer += n > (ssize_t)sizes[k];
			in += 28 + (long long)sizes[k];
			out += 28 + (n > 0 ? n : 0);
			if ((28 + n) * 100 / (28 + (long long)sizes[k]) > worst)
				worst = (28 + n) * 100 / (28 + (long long)sizes[k]);
		}
	print_message("chargen-udp: %lld bytes on the wire for %lld, %lld.%02lldx; worst %lld.%02lldx\n",
	    out, in, out * 100 / in / 100, out * 100 / in % 100, worst / 100, worst % 100);
	assert_int_equal(longer, 0);
	/* qotd: an empty or short datagram gets nothing, a long one a whole quote */
	assert_int_equal(h_udp_query("127.0.0.1", qport, q, 0, r, sizeof(r), SILENCE_MS), -1);
	assert_int_equal(h_udp_query("127.0.0.1", qport, q, 8, r, sizeof(r), SILENCE_MS), -1);
	ssize_t n = h_udp_query("127.0.0.1", qport, q, 511, r, sizeof(r), IO_MS);
	assert_true(n == 22 || n == 65);	/* either quote, CRLF-ended */
}

/*
 * A datagram from the port of one of our own UDP services, on a local
 * address, is a loop in the making: dropped and counted as a reflection.
 * A discard service listens on 127.0.0.2:P only, so the test can send
 * from 127.0.0.1:P -- the same (local address, service port) a spoofed
 * datagram would carry -- without raw sockets.
 */
static void
service_udp_own_port_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port(), other = h_free_port(), sport = h_free_port(), from, high;
	char svcs[1024], r[64], needle[160];
	struct al_line l;

	snprintf(svcs, sizeof(svcs),
	    "{ name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; },\n"
	    "{ name = \"discard-udp\"; protocol = \"udp\"; address = \"127.0.0.2\"; port = %d; handler = \"discard\"; },\n"
	    "{ name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; }",
	    port, other, sport);
	write_conf(&f->d, svcs);
	h_start_serving(&f->d, sport);
	wait_started(&f->d);
	from = h_bind_loopback(SOCK_DGRAM, other);
	high = h_bind_loopback(SOCK_DGRAM, 0);
	assert_true(from >= 0 && high >= 0);
	/* the control: an ordinary client port gets its echo */
	assert_int_equal(udp_from(high, port, "loop?", 5, r, sizeof(r), IO_MS), 5);
	assert_int_equal(udp_from(from, port, "loop?", 5, r, sizeof(r), SILENCE_MS), -1);
	snprintf(needle, sizeof(needle),
	    "service=echo-udp peer=127.0.0.1:%d end=refused reason=reflection", other);
	assert_true(al_wait(&f->d, needle, &l, IO_MS));
	assert_string_equal(al_get(&l, "detail"), "from our own UDP service port: a loop");
	assert_int_equal(h_metric(sport,
	    "netsrvd_datagrams_dropped_total{service=\"echo-udp\",reason=\"reflection\"}"), 1);
	close(from);
	close(high);
}

/* A UDP datagram with any source, through a raw socket (root only). */
static void
spoof_udp(int src_port, int dst_port, const char *data)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
		char data[16];
	} __attribute__((packed)) pkt;
	size_t dlen = strlen(data), len = sizeof(pkt.ip) + sizeof(pkt.udp) + dlen;
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	assert_true(fd >= 0 && dlen <= sizeof(pkt.data));
	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_UDP;
	pkt.ip.tot_len = htons((uint16_t)len);	/* the kernel fills id and checksum */
	pkt.ip.saddr = htonl(INADDR_LOOPBACK);
	pkt.ip.daddr = htonl(INADDR_LOOPBACK);
	pkt.udp.source = htons((uint16_t)src_port);
	pkt.udp.dest = htons((uint16_t)dst_port);
	pkt.udp.len = htons((uint16_t)(sizeof(pkt.udp) + dlen));	/* checksum 0: none (IPv4) */
	memcpy(pkt.data, data, dlen);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, &pkt, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
	close(fd);
}

/*
 * The loop itself: one datagram spoofed from chargen-udp's port to
 * echo-udp, one from echo-udp's port to itself. Without the own-port rule
 * (udp_rate = 0 here, so nothing else stops it) the services answered each
 * other some 68,000 times each in 2 s; with it, each spoofed datagram is
 * the only one either service sees.
 */
static void
service_udp_loop_test(void **state)
{
	struct fixture *f = *state;
	int eport = h_free_port(), cport = h_free_port(), sport = h_free_port();
	char svcs[1024];
	long long echo, chargen;
	struct al_line l;

	if (geteuid() != 0) {
		print_message("skipped: needs root for a raw socket to spoof a source\n");
		skip();
	}
	snprintf(svcs, sizeof(svcs),
	    "{ name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; udp_rate = 0; },\n"
	    "{ name = \"chargen-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"chargen\"; udp_rate = 0; },\n"
	    "{ name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; }",
	    eport, cport, sport);
	write_conf(&f->d, svcs);
	h_start_serving(&f->d, sport);
	wait_started(&f->d);
	spoof_udp(cport, eport, "loop");
	spoof_udp(eport, eport, "self");
	/* both dropped: nothing is left in flight to loop */
	for (int n = 1; n <= 2; n++) {
		assert_true(al_wait_nth(&f->d, "end=refused reason=reflection", n, &l, IO_MS));
		assert_non_null(al_get(&l, "detail"));
		assert_non_null(strstr(al_get(&l, "detail"), "our own UDP service port: a loop"));
	}
	echo = h_metric(sport, "netsrvd_datagrams_total{service=\"echo-udp\"}");
	chargen = h_metric(sport, "netsrvd_datagrams_total{service=\"chargen-udp\"}");
	print_message("after two spoofed datagrams: echo-udp received %lld, chargen-udp %lld\n",
	    echo, chargen);
	assert_int_equal(echo, 2);
	assert_int_equal(chargen, 0);
	assert_int_equal(h_metric(sport,
	    "netsrvd_datagrams_dropped_total{service=\"echo-udp\",reason=\"reflection\"}"), 2);
}

/* ---- real clients ----------------------------------------------------- */

static bool
in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[512];

	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name);
		if (n > 0 && access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	/* rdate lives in sbin, which a user's PATH may lack */
	snprintf(buf, sizeof(buf), "/usr/sbin/%s", name);
	return access(buf, X_OK) == 0;
}

/* True if the client is there; otherwise fails under CI, skips elsewhere. */
static bool
need_client(const char *name, const char *package)
{
	const char *ci = getenv("CI");

	if (in_path(name))
		return true;
	if (ci != NULL && strcmp(ci, "true") == 0)
		fail_msg("%s is missing (apt-get install -y %s)", name, package);
	print_message("skipped: %s is not installed (apt-get install -y %s)\n", name, package);
	return false;
}

/* The first line of out, for the report. */
static void
show(const char *what, const char *out)
{
	print_message("    %s: %.*s\n", what, (int)strcspn(out, "\n"), out);
}

/* ---- echo ------------------------------------------------------------- */

/* 10 MiB written in one write() by a child while we read it back. */
static void
service_echo_tcp_big_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	unsigned char *data = malloc(BIG), *back = malloc(BIG + 1);
	size_t got = 0;
	int64_t end;
	int fd, fl, status;
	bool reset;

	assert_non_null(data);
	assert_non_null(back);
	fill_random(data, BIG, 0x5eed);
	start_pair(f, "echo", port, "");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	/* the child's write() blocks until all is taken; we read with MSG_DONTWAIT */
	fl = fcntl(fd, F_GETFL);
	assert_int_equal(fcntl(fd, F_SETFL, fl & ~O_NONBLOCK), 0);
	f->child = fork();
	assert_true(f->child != -1);
	if (f->child == 0) {
		alarm(30);
		ssize_t n = write(fd, data, BIG);
		if (n != (ssize_t)BIG)
			_exit(1);
		if (shutdown(fd, SHUT_WR) == -1)
			_exit(2);
		_exit(0);
	}
	end = h_now_ms() + h_hang_ms(20000);
	while (got < BIG && h_now_ms() < end) {
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, 200) != 1)
			continue;
		ssize_t n = recv(fd, back + got, BIG - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	status = h_wait_exit(f->child, 5000);
	f->child = 0;
	assert_int_equal(got, BIG);
	assert_true(status != -1 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_memory_equal(back, data, BIG);
	/* after the last byte, the server's FIN */
	assert_int_equal(read_to_end(fd, back, 1, IO_MS, &reset), 0);
	assert_false(reset);
	{
		char peer[64], want[64];
		snprintf(peer, sizeof(peer), "127.0.0.1:%d", local_port(fd));
		snprintf(want, sizeof(want), "in=%u out=%u ", BIG, BIG);
		assert_access_line(&f->d, "echo", peer, want);
		assert_access_line(&f->d, "echo", peer, "end=closed");
	}
	close(fd);
	free(data);
	free(back);
}

/*
 * A TCP connection to 127.0.0.1 with small buffers, set before the
 * handshake (which also turns off their autotuning): our sends block
 * soon, and the echo backs up into the server.
 */
static int
connect_small_buffers(int port)
{
	struct sockaddr_in sa;
	struct pollfd pf;
	int fd, size = 4096, err = 0;
	socklen_t el = sizeof(err);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		assert_int_equal(errno, EINPROGRESS);
	pf.fd = fd;
	pf.events = POLLOUT;
	pf.revents = 0;
	assert_int_equal(poll(&pf, 1, IO_MS), 1);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	assert_int_equal(err, 0);
	return fd;
}

/*
 * Sends all of out, reading back only when a send would block, so every
 * buffer on the way (ours, the kernel's, the server's ring) is as full as
 * it gets when this returns. Returns the bytes read into in.
 */
static size_t
send_reading_lazily(int fd, const unsigned char *out, size_t outlen,
    unsigned char *in, size_t inmax, int timeout_ms)
{
	size_t sent = 0, got = 0;
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	while (sent < outlen && h_now_ms() < end) {
		ssize_t n = send(fd, out + sent, outlen - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		assert_true(n == -1 && (errno == EAGAIN || errno == EINTR));
		struct pollfd pf = { fd, POLLIN | POLLOUT, 0 };
		if (poll(&pf, 1, 100) < 1 || !(pf.revents & POLLIN))
			continue;
		/* a small bite: the server may send a little more, no more */
		n = recv(fd, in + got, inmax - got < 2048 ? inmax - got : 2048, MSG_DONTWAIT);
		assert_true(n > 0 || (n == -1 && errno == EAGAIN));
		if (n > 0)
			got += (size_t)n;
	}
	assert_int_equal(sent, outlen);
	return got;
}

/*
 * shutdown(SHUT_WR) while the server still has bytes to echo: with our
 * small buffers and lazy reading, the pipeline is full when the FIN is
 * queued behind the data, and we read the rest in small bites. All of it
 * must arrive, then EOF. (Whether the server reads the FIN with bytes
 * still in its own ring is up to its kernel send buffer, megabytes on
 * loopback; tests/handler_test.c pins that case down over socketpairs.)
 */
static void
service_echo_tcp_half_close_test(void **state)
{
	struct fixture *f = *state;
	enum { TOTAL = 1024 * 1024 };
	int port = h_free_port();
	unsigned char *data = malloc(TOTAL), *back = malloc(TOTAL + 1);
	size_t got;
	ssize_t rest;
	char peer[64];
	int fd;
	bool reset;

	assert_non_null(data);
	assert_non_null(back);
	fill_random(data, TOTAL, 42);
	start_pair(f, "echo", port, "");
	fd = connect_small_buffers(port);
	got = send_reading_lazily(fd, data, TOTAL, back, TOTAL, 10000);
	/* mid-stream: more than a ring's worth is still to come */
	assert_true(got < TOTAL - 64 * 1024);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	rest = read_to_end_slowly(fd, back + got, TOTAL - got, IO_MS, &reset);
	print_message("    half-close: %zu bytes back before shutdown, %zd after\n", got, rest);
	assert_false(reset);
	assert_int_equal(rest, TOTAL - got);
	assert_memory_equal(back, data, TOTAL);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", local_port(fd));
	assert_access_line(&f->d, "echo", peer, "in=1048576 out=1048576 ");
	assert_access_line(&f->d, "echo", peer, "end=closed");
	close(fd);
	free(data);
	free(back);
}

static void
service_echo_udp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	unsigned char *q = malloc(UDP_MAX_V4), *r = malloc(65536 + 1);
	ssize_t n;

	assert_non_null(q);
	assert_non_null(r);
	fill_random(q, UDP_MAX_V4, 7);
	start_pair(f, "echo", port, "");
	n = h_udp_query("127.0.0.1", port, "hello\n", 6, r, 65537, IO_MS);
	assert_int_equal(n, 6);
	assert_memory_equal(r, "hello\n", 6);
	/* an empty datagram gets an empty one back, not silence */
	n = h_udp_query("127.0.0.1", port, "", 0, r, 65537, IO_MS);
	assert_int_equal(n, 0);
	/* the largest IPv4 datagram, whole */
	n = h_udp_query("127.0.0.1", port, q, UDP_MAX_V4, r, 65537, IO_MS);
	assert_int_equal(n, UDP_MAX_V4);
	assert_memory_equal(r, q, UDP_MAX_V4);
	assert_true(h_wait_log(&f->d, "in=0 out=0 duration_ms=0 end=answered", IO_MS));
	assert_true(h_wait_log(&f->d, "in=65507 out=65507 duration_ms=0 end=answered", IO_MS));
	free(q);
	free(r);
}

static void
service_echo_ipv6_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	unsigned char data[100000], r[4096];
	char svcs[1024];

	fill_random(data, sizeof(data), 6);
	snprintf(svcs, sizeof(svcs),
	    "{ name = \"echo6\"; protocol = \"tcp\"; address = \"::1\"; port = %d; handler = \"echo\"; },\n"
	    "{ name = \"echo6-udp\"; protocol = \"udp\"; address = \"::1\"; port = %d; handler = \"echo\"; }",
	    port, port);
	write_conf(&f->d, svcs);
	h_start(&f->d, NULL);
	if (h_wait_port("::1", port, IO_MS) != 0) {
		dump_log(&f->d);
		fail_msg("netsrvd did not start serving on [::1]:%d", port);
	}
	wait_started(&f->d);
	assert_true(h_echo("::1", port, data, sizeof(data), IO_MS));
	assert_int_equal(h_udp_query("::1", port, "six", 3, r, sizeof(r), IO_MS), 3);
	assert_memory_equal(r, "six", 3);
	/* the v6 service is not reachable on the v4 loopback */
	assert_int_equal(h_connect("127.0.0.1", port, 500), -1);
	assert_true(h_wait_log(&f->d, "service=echo6 peer=[::1]:", IO_MS));
	assert_true(h_wait_log(&f->d, "in=100000 out=100000", IO_MS));
	assert_true(h_wait_log(&f->d, "service=echo6-udp peer=[::1]:", IO_MS));
}

/* ---- discard ---------------------------------------------------------- */

static void
service_discard_tcp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	unsigned char data[100000], r[16];
	char peer[64];
	bool reset;
	int fd;

	fill_random(data, sizeof(data), 3);
	start_pair(f, "discard", port, "");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, data, sizeof(data)));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	/* the server closes after our EOF, having sent nothing */
	assert_int_equal(read_to_end(fd, r, 0, IO_MS, &reset), 0);
	assert_false(reset);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", local_port(fd));
	assert_access_line(&f->d, "discard", peer, "in=100000 out=0 ");
	assert_access_line(&f->d, "discard", peer, "end=closed");
	close(fd);
}

static void
service_discard_udp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	unsigned char r[1024];

	start_pair(f, "discard", port, "");
	assert_int_equal(h_udp_query("127.0.0.1", port, "drop me", 7, r, sizeof(r), SILENCE_MS), -1);
	/* it did arrive, and was dropped */
	assert_true(h_wait_log(&f->d, "service=discard-udp peer=127.0.0.1:", IO_MS));
	assert_true(h_log_contains(&f->d, "in=7 out=0 duration_ms=0 end=dropped"));
}

/* ---- chargen ---------------------------------------------------------- */

static void
service_chargen_tcp_test(void **state)
{
	struct fixture *f = *state;
	enum { N = 2 * CHARGEN_PERIOD + 1000 };
	int port = h_free_port();
	unsigned char *buf = malloc(N), *want = malloc(N);
	int fd;

	assert_non_null(buf);
	assert_non_null(want);
	start_pair(f, "chargen", port, "");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_int_equal(h_read_all(fd, buf, N, IO_MS), N);
	/* line 0 starts with the space, 72 characters, CRLF; line 1 one further */
	assert_int_equal(buf[0], ' ');
	assert_int_equal(buf[71], 'g');
	assert_memory_equal(buf + 72, "\r\n", 2);
	assert_int_equal(buf[74], '!');
	assert_int_equal(buf[74 + 71], 'h');
	/* line 94 wraps: '~' then the space again; line 95 is line 0 */
	assert_int_equal(buf[94 * 74], '~');
	assert_int_equal(buf[94 * 74 + 1], ' ');
	assert_memory_equal(buf + 95 * 74, buf, 74);
	assert_chargen_stream(buf, N, 0);
	chargen_fill(want, N, 0);
	assert_memory_equal(buf, want, N);
	close(fd);
	assert_true(h_wait_log(&f->d, "service=chargen peer=127.0.0.1:", IO_MS));
	free(buf);
	free(want);
}

static void
service_chargen_udp_test(void **state)
{
	struct fixture *f = *state;
	unsigned char r[65536];
	int port = h_free_port();
	ssize_t minlen = 1000, maxlen = -1;
	char q[512];

	memset(q, 'x', sizeof(q));	/* a reply is never longer than its request */
	start_pair(f, "chargen", port, "");
	for (int i = 0; i < 40; i++) {
		ssize_t n = h_udp_query("127.0.0.1", port, q, sizeof(q), r, sizeof(r), IO_MS);
		assert_true(n >= 0);
		assert_true(n <= 512);
		if (n > 0) {
			/* a stretch of the stream from the start of some line */
			assert_true(r[0] >= 32 && r[0] <= 126);
			assert_chargen_stream(r, (size_t)n, (uint64_t)(r[0] - 32) * 74);
		}
		if (n < minlen)
			minlen = n;
		if (n > maxlen)
			maxlen = n;
	}
	/* lengths vary (uniform over 0..512: 40 equal ones is a broken RNG) */
	assert_true(minlen < maxlen);
}

/*
 * A client that stops reading: the worker (the only one) gives up after
 * `timeout`, the stream ends, and the client queued behind is served.
 */
static void
service_chargen_stalled_client_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	unsigned char *buf = malloc(64u << 20), want[740];
	char peer[64], line[512];
	int64_t t0, t_timeout;
	ssize_t n;
	bool reset;
	int a, b;

	assert_non_null(buf);
	start_pair(f, "chargen", port, "workers = 1; timeout = 1;");
	a = h_connect("127.0.0.1", port, IO_MS);
	assert_true(a >= 0);
	t0 = h_now_ms();
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", local_port(a));
	/* queued behind a: nobody else can serve it */
	b = h_connect("127.0.0.1", port, IO_MS);
	assert_true(b >= 0);
	if (!wait_access_line(&f->d, "chargen", peer, line, sizeof(line), IO_MS)) {
		dump_log(&f->d);
		fail_msg("the stalled chargen client was never dropped");
	}
	t_timeout = h_now_ms() - t0;
	assert_non_null(strstr(line, "end=timeout"));
	assert_true(t_timeout >= 900);
	assert_true(al_wait(&f->d, "service=chargen end=timeout", NULL, IO_MS));
	/* b is served now, from the start of the stream */
	assert_int_equal(h_read_all(b, want, sizeof(want), 3000), (ssize_t)sizeof(want));
	assert_chargen_stream(want, sizeof(want), 0);
	close(b);
	/* a gets what was queued, then the end: the stream is finite */
	n = read_to_end(a, buf, (64u << 20) - 1, 5000, &reset);
	assert_true(n > 0);
	assert_chargen_stream(buf, (size_t)n, 0);
	print_message("    stalled client: dropped after %lld ms, then read %zd bytes and %s\n",
	    (long long)t_timeout, n, reset ? "a reset" : "EOF");
	close(a);
	free(buf);
}

/* ---- daytime ---------------------------------------------------------- */

static void
service_daytime_tcp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	char line[128];
	ssize_t n;
	bool reset;
	int fd;

	start_pair(f, "daytime", port, "");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	n = read_to_end(fd, line, sizeof(line) - 1, IO_MS, &reset);
	assert_false(reset);
	assert_true(n > 0);
	line[n] = '\0';
	assert_daytime_line(line);
	close(fd);
}

static void
service_daytime_udp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	char line[1024];
	ssize_t n;

	start_pair(f, "daytime", port, "");
	n = h_udp_query("127.0.0.1", port, "?", 1, line, sizeof(line) - 1, IO_MS);
	assert_true(n > 0);
	line[n] = '\0';
	assert_daytime_line(line);
	/* an empty datagram is a query too */
	n = h_udp_query("127.0.0.1", port, "", 0, line, sizeof(line) - 1, IO_MS);
	assert_true(n > 0);
	line[n] = '\0';
	assert_daytime_line(line);
}

/* ---- time ------------------------------------------------------------- */

static void
service_time_tcp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	unsigned char b[16];
	bool reset;
	int fd;

	start_pair(f, "time", port, "");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	assert_int_equal(read_to_end(fd, b, sizeof(b) - 1, IO_MS, &reset), 4);
	assert_false(reset);
	assert_time_bytes(b);
	close(fd);
}

static void
service_time_udp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	unsigned char b[1024];

	start_pair(f, "time", port, "");
	assert_int_equal(h_udp_query("127.0.0.1", port, "", 0, b, sizeof(b), IO_MS), 4);
	assert_time_bytes(b);
	assert_int_equal(h_udp_query("127.0.0.1", port, "t", 1, b, sizeof(b), IO_MS), 4);
	assert_time_bytes(b);
}

/* ---- qotd ------------------------------------------------------------- */

/* Each ~400 bytes: close to, but under, RFC 865's 512. */
#define LONG_LINE \
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor"

static const char quotes_a[] =
	"The first quote.\n"
	"\n"
	"The second quote,\n"
	"on two lines.\n"
	"\n"
	"\n"
	LONG_LINE "\n" LONG_LINE "\n" LONG_LINE "\n" LONG_LINE "\n" LONG_LINE "\n";

static const char *const sent_a[] = {
	"The first quote.\r\n",
	"The second quote,\r\non two lines.\r\n",
	LONG_LINE "\r\n" LONG_LINE "\r\n" LONG_LINE "\r\n" LONG_LINE "\r\n" LONG_LINE "\r\n",
	NULL
};

static const char quotes_b[] =
	"After the reload: alpha.\n"
	"\n"
	"After the reload: beta,\n"
	"twice as long.\n";

static const char *const sent_b[] = {
	"After the reload: alpha.\r\n",
	"After the reload: beta,\r\ntwice as long.\r\n",
	NULL
};

/* Which of set the reply is; fails if none. */
static int
assert_one_of(const char *reply, size_t len, const char *const *set)
{
	assert_true(len > 0 && len < 512);
	for (int i = 0; set[i] != NULL; i++)
		if (strlen(set[i]) == len && memcmp(reply, set[i], len) == 0)
			return i;
	fail_msg("\"%.*s\" is none of the quotes", (int)len, reply);
	return -1;
}

static int
qotd_tcp(struct daemon *d, int port, const char *const *set)
{
	char buf[2048];
	ssize_t n;
	bool reset;
	int64_t t0 = h_now_ms();
	int fd = h_connect("127.0.0.1", port, IO_MS), lport;

	assert_true(fd >= 0);
	lport = local_port(fd);
	n = read_to_end(fd, buf, sizeof(buf) - 1, IO_MS, &reset);
	close(fd);
	if (n <= 0 || reset) {
		dump_log(d);
		fail_msg("qotd from local port %d: %zd bytes, %s after %lld ms", lport, n,
		    reset ? "reset" : n == 0 ? "EOF" : "timeout", (long long)(h_now_ms() - t0));
	}
	return assert_one_of(buf, (size_t)n, set);
}

static int
qotd_udp(int port, const char *const *set)
{
	char buf[2048], q[512];
	ssize_t n;

	/* longer than any quote: a reply is never longer than its request */
	memset(q, '?', sizeof(q));
	n = h_udp_query("127.0.0.1", port, q, sizeof(q), buf, sizeof(buf), IO_MS);

	assert_true(n > 0);
	return assert_one_of(buf, (size_t)n, set);
}

static void
start_qotd(struct fixture *f, int port, char *qpath, size_t qlen)
{
	char extra[512];

	snprintf(qpath, qlen, "%s/quotes", f->d.dir);
	h_write_file(qpath, quotes_a);
	snprintf(extra, sizeof(extra), "quotes = \"%s\";", qpath);
	start_pair(f, "qotd", port, extra);
}

static void
service_qotd_tcp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port(), seen = 0;
	char qpath[256];

	start_qotd(f, port, qpath, sizeof(qpath));
	for (int i = 0; i < 15; i++)
		seen |= 1 << qotd_tcp(&f->d, port, sent_a);
	/* random picks: 15 draws from 3 all alike is a broken RNG */
	assert_true(seen != 1 && seen != 2 && seen != 4);
}

static void
service_qotd_udp_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port(), seen = 0;
	char qpath[256];

	start_qotd(f, port, qpath, sizeof(qpath));
	for (int i = 0; i < 15; i++)
		seen |= 1 << qotd_udp(port, sent_a);
	assert_true(seen != 1 && seen != 2 && seen != 4);
}

/*
 * A rewritten quotes file and SIGHUP: only the new quotes from then on.
 * We let the old generation finish exiting first: a client that arrives
 * while it does is service_reload_race_test's business.
 */
static void
service_qotd_reload_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port(), nold;
	char qpath[256], tmp[300];
	pid_t old[16];
	int64_t end;

	start_qotd(f, port, qpath, sizeof(qpath));
	qotd_tcp(&f->d, port, sent_a);
	qotd_udp(port, sent_a);
	assert_true(h_wait_children(f->d.pid, 4, IO_MS));
	nold = h_children(f->d.pid, old, 16);
	assert_int_equal(nold, 4);
	snprintf(tmp, sizeof(tmp), "%s.new", qpath);
	h_write_file(tmp, quotes_b);
	assert_int_equal(rename(tmp, qpath), 0);
	assert_int_equal(kill(f->d.pid, SIGHUP), 0);
	if (!h_wait_log(&f->d, "reloaded:", IO_MS)) {
		dump_log(&f->d);
		fail_msg("no \"reloaded:\" after SIGHUP");
	}
	end = h_now_ms() + h_hang_ms(IO_MS);
	for (int i = 0; i < nold; i++)
		while (h_pid_alive(old[i]) && h_now_ms() < end)
			h_sleep_ms(10);
	for (int i = 0; i < nold; i++)
		assert_false(h_pid_alive(old[i]));
	for (int i = 0; i < 8; i++) {
		qotd_tcp(&f->d, port, sent_b);
		qotd_udp(port, sent_b);
	}
}

/* The log lines holding a needle that appeared since the last call, counted. */
struct log_tail {
	int fd;
	char buf[8192];
	size_t len;
};

static int
tail_count(struct log_tail *t, const char *needle)
{
	int n = 0;
	ssize_t r;

	while ((r = read(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len)) > 0) {
		char *line = t->buf, *nl;
		t->len += (size_t)r;
		t->buf[t->len] = '\0';
		/* whole lines only: the daemon writes each with one write() */
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (strstr(line, needle) != NULL)
				n++;
			line = nl + 1;
		}
		t->len -= (size_t)(line - t->buf);
		memmove(t->buf, line, t->len);
	}
	return n;
}

/* Right after a reload: a TCP client must be answered (a lost wakeup never is). */
static void
race_tcp(struct daemon *d, int port, int round)
{
	char buf[256];
	ssize_t n;
	bool reset;
	int fd = h_connect("127.0.0.1", port, IO_MS);

	assert_true(fd >= 0);
	n = read_to_end(fd, buf, sizeof(buf) - 1, IO_MS, &reset);
	if (n <= 0) {
		/* a second client wakes a worker, which takes both */
		int fd2 = h_connect("127.0.0.1", port, IO_MS);
		ssize_t n2 = fd2 >= 0 ? read_to_end(fd2, buf, sizeof(buf) - 1, 1500, &reset) : -1;
		ssize_t n1 = read_to_end(fd, buf, sizeof(buf) - 1, 1500, &reset);
		if (fd2 >= 0)
			close(fd2);
		close(fd);
		dump_log(d);
		fail_msg("reload %d: a TCP client got no answer while the new "
		    "workers idled; a second client then got %zd bytes and the first %zd "
		    "(a wakeup lost as the old workers exited)", round, n2, n1);
	}
	close(fd);
}

/* The same for a datagram, from one socket so that a late answer is seen. */
static void
race_udp(struct daemon *d, int port, int round)
{
	char buf[256];
	int fd = h_bind_loopback(SOCK_DGRAM, 0), late = 0;

	assert_true(fd >= 0);
	if (udp_from(fd, port, "", 0, buf, sizeof(buf), h_hang_ms(IO_MS)) > 0) {
		close(fd);
		return;
	}
	udp_from(fd, port, "", 0, buf, sizeof(buf), 1500);
	for (int i = 0; i < 2; i++) {
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, 500) == 1 && recv(fd, buf, sizeof(buf), 0) >= 0)
			late++;
	}
	close(fd);
	dump_log(d);
	fail_msg("reload %d: a datagram got no answer while the new "
	    "workers idled; after a second one, %d more answers came "
	    "(a wakeup lost as the old workers exited)", round, late);
}

/*
 * A client that arrives just as a reload retires the old workers must be
 * served by the new ones. Many quick reloads, each followed at once by a
 * TCP connection and a datagram (in turns, which goes first): a fixed
 * number, each checked, however long they take.
 */
static void
service_reload_race_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port(), rounds = 0;
	enum { ROUNDS = 100 };
	struct log_tail t;

	start_pair(f, "daytime", port, "");
	memset(&t, 0, sizeof(t));
	t.fd = open(f->d.log, O_RDONLY | O_CLOEXEC);
	assert_true(t.fd >= 0);
	tail_count(&t, "reloaded:");
	while (rounds < ROUNDS) {
		int64_t wait_end = h_now_ms() + h_hang_ms(IO_MS);

		assert_int_equal(kill(f->d.pid, SIGHUP), 0);
		while (tail_count(&t, "reloaded:") == 0) {
			if (h_now_ms() > wait_end) {
				dump_log(&f->d);
				fail_msg("no \"reloaded:\" after SIGHUP number %d", rounds + 1);
			}
			h_sleep_ms(1);
		}
		rounds++;
		/* at once: the old workers are being told to go right now */
		if (rounds % 2 == 1) {
			race_tcp(&f->d, port, rounds);
			race_udp(&f->d, port, rounds);
		} else {
			race_udp(&f->d, port, rounds);
			race_tcp(&f->d, port, rounds);
		}
	}
	close(t.fd);
	print_message("    %d reloads, each client answered\n", rounds);
}

/* ---- limits ----------------------------------------------------------- */

/* An echo client that sends nothing is dropped after `timeout`. */
static void
service_echo_idle_timeout_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	char peer[64], r[16];
	int64_t t0, took;
	bool reset;
	int fd;

	start_pair(f, "echo", port, "timeout = 1;");
	fd = h_connect("127.0.0.1", port, IO_MS);
	assert_true(fd >= 0);
	t0 = h_now_ms();
	assert_int_equal(read_to_end(fd, r, 0, IO_MS, &reset), 0);
	took = h_now_ms() - t0;
	print_message("    idle echo client: dropped after %lld ms with %s\n",
	    (long long)took, reset ? "a reset" : "EOF");
	assert_true(took >= 900);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", local_port(fd));
	assert_access_line(&f->d, "echo", peer, "in=0 out=0 ");
	assert_access_line(&f->d, "echo", peer, "end=timeout");
	close(fd);
}

/* allow = 10.0.0.0/8 refuses 127.0.0.1: closed, not a byte, logged; a twin without the list answers. */
static void
service_acl_refused_test(void **state)
{
	struct fixture *f = *state;
	int denied = h_free_port(), open_port = h_free_port();
	char svcs[2048], r[256], needle[96];
	ssize_t n;
	bool reset;
	int fd, before, lport;

	snprintf(svcs, sizeof(svcs),
	    "{ name = \"daytime-open\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"daytime\"; },\n"
	    "{ name = \"daytime-open-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"daytime\"; },\n"
	    "{ name = \"daytime-acl\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"daytime\"; allow = [ \"10.0.0.0/8\" ]; },\n"
	    "{ name = \"daytime-acl-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"daytime\"; allow = [ \"10.0.0.0/8\" ]; }",
	    open_port, open_port, denied, denied);
	write_conf(&f->d, svcs);
	/* waits on the open port: a probe of the denied one would be refused too */
	h_start_serving(&f->d, open_port);
	wait_started(&f->d);

	/* the open twin answers, so silence below means the list */
	fd = h_connect("127.0.0.1", open_port, IO_MS);
	assert_true(fd >= 0);
	n = read_to_end(fd, r, sizeof(r) - 1, IO_MS, &reset);
	assert_true(n > 0);
	close(fd);
	assert_true(h_udp_query("127.0.0.1", open_port, "", 0, r, sizeof(r), IO_MS) > 0);

	before = al_count(&f->d, "service=daytime-acl peer=127.0.0.1:* end=refused reason=acl");
	fd = connect_bound(denied, &lport);
	if (fd >= 0) {
		n = read_to_end(fd, r, sizeof(r) - 1, IO_MS, &reset);
		close(fd);
	} else {
		/* the reset beat our connect(): refused all the same */
		n = 0;
		reset = true;
	}
	print_message("    refused TCP client: %zd bytes, then %s%s\n", n,
	    reset ? "a reset" : "EOF", fd >= 0 ? "" : " (already in connect)");
	assert_int_equal(n, 0);
	snprintf(needle, sizeof(needle), "service=daytime-acl peer=127.0.0.1:%d end=refused reason=acl", lport);
	if (!al_wait(&f->d, needle, NULL, IO_MS)) {
		dump_log(&f->d);
		fail_msg("no \"%s\" in the log", needle);
	}
	assert_int_equal(al_count(&f->d, "service=daytime-acl peer=127.0.0.1:* end=refused reason=acl"), before + 1);
	/* the refusal is the service's only line: nothing was served */
	assert_int_equal(al_count(&f->d, "service=daytime-acl"), before + 1);

	assert_int_equal(h_udp_query("127.0.0.1", denied, "", 0, r, sizeof(r), SILENCE_MS), -1);
	assert_true(al_wait(&f->d, "service=daytime-acl-udp peer=127.0.0.1:* end=refused reason=acl", NULL, IO_MS));
	assert_int_equal(al_count(&f->d, "service=daytime-acl-udp"), 1);
}

/* No UDP answer to a privileged source port (echo/chargen loops); the same from a high port is answered. */
static void
service_udp_low_source_port_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port(), low = -1, lowport = 0, high;
	char r[256], needle[128];
	struct al_line l;

	if (geteuid() != 0) {
		print_message("skipped: needs root to bind a source port below 1024\n");
		skip();
	}
	start_pair(f, "echo", port, "");
	for (int p = 1023; p >= 600 && low < 0; p--) {
		low = h_bind_loopback(SOCK_DGRAM, p);
		lowport = p;
	}
	assert_true(low >= 0);
	high = h_bind_loopback(SOCK_DGRAM, 0);
	assert_true(high >= 0);
	/* the control: the same datagram from a high port comes back */
	assert_int_equal(udp_from(high, port, "loop?", 5, r, sizeof(r), IO_MS), 5);
	assert_memory_equal(r, "loop?", 5);
	assert_int_equal(udp_from(low, port, "loop?", 5, r, sizeof(r), SILENCE_MS), -1);
	snprintf(needle, sizeof(needle),
	    "service=echo-udp peer=127.0.0.1:%d end=refused reason=reflection", lowport);
	assert_true(al_wait(&f->d, needle, &l, IO_MS));
	assert_non_null(strstr(al_get(&l, "detail"), "a privileged port"));
	close(low);
	close(high);
}

/* ---- real clients ----------------------------------------------------- */

static void
service_client_socat_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	char path[300], cmd[600], *text, *out;
	size_t len = 0;

	if (!need_client("socat", "socat"))
		skip();
	start_pair(f, "echo", port, "");
	/* 20 KB of text lines through TCP, from a file */
	text = malloc(32768);
	out = malloc(65536);
	assert_non_null(text);
	assert_non_null(out);
	for (int i = 0; len < 20000; i++)
		len += (size_t)snprintf(text + len, 32768 - len, "line %d of the socat test\n", i);
	snprintf(path, sizeof(path), "%s/input.txt", f->d.dir);
	h_write_file(path, text);
	snprintf(cmd, sizeof(cmd), "exec socat -T2 - TCP:127.0.0.1:%d < '%s'", port, path);
	{
		const char *argv[] = { "sh", "-c", cmd, NULL };
		assert_int_equal(h_run(argv, out, 65536, CLIENT_MS), 0);
	}
	assert_string_equal(out, text);
	show("socat TCP echo of a 20 KB file", out);

	snprintf(cmd, sizeof(cmd), "printf 'hello over udp\\n' | socat -T1 - UDP:127.0.0.1:%d", port);
	{
		const char *argv[] = { "sh", "-c", cmd, NULL };
		assert_int_equal(h_run(argv, out, 65536, CLIENT_MS), 0);
	}
	assert_string_equal(out, "hello over udp\n");
	show("socat UDP echo", out);
	free(text);
	free(out);
}

static void
service_client_nc_test(void **state)
{
	struct fixture *f = *state;
	int echo = h_free_port(), discard = h_free_port(), chargen = h_free_port(),
	    daytime = h_free_port(), qotd = h_free_port();
	char svcs[4096], qpath[256], cmd[512], out[8192], sp[16];

	if (!need_client("nc", "netcat-openbsd"))
		skip();
	snprintf(qpath, sizeof(qpath), "%s/quotes", f->d.dir);
	h_write_file(qpath, quotes_a);
	snprintf(svcs, sizeof(svcs),
	    "{ name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; },\n"
	    "{ name = \"discard\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"discard\"; },\n"
	    "{ name = \"chargen\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"chargen\"; },\n"
	    "{ name = \"daytime\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"daytime\"; },\n"
	    "{ name = \"qotd\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"qotd\"; quotes = \"%s\"; }",
	    echo, discard, chargen, daytime, qotd, qpath);
	write_conf(&f->d, svcs);
	h_start_serving(&f->d, echo);
	wait_started(&f->d);
	assert_int_equal(h_wait_port("127.0.0.1", qotd, IO_MS), 0);

	snprintf(cmd, sizeof(cmd), "printf 'hello from nc\\n' | nc -N -w 3 127.0.0.1 %d", echo);
	{
		const char *argv[] = { "sh", "-c", cmd, NULL };
		assert_int_equal(h_run(argv, out, sizeof(out), CLIENT_MS), 0);
	}
	assert_string_equal(out, "hello from nc\n");
	show("nc -N echo", out);

	snprintf(cmd, sizeof(cmd), "printf 'into the void\\n' | nc -N -w 3 127.0.0.1 %d", discard);
	{
		const char *argv[] = { "sh", "-c", cmd, NULL };
		assert_int_equal(h_run(argv, out, sizeof(out), CLIENT_MS), 0);
	}
	assert_string_equal(out, "");
	print_message("    nc -N discard: (nothing)\n");

	snprintf(sp, sizeof(sp), "%d", daytime);
	{
		const char *argv[] = { "nc", "-d", "-w", "3", "127.0.0.1", sp, NULL };
		assert_int_equal(h_run(argv, out, sizeof(out), CLIENT_MS), 0);
	}
	assert_daytime_line(out);
	show("nc -d daytime", out);

	snprintf(sp, sizeof(sp), "%d", qotd);
	{
		const char *argv[] = { "nc", "-d", "-w", "3", "127.0.0.1", sp, NULL };
		assert_int_equal(h_run(argv, out, sizeof(out), CLIENT_MS), 0);
	}
	assert_one_of(out, strlen(out), sent_a);
	show("nc -d qotd", out);

	/* head exits after 3 lines; nc dies of SIGPIPE on its next write */
	snprintf(cmd, sizeof(cmd), "nc -d -w 3 127.0.0.1 %d | head -n 3", chargen);
	{
		const char *argv[] = { "sh", "-c", cmd, NULL };
		assert_int_equal(h_run(argv, out, sizeof(out), CLIENT_MS), 0);
	}
	assert_int_equal(strlen(out), 3 * 74);
	assert_chargen_stream((const unsigned char *)out, 3 * 74, 0);
	show("nc -d chargen | head -n 3", out);
}

/* rdate prints the remote time as "%a %b %e %H:%M:%S %Z %Y" in local time. */
static void
assert_rdate_now(const char *out)
{
	time_t now = time(NULL);

	for (time_t t = now - 3 - h_hang_ms(CLIENT_MS) / 1000; t <= now + 1; t++) {
		struct tm tm;
		char want[64];
		localtime_r(&t, &tm);
		strftime(want, sizeof(want), "%a %b %e %H:%M:%S", &tm);
		if (strstr(out, want) != NULL) {
			strftime(want, sizeof(want), " %Y\n", &tm);
			assert_non_null(strstr(out, want));
			return;
		}
	}
	fail_msg("rdate printed \"%s\", not the time now", out);
}

static void
service_client_rdate_test(void **state)
{
	struct fixture *f = *state;
	int port = h_free_port();
	char sp[16], out[1024];

	if (!need_client("rdate", "rdate"))
		skip();
	start_pair(f, "time", port, "");
	snprintf(sp, sizeof(sp), "%d", port);
	{
		const char *rdate = access("/usr/sbin/rdate", X_OK) == 0 ?
		    "/usr/sbin/rdate" : "rdate";
		const char *argv[] = { rdate, "-p", "-o", sp, "127.0.0.1", NULL };
		assert_int_equal(h_run(argv, out, sizeof(out), CLIENT_MS), 0);
		assert_rdate_now(out);
		show("rdate -p (TCP)", out);
		const char *argv_u[] = { argv[0], "-p", "-u", "-o", sp, "127.0.0.1", NULL };
		assert_int_equal(h_run(argv_u, out, sizeof(out), CLIENT_MS), 0);
		assert_rdate_now(out);
		show("rdate -p -u (UDP)", out);
	}
	assert_true(h_wait_log(&f->d, "service=time peer=127.0.0.1:", IO_MS));
	assert_true(h_wait_log(&f->d, "service=time-udp peer=127.0.0.1:", IO_MS));
}

#define T(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(service_echo_tcp_big_test),
		T(service_echo_tcp_half_close_test),
		T(service_echo_udp_test),
		T(service_echo_ipv6_test),
		T(service_discard_tcp_test),
		T(service_discard_udp_test),
		T(service_chargen_tcp_test),
		T(service_chargen_udp_test),
		T(service_chargen_stalled_client_test),
		T(service_daytime_tcp_test),
		T(service_daytime_udp_test),
		T(service_time_tcp_test),
		T(service_time_udp_test),
		T(service_qotd_tcp_test),
		T(service_qotd_udp_test),
		T(service_qotd_reload_test),
		T(service_reload_race_test),
		T(service_echo_idle_timeout_test),
		T(service_acl_refused_test),
		T(service_udp_low_source_port_test),
		T(service_udp_own_port_test),
		T(service_udp_amplification_test),
		T(service_udp_loop_test),
		T(service_client_socat_test),
		T(service_client_nc_test),
		T(service_client_rdate_test),
	};

	/* a peer that went away must fail a send, not kill the test */
	signal(SIGPIPE, SIG_IGN);
	/* SERVICE_TEST_FILTER=service_qotd_* runs some cases only */
	if (getenv("SERVICE_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("SERVICE_TEST_FILTER"));
	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
