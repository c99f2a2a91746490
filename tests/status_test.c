/* The status service and /metrics, run for real: counters that move with traffic and reloads, checked by promtool. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "harness.h"

static char body[65536];

/* GET path from the status port; the response body goes to body. */
static void
http_get(int port, const char *path)
{
	char req[128];
	int fd = h_connect("127.0.0.1", port, 2000);
	ssize_t n;
	char *sep;

	assert_true(fd >= 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
	assert_true(h_write_all(fd, req, strlen(req)));
	n = h_read_all(fd, body, sizeof(body) - 1, 3000);
	close(fd);
	assert_true(n > 0);
	body[n] = '\0';
	assert_memory_equal(body, "HTTP/1.0 200 OK\r\n", 17);
	sep = strstr(body, "\r\n\r\n");
	assert_non_null(sep);
	memmove(body, sep + 4, strlen(sep + 4) + 1);
}

static unsigned long long
metric(const char *series)
{
	const char *p = strstr(body, series);
	unsigned long long v = 0;

	if (p == NULL)
		fail_msg("no %s in:\n%s", series, body);
	assert_int_equal(sscanf(p + strlen(series), " %llu", &v), 1);
	return v;
}

/* A worker counts a connection just after closing it: the client may ask first. */
static void
wait_metric(int sport, const char *series, unsigned long long want)
{
	int64_t end = h_now_ms() + h_hang_ms(10000);

	for (;;) {
		http_get(sport, "/metrics");
		if (metric(series) == want)
			return;
		if (h_now_ms() > end)
			fail_msg("%s is %llu, not %llu", series, metric(series), want);
		h_sleep_ms(50);
	}
}

static void
write_conf(struct daemon *d, int port, int sport, const char *echo_handler)
{
	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"%s\"; workers = 2;\n"
	    "   deny = [ \"127.0.0.2\" ]; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1;\n"
	    "   allow = [ \"127.0.0.0/8\", \"::1\" ]; } );\n", port, echo_handler, sport);
}

/* pid's row of the status table says what it does, or NULL while it has none. */
static const char *
worker_state(const char *table, pid_t pid, char state[16])
{
	char want[32];
	const char *p = table;

	snprintf(want, sizeof(want), "%ld ", (long)pid);
	while (p != NULL && *p != '\0') {
		if (strncmp(p, want, strlen(want)) == 0 &&
		    sscanf(p + strlen(want), " %*s %15s", state) == 1)
			return state;
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	return NULL;
}

/*
 * A forked worker is counted as a child before it has confined itself:
 * what it maps and holds is settled only once its line says idle or busy
 * (the state to wait on; the bound only catches a hang).
 */
static void
wait_worker_serving(struct daemon *d, pid_t pid)
{
	const char *argv[] = { h_netsrvd(), "-s", "-c", d->conf, NULL };
	static char out[16384];
	char state[16];
	const char *st;
	int64_t end = h_now_ms() + h_hang_ms(10000);

	for (;;) {
		assert_int_equal(h_run(argv, out, sizeof(out), 5000), 0);
		st = worker_state(out, pid, state);
		if (st != NULL && (strcmp(st, "idle") == 0 || strcmp(st, "busy") == 0))
			return;
		if (h_now_ms() > end)
			fail_msg("worker %ld never came to serve:\n%s", (long)pid, out);
		h_sleep_ms(50);
	}
}

/* write_conf's echo and status services, serving, and their 3 workers' pids in kids[0..2]. */
static void
start_echo_and_status(struct daemon *d, int port, int sport, pid_t kids[4])
{
	write_conf(d, port, sport, "echo");
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 3, 3000));
	assert_int_equal(h_children(d->pid, kids, 4), 3);
	for (int i = 0; i < 3; i++)
		wait_worker_serving(d, kids[i]);
}

/* promtool, the Prometheus project's own checker, on an exposition (CI must have it). */
static void
promtool_check(struct daemon *d, const char *text)
{
	char path[300], cmd[700], out[4096];

	if (access("/usr/bin/promtool", X_OK) != 0) {
		if (getenv("CI") != NULL)
			fail_msg("promtool is missing (package prometheus)");
		print_message("promtool not installed: exposition format not checked by it\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/metrics.txt", d->dir);
	h_write_file(path, text);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s'", path);
	const char *argv[] = { "sh", "-c", cmd, NULL };
	int rc = h_run(argv, out, sizeof(out), 20000);
	if (rc != 0)
		fail_msg("promtool check metrics: %d\n%s", rc, out);
	print_message("promtool check metrics: ok (%zu bytes)\n", strlen(text));
}

static void
status_text_and_cli_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char out[16384];

	write_conf(d, port, sport, "echo");
	h_start_serving(d, port);
	for (int i = 0; i < 7; i++)
		assert_true(h_echo("127.0.0.1", port, "count me", 8, 2000));
	const char *argv[] = { h_netsrvd(), "-s", "-c", d->conf, NULL };
	/* the last connection is counted just after its close: ask until it shows */
	int64_t end = h_now_ms() + h_hang_ms(10000);
	do {
		assert_int_equal(h_run(argv, out, sizeof(out), 5000), 0);
		if (strstr(out, "service echo (tcp): 8 connections") != NULL)
			break;
		h_sleep_ms(50);
	} while (h_now_ms() < end);
	print_message("%s", out);
	assert_non_null(strstr(out, "netsrvd " PACKAGE_VERSION ", up "));
	assert_non_null(strstr(out, "PID      SERVICE"));
	assert_non_null(strstr(out, " echo "));
	assert_non_null(strstr(out, " status           busy"));	/* the one answering us */
	assert_non_null(strstr(out, "3 workers"));
	assert_non_null(strstr(out, "service echo (tcp): 8 connections, 56 bytes in, 56 bytes out"));
	/* no status service configured: a clear error */
	h_write_conf(d, "services = ( { name = \"e\"; protocol = \"tcp\"; port = %d; handler = \"echo\"; } );\n", port);
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 1);
	assert_non_null(strstr(out, "has no enabled service with handler \"status\""));
	assert_int_equal(h_stop(d), 0);
}

static void
status_metrics_move_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	write_conf(d, port, sport, "echo");
	h_start_serving(d, port);
	/* h_start_serving's probe is the first connection */
	wait_metric(sport, "netsrvd_connections_total{service=\"echo\"}", 1);
	unsigned long long c0 = 1;
	/*
	 * The probe's worker counts its connection before its board line
	 * says idle again: under load a scrape can fall in between.
	 */
	wait_metric(sport, "netsrvd_workers{service=\"echo\",state=\"idle\"}", 2);
	unsigned long long r0 = metric("netsrvd_reloads_total{result=\"ok\"}");
	for (int i = 0; i < 5; i++)
		assert_true(h_echo("127.0.0.1", port, "12345", 5, 2000));
	wait_metric(sport, "netsrvd_connections_total{service=\"echo\"}", c0 + 5);
	assert_true(metric("netsrvd_received_bytes_total{service=\"echo\"}") >= 25);
	assert_true(metric("netsrvd_connection_duration_seconds_count{service=\"echo\"}") >= 5);
	assert_true(metric("netsrvd_connection_duration_seconds_bucket{service=\"echo\",le=\"+Inf\"}") >= 5);
	/* a reload that works, one that does not */
	kill(d->pid, SIGHUP);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, (long long)r0 + 1, 3000),
	    (long long)r0 + 1);
	write_conf(d, port, sport, "ecoh");
	kill(d->pid, SIGHUP);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"failed\"}", H_EQUAL, 1, 3000), 1);
	http_get(sport, "/metrics");
	assert_int_equal(metric("netsrvd_reloads_total{result=\"ok\"}"), r0 + 1);
	assert_int_equal(metric("netsrvd_reloads_total{result=\"failed\"}"), 1);
	/* counters outlive the workers of the old generation */
	assert_true(metric("netsrvd_connections_total{service=\"echo\"}") >= c0 + 5);
	assert_true(metric("netsrvd_worker_starts_total{service=\"echo\"}") >= 4);
	/* a real Prometheus tool agrees it is valid exposition format */
	promtool_check(d, body);
	assert_int_equal(h_stop(d), 0);
}

/* After a reload, an old worker still serving shows its generation beside the new ones. */
static void
status_generation_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[] = { h_netsrvd(), "-s", "-c", d->conf, NULL };
	char out[16384], line[64];
	int fd;

	write_conf(d, port, sport, "echo");
	h_start_serving(d, port);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "x", 1));
	assert_int_equal(h_read_all(fd, line, 1, 3000), 1);	/* its worker is busy with us */
	kill(d->pid, SIGHUP);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	int64_t end = h_now_ms() + h_hang_ms(10000);
	do {	/* the new workers report idle shortly after they start */
		assert_int_equal(h_run(argv, out, sizeof(out), 5000), 0);
		if (strstr(out, " idle ") != NULL && strstr(out, " echo ") != NULL)
			break;
		h_sleep_ms(50);
	} while (h_now_ms() < end);
	print_message("%s", out);
	assert_non_null(strstr(out, ", generation 2\r\n"));
	assert_non_null(strstr(out, "CONNS   GEN\r\n"));
	/* the old worker: busy with our client, generation 1; its replacements: 2 */
	bool old_busy = false, new_idle = false;
	for (char *l = strtok(out, "\r\n"); l != NULL; l = strtok(NULL, "\r\n")) {
		char pid[16], svc[32], st[16];
		unsigned gen;
		size_t n = strlen(l);

		if (sscanf(l, "%15s %31s %15s", pid, svc, st) != 3 || strcmp(svc, "echo") != 0 ||
		    n < 2 || sscanf(strrchr(l, ' ') + 1, "%u", &gen) != 1)
			continue;
		old_busy |= strcmp(st, "busy") == 0 && gen == 1;
		new_idle |= strcmp(st, "idle") == 0 && gen == 2;
	}
	assert_true(old_busy);
	assert_true(new_idle);
	close(fd);
	assert_int_equal(h_stop(d), 0);
}

/* How many times needle occurs in body. */
static int
occurrences(const char *needle)
{
	int n = 0;

	for (const char *p = body; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A series of service's in the family name: "\nname{service=\"svc\"" starts a sample line. */
static bool
has_series(const char *name, const char *svc)
{
	char needle[160];

	snprintf(needle, sizeof(needle), "\n%s{service=\"%s\"", name, svc);
	return strstr(body, needle) != NULL;
}

static const char *const tcp_only[] = {
	"netsrvd_connections_total", "netsrvd_received_bytes_total", "netsrvd_sent_bytes_total",
	"netsrvd_refused_total", "netsrvd_connection_duration_seconds_bucket",
	"netsrvd_connection_duration_seconds_sum", "netsrvd_connection_duration_seconds_count",
};
static const char *const udp_only[] = { "netsrvd_datagrams_total", "netsrvd_datagrams_dropped_total" };
static const char *const both[] = { "netsrvd_worker_starts_total", "netsrvd_worker_crashes_total", "netsrvd_workers" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* tcp and udp name services of those protocols: each family has the one's series and not the other's. */
static void
assert_series_by_protocol(const char *tcp, const char *udp)
{
	for (size_t i = 0; i < NELEM(tcp_only); i++)
		if (!has_series(tcp_only[i], tcp) || has_series(tcp_only[i], udp))
			fail_msg("%s: a series for %s expected, none for %s, in:\n%s", tcp_only[i], tcp, udp, body);
	for (size_t i = 0; i < NELEM(udp_only); i++)
		if (!has_series(udp_only[i], udp) || has_series(udp_only[i], tcp))
			fail_msg("%s: a series for %s expected, none for %s, in:\n%s", udp_only[i], udp, tcp, body);
	for (size_t i = 0; i < NELEM(both); i++)
		if (!has_series(both[i], udp) || !has_series(both[i], tcp))
			fail_msg("%s: a series for both %s and %s expected", both[i], tcp, udp);
}

/*
 * A series is emitted for a service only when it applies to its protocol
 * (connections, bytes, refusals, durations: TCP; datagrams and drops:
 * UDP), each family's HELP and TYPE once; a reload that moves a service
 * to the other protocol moves its series; netsrvd_build_info names the
 * version.
 */
static void
status_metrics_per_protocol_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port(), sport = h_free_port(), fport = h_free_port();
	char build[128], reply[8];
	/* a macro, not a variable: the compiler checks the format against its arguments */
#define PROTO_CONF "services = (\n" \
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n" \
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n" \
	    " { name = \"flip\"; protocol = \"%s\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n" \
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n"

	h_write_conf(d, PROTO_CONF, port, uport, "tcp", fport, sport);
	h_start_serving(d, sport);
	assert_int_equal(h_udp_query("127.0.0.1", uport, "x", 1, reply, sizeof(reply), 2000), 1);
	wait_metric(sport, "netsrvd_datagrams_total{service=\"echo-udp\"}", 1);
	assert_series_by_protocol("echo", "echo-udp");
	assert_series_by_protocol("flip", "echo-udp");
	assert_false(has_series("netsrvd_datagrams_total", "status"));
	/* each family introduced once */
	assert_int_equal(occurrences("# TYPE netsrvd_connections_total counter\n"), 1);
	assert_int_equal(occurrences("# TYPE netsrvd_datagrams_dropped_total counter\n"), 1);
	assert_int_equal(occurrences("# HELP netsrvd_connection_duration_seconds "), 1);
	snprintf(build, sizeof(build), "\nnetsrvd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	assert_non_null(strstr(body, build));
	assert_int_equal(occurrences("# TYPE netsrvd_build_info gauge\n"), 1);
	promtool_check(d, body);

	/* flip becomes a UDP service: its TCP series go, its UDP ones come */
	h_write_conf(d, PROTO_CONF, port, uport, "udp", fport, sport);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	assert_int_equal(h_udp_query("127.0.0.1", fport, "x", 1, reply, sizeof(reply), 2000), 1);
	/* until the new generation's status worker answers */
	for (int64_t end = h_now_ms() + 3000;; h_sleep_ms(50)) {
		http_get(sport, "/metrics");
		if ((has_series("netsrvd_datagrams_total", "flip") &&
		    metric("netsrvd_datagrams_total{service=\"flip\"}") == 1) || h_now_ms() > end)
			break;
	}
	assert_series_by_protocol("echo", "flip");
	promtool_check(d, body);
	assert_int_equal(h_stop(d), 0);
#undef PROTO_CONF
}

#define MANY 200

/* GET /metrics into a buffer of any size: the whole response, or NULL. */
static char *
http_get_big(int port, size_t *len)
{
	const char *req = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
	size_t max = 4u << 20;
	char *buf = malloc(max);
	int fd = h_connect("127.0.0.1", port, 2000);
	ssize_t n;

	assert_non_null(buf);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, req, strlen(req)));
	n = h_read_all(fd, buf, max - 1, 10000);
	close(fd);
	assert_true(n > 0 && (size_t)n < max - 1);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}


/*
 * /metrics for 200 services is some 350 KB, five times the worker's
 * buffer; it was cut at 65,279 bytes, mid-line, with a Content-Length to
 * match, and Prometheus rejected the scrape. Every service must be there
 * and the body must end with a whole line.
 */
static void
status_metrics_many_services_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	size_t cap = 200 + MANY * 128, used = 0, len;
	char *conf = malloc(cap), series[128];

	assert_non_null(conf);
	used += (size_t)snprintf(conf + used, cap - used, "services = (\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; }", sport);
	/* one port, a loopback address each: 127.0.1.1 to 127.0.1.200 */
	for (int i = 1; i <= MANY; i++)
		used += (size_t)snprintf(conf + used, cap - used, ",\n { name = \"svc-%03d\"; protocol = \"tcp\";"
		    " address = \"127.0.1.%d\"; port = %d; handler = \"echo\"; workers = 1; }", i, i, port);
	assert_true(used + 8 < cap);
	snprintf(conf + used, cap - used, "\n);\n");
	h_write_file(d->conf, conf);
	free(conf);
	h_start_serving(d, sport);

	char *resp = http_get_big(sport, &len);
	char *mbody = strstr(resp, "\r\n\r\n");
	assert_memory_equal(resp, "HTTP/1.0 200 OK\r\n", 17);
	assert_non_null(mbody);
	mbody += 4;
	size_t blen = len - (size_t)(mbody - resp);
	/* a Content-Length, if any, must be the truth */
	const char *cl = strstr(resp, "Content-Length: ");
	if (cl != NULL && cl < mbody)
		assert_int_equal(strtoull(cl + 16, NULL, 10), blen);
	print_message("/metrics for %d services: %zu bytes, %s\n", MANY + 1, blen,
	    cl != NULL && cl < mbody ? "with Content-Length" : "ended by the close");
	for (int i = 1; i <= MANY; i++) {
		snprintf(series, sizeof(series), "\nnetsrvd_connections_total{service=\"svc-%03d\"} ", i);
		if (strstr(mbody, series) == NULL)
			fail_msg("service svc-%03d missing from /metrics (%zu bytes)", i, blen);
		snprintf(series, sizeof(series), "\nnetsrvd_connection_duration_seconds_count{service=\"svc-%03d\"} ", i);
		if (strstr(mbody, series) == NULL)
			fail_msg("service svc-%03d missing from the last family of /metrics", i);
	}
	/* it ends with a whole line: the last service's last sample */
	assert_true(blen > 0 && mbody[blen - 1] == '\n');
	mbody[blen - 1] = '\0';
	const char *last = strrchr(mbody, '\n');
	assert_non_null(last);
	snprintf(series, sizeof(series), "\nnetsrvd_connection_duration_seconds_count{service=\"svc-%03d\"} ", MANY);
	assert_memory_equal(last, series, strlen(series));
	mbody[blen - 1] = '\n';
	promtool_check(d, mbody);
	free(resp);
	/* the plain text too: every service, then the last line */
	int fd = h_connect("127.0.0.1", sport, 2000);
	size_t tmax = 1u << 20;
	char *text = malloc(tmax);
	assert_true(fd >= 0);
	assert_non_null(text);
	ssize_t tn = h_read_all(fd, text, tmax - 1, 5000);
	close(fd);
	assert_true(tn > 0);
	text[tn] = '\0';
	assert_non_null(strstr(text, "service svc-001 (tcp): "));
	assert_non_null(strstr(text, "service svc-200 (tcp): "));
	assert_non_null(strstr(text, "\r\nreloads: 0 ok, 0 failed\r\n"));
	assert_true(strcmp(text + tn - 2, "\r\n") == 0);
	free(text);
	assert_int_equal(h_stop(d), 0);
}

/*
 * Overwrites every shared mapping a worker has with 0xff bytes, as code run
 * in a compromised worker could; returns the bytes written, or -1 if this
 * process may not write the worker's memory.
 */
static long
scribble_over_shared_memory(pid_t pid)
{
	char path[64], line[512];
	static unsigned char junk[1 << 16];
	FILE *maps;
	long total = 0;
	int mem;

	memset(junk, 0xff, sizeof(junk));
	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)pid);
	mem = open(path, O_RDWR);
	if (mem == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps) != NULL) {
		unsigned long lo, hi;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || strcmp(perms, "rw-s") != 0)
			continue;
		for (unsigned long a = lo; a < hi; a += sizeof(junk)) {
			size_t len = hi - a < sizeof(junk) ? hi - a : sizeof(junk);
			assert_int_equal(pwrite(mem, junk, len, (off_t)a), (ssize_t)len);
			total += (long)len;
		}
	}
	fclose(maps);
	close(mem);
	return total;
}

/*
 * Bytes of the worker's mappings of memfd name, writable (rw) or not.
 * /proc/PID/maps: "lo-hi perms offset dev inode /memfd:NAME (deleted)".
 */
static void
shared_bytes(pid_t pid, const char *name, long *rw, long *ro)
{
	char path[64], line[512];
	FILE *maps;

	*rw = *ro = 0;
	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps) != NULL) {
		unsigned long lo, hi;
		char perms[8];

		if (strstr(line, name) == NULL || sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (strcmp(perms, "rw-s") == 0)
			*rw += (long)(hi - lo);
		else if (strcmp(perms, "r--s") == 0)
			*ro += (long)(hi - lo);
	}
	fclose(maps);
}

/*
 * A worker can write one page of shared memory, its own scoreboard line:
 * the other lines and the counter table are mapped read-only through a
 * read-only descriptor, and no descriptor of either is left to it.
 */
static void
status_worker_writes_own_line_only_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	long page = sysconf(_SC_PAGESIZE), rw, ro;
	pid_t kids[4];

	start_echo_and_status(d, port, sport, kids);
	for (int i = 0; i < 3; i++) {
		shared_bytes(kids[i], "/memfd:netsrvd-scoreboard", &rw, &ro);
		assert_int_equal(rw, page);
		assert_true(ro > 0);
		shared_bytes(kids[i], "/memfd:netsrvd-statistics", &rw, &ro);
		assert_int_equal(rw, 0);
		assert_true(ro > 0);
		assert_int_equal(h_count_fds(kids[i], "/memfd:"), 0);
	}
	/* the counters still add up: a worker's own, then folded by the master as it goes */
	const char *conns = "netsrvd_connections_total{service=\"echo\"}";
	http_get(sport, "/metrics");
	unsigned long long before = metric(conns);
	assert_true(h_echo("127.0.0.1", port, "one", 3, 2000));
	wait_metric(sport, conns, before + 1);
	for (int i = 0; i < 3; i++) {	/* every echo worker: whichever served us is folded */
		char title[64];
		h_cmdline(kids[i], title, sizeof(title));
		if (strcmp(title, "netsrvd: worker echo") == 0)
			assert_int_equal(kill(kids[i], SIGKILL), 0);
	}
	assert_true(h_wait_children(d->pid, 3, 3000));
	h_sleep_ms(100);
	wait_metric(sport, conns, before + 1);
	assert_int_equal(h_stop(d), 0);
}

/*
 * The master trusts nothing a worker can write: with every shared page
 * the worker can write filled with 0xff, it reloads, serves and reports,
 * and stops cleanly.
 */
static void
status_hostile_worker_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	pid_t kids[4];
	long n;

	start_echo_and_status(d, port, sport, kids);
	n = scribble_over_shared_memory(kids[0]);
	if (n < 0) {
		print_message("skipped: cannot write a worker's memory here (CI runs this as root)\n");
		skip();
	}
	print_message("wrote 0xff over %ld bytes of shared memory\n", n);
	assert_true(n > 0);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (!h_wait_log(d, "reloaded:", 5000))
		h_fail_with_log(d, "no reload after the shared memory was overwritten");
	assert_true(h_pid_alive(d->pid));
	assert_true(h_echo("127.0.0.1", port, "still here", 10, 2000));
	http_get(sport, "/metrics");
	assert_non_null(strstr(body, "netsrvd_workers{service=\"echo\",state=\"idle\"}"));
	assert_int_equal(h_stop(d), 0);
}

/* How many distinct memfds named name the worker maps (/proc/PID/maps: the inode, 5th field). */
static int
distinct_mappings(pid_t pid, const char *name)
{
	char path[64], line[512];
	unsigned long inodes[16];
	int n = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps) != NULL) {
		unsigned long inode;
		bool seen = false;

		if (strstr(line, name) == NULL || sscanf(line, "%*s %*s %*s %*s %lu", &inode) != 1)
			continue;
		for (int i = 0; i < n; i++)
			seen |= inodes[i] == inode;
		if (!seen && n < 16)
			inodes[n++] = inode;
	}
	fclose(maps);
	return n;
}

/*
 * Each generation has its own scoreboard. After a reload, with an old
 * worker still busy with our client, a new worker maps both boards, can
 * write only its own line, and status counts the old worker from the old
 * board beside the new ones.
 */
static void
status_boards_per_generation_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	long page = sysconf(_SC_PAGESIZE), rw, ro;
	pid_t before[4], after[8];
	int nafter, checked = 0;
	char line[8];
	int fd;

	start_echo_and_status(d, port, sport, before);
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "x", 1));
	assert_int_equal(h_read_all(fd, line, 1, 3000), 1);	/* one generation-1 worker is busy */
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	assert_true(h_wait_children(d->pid, 4, 3000));	/* 3 new, and the busy old one */
	nafter = h_children(d->pid, after, 8);
	for (int i = 0; i < nafter; i++) {
		bool old = false;

		for (int j = 0; j < 3; j++)
			old |= after[i] == before[j];
		if (old)
			continue;
		wait_worker_serving(d, after[i]);
		assert_int_equal(distinct_mappings(after[i], "/memfd:netsrvd-scoreboard"), 2);
		shared_bytes(after[i], "/memfd:netsrvd-scoreboard", &rw, &ro);
		assert_int_equal(rw, page);
		assert_true(ro >= 4 * page);	/* the rest of its board (3 lines) and all of the old (3) */
		assert_int_equal(h_count_fds(after[i], "/memfd:"), 0);
		checked++;
	}
	assert_int_equal(checked, 3);
	http_get(sport, "/metrics");
	assert_non_null(strstr(body, "netsrvd_workers{service=\"echo\",state=\"busy\"} 1\n"));
	close(fd);
	assert_int_equal(h_stop(d), 0);
}

/* The STATE column of name's row in the service table of -s, where it says it listens, or NULL. */
static const char *
service_row(const char *text, const char *name, char *where, size_t wlen)
{
	static char state[16];
	char copy[16384], want[64];

	snprintf(copy, sizeof(copy), "%s", text);
	snprintf(want, sizeof(want), "%s ", name);
	for (char *l = strtok(copy, "\r\n"); l != NULL; l = strtok(NULL, "\r\n")) {
		char svc[40], proto[8], at[80];

		if (sscanf(l, "%39s %7s %79s %15s", svc, proto, at, state) == 4 && strcmp(svc, name) == 0 &&
		    strcmp(proto, "tcp") == 0 && (strcmp(state, "up") == 0 || strcmp(state, "down") == 0)) {
			snprintf(where, wlen, "%s", at);
			return state;
		}
	}
	return NULL;
}

/* netsrvd -s until name's row says state (the daemon gets there on its own; the bound only catches a hang). */
static void
wait_service_row(struct daemon *d, const char *name, const char *where, const char *state, int timeout_ms)
{
	const char *argv[] = { h_netsrvd(), "-s", "-c", d->conf, NULL };
	static char out[16384];
	char at[80] = "";
	const char *st = NULL;
	int64_t end = h_now_ms() + timeout_ms;

	do {
		assert_int_equal(h_run(argv, out, sizeof(out), 5000), 0);
		st = service_row(out, name, at, sizeof(at));
		if (st != NULL && strcmp(st, state) == 0)
			break;
		h_sleep_ms(100);
	} while (h_now_ms() < end);
	if (st == NULL || strcmp(st, state) != 0 || strcmp(at, where) != 0)
		fail_msg("service %s: want %s %s in -s, got %s %s:\n%s", name, where, state, at,
		    st != NULL ? st : "(no row)", out);
}

/* The longest delay between two bind tries, and then some: a bound that only catches a hang. */
#define BIND_RETRY_BOUND_MS 70000

/*
 * A port another program holds stops one service, not the daemon: the
 * others serve, -s, /metrics and STATUS= say which is down and where, and
 * once the port is free the service binds on its own and serves.
 */
static void
status_service_down_test(void **state)
{
	struct daemon *d = *state;
	int pa = h_free_port(), held = h_free_port(), sport = h_free_port();
	int holder = h_listen_tcp(held);
	char path[256], seen[8192] = "", want[200];
	int nfd = h_notify_open(d, path, sizeof(path));

	h_write_conf(d, "services = (\n"
	    " { name = \"held\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    held, pa, sport);
	setenv("NOTIFY_SOCKET", path, 1);
	h_start(d, NULL);
	unsetenv("NOTIFY_SOCKET");
	snprintf(want, sizeof(want), "STATUS=serving: 3 services (1 down: held 127.0.0.1:%d), 2 workers", held);
	if (!h_notify_wait(nfd, want, seen, sizeof(seen), 5000)) {
		print_message("the daemon sent: %s\n", seen);
		h_fail_with_log(d, want);
	}
	if (h_wait_port("127.0.0.1", pa, 5000) != 0)
		h_fail_with_log(d, "the service that could bind does not serve");
	assert_true(h_pid_alive(d->pid));
	assert_true(h_echo("127.0.0.1", pa, "others serve", 12, 2000));
	snprintf(want, sizeof(want), "service held: cannot bind tcp 127.0.0.1:%d: %s", held, strerror(EADDRINUSE));
	assert_true(h_log_contains(d, want));
	snprintf(want, sizeof(want), "127.0.0.1:%d", held);
	wait_service_row(d, "held", want, "down", 3000);
	snprintf(want, sizeof(want), "127.0.0.1:%d", pa);
	wait_service_row(d, "echo", want, "up", 3000);
	http_get(sport, "/metrics");
	assert_int_equal(metric("netsrvd_service_up{service=\"held\"}"), 0);
	assert_int_equal(metric("netsrvd_service_up{service=\"echo\"}"), 1);
	assert_int_equal(metric("netsrvd_service_up{service=\"status\"}"), 1);
	assert_int_equal(metric("netsrvd_workers{service=\"held\",state=\"idle\"}"), 0);
	promtool_check(d, body);

	/* the port is free again: the next try binds it, and its worker serves */
	close(holder);
	seen[0] = '\0';
	if (!h_notify_wait(nfd, "STATUS=serving: 3 services, 3 workers", seen, sizeof(seen), BIND_RETRY_BOUND_MS))
		fail_msg("held never came up; the daemon sent: %s", seen);
	wait_metric(sport, "netsrvd_service_up{service=\"held\"}", 1);
	snprintf(want, sizeof(want), "127.0.0.1:%d", held);
	wait_service_row(d, "held", want, "up", 3000);
	assert_true(h_echo("127.0.0.1", held, "up at last", 10, 3000));
	assert_int_equal(h_stop(d), 0);
	close(nfd);
}

/*
 * freebind = true: a service on an address the host does not have
 * (192.0.2.0/24, for documentation) binds, -t accepts the key; its
 * neighbour without freebind is down. Nothing is sent to either address.
 */
static void
status_freebind_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *check[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	char out[4096], want[64];
	bool nonlocal = h_sysctl_int("/proc/sys/net/ipv4/ip_nonlocal_bind") != 0;

	h_write_conf(d, "services = (\n"
	    " { name = \"far\"; protocol = \"tcp\"; address = \"192.0.2.10\"; port = %d; handler = \"echo\"; workers = 1;\n"
	    "   freebind = true; },\n"
	    " { name = \"near\"; protocol = \"tcp\"; address = \"192.0.2.11\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, port, sport);
	assert_int_equal(h_run(check, out, sizeof(out), 5000), 0);
	assert_non_null(strstr(out, "configuration OK"));
	h_start_serving(d, sport);
	snprintf(want, sizeof(want), "192.0.2.10:%d", port);
	wait_service_row(d, "far", want, "up", 3000);
	http_get(sport, "/metrics");
	assert_int_equal(metric("netsrvd_service_up{service=\"far\"}"), 1);
	if (nonlocal)
		print_message("net.ipv4.ip_nonlocal_bind is set: any address binds; near is not checked\n");
	else {
		snprintf(want, sizeof(want), "192.0.2.11:%d", port);
		wait_service_row(d, "near", want, "down", 3000);
		assert_int_equal(metric("netsrvd_service_up{service=\"near\"}"), 0);
	}
	assert_int_equal(h_stop(d), 0);
}

/*
 * A service name of the longest length the schema allows (NETSRVD_NAME_MAX)
 * is carried whole through the statistics table: /metrics and -s show it
 * all, not cut to the size of a name buffer.
 */
static void
status_longest_name_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char name[NETSRVD_NAME_MAX + 1], want[160];

	memset(name, 'n', NETSRVD_NAME_MAX);
	name[NETSRVD_NAME_MAX] = '\0';
	name[NETSRVD_NAME_MAX - 1] = 'z';	/* the last character is the one a short buffer would lose */
	h_write_conf(d, "services = (\n"
	    " { name = \"%s\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    name, port, sport);
	h_start_serving(d, sport);
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	wait_service_row(d, name, want, "up", 3000);
	http_get(sport, "/metrics");
	snprintf(want, sizeof(want), "netsrvd_service_up{service=\"%s\"}", name);
	assert_int_equal(metric(want), 1);
	assert_int_equal(h_stop(d), 0);
}

/*
 * Bytes of shared memory the master's open memfd named name holds
 * (st_blocks: pages the kernel allocated, whoever faulted them in), or -1.
 */
static long long
memfd_allocated(pid_t pid, const char *name)
{
	char path[64], link[256], p[320];
	struct dirent *de;
	long long bytes = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		struct stat st;
		ssize_t k;

		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		k = readlink(p, link, sizeof(link) - 1);
		if (de->d_name[0] == '.' || k <= 0)
			continue;
		link[k] = '\0';
		if (strncmp(link, name, strlen(name)) == 0 && stat(p, &st) == 0)
			bytes = (long long)st.st_blocks * 512;
	}
	closedir(dir);
	return bytes;
}

/*
 * A service allowed 4096 workers gets a board of 4096 one-page lines;
 * reading it for /metrics and -s must not touch the lines no worker has
 * taken, or each read makes all 16 MB of it real shared memory.
 */
static void
status_untaken_lines_untouched_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[] = { h_netsrvd(), "-s", "-c", d->conf, NULL };
	static char out[16384];
	long long bytes;

	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 2; max_workers = 4096; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1;\n"
	    "   allow = [ \"127.0.0.0/8\" ]; } );\n", port, sport);
	h_start_serving(d, port);
	for (int i = 0; i < 3; i++) {
		http_get(sport, "/metrics");
		assert_non_null(strstr(body, "netsrvd_workers{service=\"echo\",state=\"idle\"}"));
	}
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 0);
	assert_non_null(strstr(out, "3 workers"));
	bytes = memfd_allocated(d->pid, "/memfd:netsrvd-scoreboard");
	print_message("scoreboard: %lld bytes of shared memory allocated\n", bytes);
	assert_true(bytes >= 0);
	assert_true(bytes < 1024 * 1024);	/* a few taken lines; 16 MB if every line was read */
	assert_int_equal(h_stop(d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(status_text_and_cli_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_metrics_move_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_metrics_per_protocol_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_generation_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_boards_per_generation_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_metrics_many_services_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_hostile_worker_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_worker_writes_own_line_only_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_service_down_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_freebind_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_longest_name_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_untaken_lines_untouched_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
