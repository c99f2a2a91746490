/* Faults under load: reload storms, killed workers, floods and hostile clients, with well-behaved clients alongside. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "accesslog.h"
#include "harness.h"

#define RELOADS_OK "netsrvd_reloads_total{result=\"ok\"}"
#define RELOADS_FAILED "netsrvd_reloads_total{result=\"failed\"}"

static void
print_tally(const char *what, const struct tally *t)
{
	print_message("%s: %ld TCP echoes ok, %ld failed; %ld UDP round trips ok, %ld lost\n",
	    what, t->ok, t->failed, t->udp_ok, t->udp_lost);
}

/* 50 reloads between two configs, one broken file in the middle: nothing lost on the services both keep. */
static void
fault_reload_storm_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port(), extra = h_free_port(), sport = h_free_port();
	char c1[1024], c2[1024];
	struct hammer hm;
	struct tally t;
	int reloads = 0;

	/* the clients hammer UDP from one address: no per-source budget (also below) */
	snprintf(c1, sizeof(c1), "udp_rate = 0;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port, sport, uport);
	snprintf(c2, sizeof(c2), "udp_rate = 0;\nworkers = 3;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; },\n"
	    " { name = \"chargen\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"chargen\"; workers = 1; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    port, extra, sport, uport);
	h_write_conf(d, "%s", c1);
	h_start_serving(d, port);
	h_hammer_start(&hm, 4, port, uport, 600);	/* until stopped */
	h_sleep_ms(200);
	for (int r = 1; r <= 50; r++) {
		if (r == 25) {
			h_write_conf(d, "services = ( { name = \"echo\"; protocol = \"tcp\";\n port = %d; handler = \"echo\" ", port);
			kill(d->pid, SIGHUP);
			assert_int_equal(h_wait_metric(sport, RELOADS_FAILED, H_EQUAL, 1, 3000), 1);
			h_sleep_ms(100);
		}
		h_write_conf(d, "%s", (r % 2) ? c2 : c1);
		kill(d->pid, SIGHUP);
		reloads++;
		if (h_wait_metric(sport, RELOADS_OK, H_EQUAL, reloads, 5000) != reloads)
			h_fail_with_log(d, "reload not done");
		h_sleep_ms(100);
	}
	h_hammer_stop(&hm);
	h_hammer_finish(&hm, &t);
	print_tally("50 reloads + 1 broken", &t);
	assert_int_equal(t.failed, 0);
	assert_int_equal(t.udp_lost, 0);
	assert_true(t.ok > 0);
	assert_int_equal(h_metric(sport, RELOADS_FAILED), 1);
	assert_true(h_wait_children(d->pid, 4, 5000));	/* c1's 3 and the status worker */
	assert_int_equal(h_count_zombies(d->pid), 0);
	assert_int_equal(h_stop(d), 0);
}

/*
 * A worker killed every 100 ms, 40 of them. Only workers past their first
 * second are picked: killing younger ones is a start failure by contract
 * (netsrvd(8)) and rightly puts the service into back-off. The only
 * failures allowed are the connections the killed workers were serving.
 */
static void
fault_kill_workers_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port();
	struct hammer hm;
	struct tally t;
	int kills = 0;

	h_write_conf(d, "udp_rate = 0;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 6; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    port, uport);
	h_start_serving(d, port);
	assert_true(h_wait_children(d->pid, 8, 3000));
	h_sleep_ms(1100);
	h_hammer_start(&hm, 3, port, uport, 600);	/* until stopped */
	pid_t born[4096];
	int64_t born_at[4096];
	int nborn = 0;
	int64_t start = h_now_ms(), end = start + h_hang_ms(60000);
	while (kills < 40 && h_now_ms() < end) {
		pid_t kids[32];
		int n = h_children(d->pid, kids, 32), eligible[32], ne = 0;
		int64_t now = h_now_ms();
		for (int i = 0; i < n; i++) {
			int j;
			for (j = 0; j < nborn && born[j] != kids[i]; j++)
				;
			if (j == nborn && nborn < 4096) {
				born[nborn] = kids[i];
				/* the first ones were there before we started watching */
				born_at[nborn++] = kills == 0 && now < start + 100 ? now - 2000 : now;
			}
			if (now - born_at[j] > 1200)
				eligible[ne++] = i;
		}
		if (ne > 0 && kill(kids[eligible[random() % ne]], SIGKILL) == 0)
			kills++;
		h_sleep_ms(100);
	}
	h_hammer_stop(&hm);
	h_hammer_finish(&hm, &t);
	print_message("%d workers killed in %lld ms\n", kills, (long long)(h_now_ms() - start));
	print_tally("kill storm", &t);
	assert_int_equal(kills, 40);
	assert_true(t.failed + t.udp_lost <= kills);
	assert_true(t.ok > 0);
	assert_true(h_wait_children(d->pid, 8, 3000));
	assert_false(h_log_contains(d, "keep dying at start"));
	assert_int_equal(h_count_zombies(d->pid), 0);
	assert_int_equal(h_stop(d), 0);
}

/* Every fd of the master is accounted for after 1,000 connections and 100 reloads. */
static void
fault_fd_accounting_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port(), extra = h_free_port(), sport = h_free_port();

	h_write_conf(d, "services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port, sport, uport);
	h_start_serving(d, port);
	h_sleep_ms(200);
	int before = h_count_fds(d->pid, NULL);
	for (int i = 0; i < 1000; i++)
		assert_true(h_echo("127.0.0.1", port, "fd", 2, 2000));
	for (int r = 1; r <= 100; r++) {
		/*
		 * Every other reload adds and then removes a service: sockets come
		 * and go. A new port each time: a closed one is anyone's on this
		 * machine (reload_test covers taking a removed port back).
		 */
		if (r % 2) {
			extra = h_free_port();
			h_write_conf(d, "services = (\n"
			    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
			    " { name = \"x\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"discard\"; workers = 1; },\n"
			    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; },\n"
			    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
			    port, extra, sport, uport);
		} else
			h_write_conf(d, "services = (\n"
			    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
			    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; },\n"
			    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
			    port, sport, uport);
		kill(d->pid, SIGHUP);
		if (h_wait_metric(sport, RELOADS_OK, H_EQUAL, r, 5000) != r)
			h_fail_with_log(d, "reload not done");
	}
	assert_true(h_wait_children(d->pid, 4, 5000));
	int after = h_count_fds(d->pid, NULL);
	print_message("master fds: %d before, %d after 1000 connections and 100 reloads\n", before, after);
	assert_int_equal(after, before);
	assert_int_equal(h_stop(d), 0);
}

/*
 * Ten times more clients than workers at once: half hold their connection
 * idle, half want an echo. The idle ones are cut at `timeout`; everyone
 * else is served from the backlog; the pool never grows.
 */
static void
fault_flood_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	enum { N = 20 };
	int fds[N];

	/* a static pool and no per-source cap: the timeout alone must see the flood through */
	h_write_conf(d, "timeout = 1; max_per_source = 0; services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2;\n"
	    "   max_workers = 2; backlog = 64; } );\n",
	    port);
	h_start_serving(d, port);
	for (int i = 0; i < N; i++) {
		fds[i] = h_connect("127.0.0.1", port, 2000);
		assert_true(fds[i] >= 0);
		if (i % 2 == 1)
			assert_true(h_write_all(fds[i], "ping", 4));
	}
	int64_t end = h_now_ms() + h_hang_ms(20000);
	int served = 0, maxkids = 0;
	bool done[N] = { false };
	while (served < N / 2 && h_now_ms() < end) {
		int k = h_count_children(d->pid);
		if (k > maxkids)
			maxkids = k;
		for (int i = 1; i < N; i += 2) {
			char buf[8];
			if (done[i])
				continue;
			ssize_t n = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 4) {
				assert_memory_equal(buf, "ping", 4);
				done[i] = true;
				served++;
				close(fds[i]);
				fds[i] = -1;
			} else if (n == 0 || (n == -1 && errno != EAGAIN))
				fail_msg("client %d: connection lost before its echo", i);
		}
		/* the daemon answers someone new all along */
		h_sleep_ms(50);
	}
	print_message("%d of %d waiting clients served; at most %d workers\n", served, N / 2, maxkids);
	assert_int_equal(served, N / 2);
	assert_true(maxkids <= 2);
	assert_true(al_count(d, "end=timeout") >= 1);
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	assert_true(h_echo("127.0.0.1", port, "after", 5, 5000));
	assert_int_equal(h_stop(d), 0);
}

static int
udp_from_port(int sport, int dport, const void *msg, size_t len, int timeout_ms)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	char buf[64];

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)sport);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -2;
	}
	sa.sin_port = htons((uint16_t)dport);
	assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)len);
	struct pollfd p = { fd, POLLIN, 0 };
	int r = poll(&p, 1, timeout_ms) == 1 ? (int)recv(fd, buf, sizeof(buf), 0) : -1;
	close(fd);
	return r;
}

/* Hostile clients of every kind at once, while well-behaved ones must see nothing of it. */
static void
fault_hostile_clients_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port(), cport = h_free_port(), sport = h_free_port();
	struct hammer hm;
	struct tally t;
	static char big[65507], back[65536];
	static const char *const names[] = { "echo", "chargen", "status", "echo-udp" };

	h_write_conf(d, "timeout = 2; udp_rate = 0; services = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 4; },\n"
	    " { name = \"chargen\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"chargen\"; workers = 2; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    port, cport, sport, uport);
	h_start_serving(d, port);
	h_hammer_start(&hm, 2, port, uport, 8);

	/* slow-loris: one byte a second on two connections */
	int loris[2];
	for (int i = 0; i < 2; i++) {
		loris[i] = h_connect("127.0.0.1", port, 2000);
		assert_true(loris[i] >= 0);
	}
	/* chargen clients that never read */
	int sink[3];
	for (int i = 0; i < 3; i++) {
		sink[i] = h_connect("127.0.0.1", cport, 2000);
		assert_true(sink[i] >= 0);
	}
	/* connect-and-reset, a hundred times */
	for (int i = 0; i < 100; i++) {
		int fd = h_connect("127.0.0.1", port, 2000);
		struct linger lg = { 1, 0 };
		if (fd >= 0) {
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
		}
	}
	/* a maximal datagram comes back whole */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(h_udp_query("127.0.0.1", uport, big, sizeof(big), back, sizeof(back), 3000),
	    (ssize_t)sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	/* reflection: no answer to the echo (7) or chargen (19) ports */
	if (geteuid() == 0) {
		assert_int_equal(udp_from_port(7, uport, "loop", 4, 500), -1);
		assert_int_equal(udp_from_port(19, uport, "loop", 4, 500), -1);
	} else
		print_message("skipped the source-port-7/19 probe: needs root to bind them\n");
	/* garbage configurations */
	for (int i = 0; i < 5; i++) {
		char junk[300];
		for (size_t k = 0; k < sizeof(junk) - 1; k++)
			junk[k] = (char)(1 + random() % 255);
		junk[sizeof(junk) - 1] = '\0';
		h_write_conf(d, "%s", junk);
		kill(d->pid, SIGHUP);
		assert_int_equal(h_wait_metric(sport, RELOADS_FAILED, H_EQUAL, i + 1, 3000), i + 1);
	}
	for (int s = 0; s < 4; s++) {
		for (int i = 0; i < 2; i++)
			send(loris[i], "x", 1, MSG_NOSIGNAL);
		h_sleep_ms(1000);
	}
	h_hammer_finish(&hm, &t);
	print_tally("alongside hostile clients", &t);
	assert_int_equal(t.failed, 0);
	assert_int_equal(t.udp_lost, 0);
	assert_true(t.ok > 0);
	/* the chargen sinks were cut at the timeout, and chargen serves again */
	assert_true(al_wait_nth(d, "service=chargen end=timeout", 3, NULL, 8000));
	char line[74];
	int fd = h_connect("127.0.0.1", cport, 2000);
	assert_true(fd >= 0);
	assert_true(h_read_all(fd, line, sizeof(line), 3000) == (ssize_t)sizeof(line));
	close(fd);
	for (int i = 0; i < 2; i++)
		close(loris[i]);
	for (int i = 0; i < 3; i++)
		close(sink[i]);
	assert_int_equal(h_count_zombies(d->pid), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char series[96];

		snprintf(series, sizeof(series), "netsrvd_worker_crashes_total{service=\"%s\"}", names[i]);
		assert_int_equal(h_metric(sport, series), 0);
	}
	assert_int_equal(h_stop(d), 0);
}

/* A "Key: N kB" line of /proc/PID/<file>, in KiB. */
static long
proc_kib(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':' &&
		    sscanf(line + klen + 1, " %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * The master's own memory: private anonymous pages. Not VmRSS, which
 * also counts the shared scoreboard's pages, a page per worker line,
 * as the master first touches them: bounded by the scoreboard's size,
 * and no leak.
 */
static long
rss_kib(pid_t pid)
{
	return proc_kib(pid, "status", "RssAnon");
}

/* The master's memory stays flat across 1,000 reloads (each one a whole new config and generation). */
static void
fault_reload_memory_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port();
	char path[256], seen[4096];
	int fd = h_notify_open(d, path, sizeof(path));

	h_write_conf(d, "log = { level = \"warning\"; };\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1;\n"
	    "   allow = [ \"127.0.0.0/8\", \"::1\" ]; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port, uport);
	setenv("NOTIFY_SOCKET", path, 1);
	h_start(d, NULL);
	unsetenv("NOTIFY_SOCKET");
	seen[0] = '\0';
	assert_true(h_notify_wait(fd, "READY=1", seen, sizeof(seen), 5000));
	long before = 0;
	int done = 0;
	for (int r = 1; r <= 1000; r++) {
		if (r == 20)	/* after the allocator settled */
			before = rss_kib(d->pid);
		kill(d->pid, SIGHUP);
		seen[0] = '\0';
		if (!h_notify_wait(fd, "READY=1", seen, sizeof(seen), 5000))
			fail_msg("reload %d: no READY=1", r);
		if (strstr(seen, "reload failed") != NULL)
			fail_msg("reload %d failed: %s", r, seen);
		done += strstr(seen, "STATUS=reloaded: 2 services, 2 workers") != NULL;
		/*
		 * A leak shows between steady states: each reload's old workers
		 * leave before the next, or a machine busy elsewhere piles up
		 * generations and measures the heap's high-water mark instead
		 * (the storm is fault_reload_storm_test's).
		 */
		if (!h_wait_children(d->pid, 2, 5000))
			fail_msg("reload %d: the old workers did not leave within 5 s", r);
	}
	assert_int_equal(done, 1000);
	/* the generations still draining hold their configurations until their last worker goes */
	assert_true(h_wait_children(d->pid, 2, 5000));
	long after = rss_kib(d->pid);
	close(fd);
	print_message("master RssAnon: %ld KiB after 20 reloads, %ld KiB after 1000 (RssShmem %ld KiB)\n",
	    before, after, proc_kib(d->pid, "status", "RssShmem"));
#ifndef NETSRVD_SANITIZERS
	/* (ASan holds freed memory in its quarantine: RSS says nothing there) */
	assert_true(after - before <= 64);
#endif
	assert_true(h_echo("127.0.0.1", port, "still", 5, 3000));
	assert_true(h_wait_children(d->pid, 2, 5000));
	assert_int_equal(h_count_zombies(d->pid), 0);
	assert_int_equal(h_stop(d), 0);
}

static long
private_dirty_kib(pid_t pid)
{
	return proc_kib(pid, "smaps_rollup", "Private_Dirty");
}

/*
 * Near-64 KiB datagrams dirty a UDP worker's receive slots and reply arena;
 * an idle worker hands those pages back within its idle timeout (1 s), so a
 * pool of UDP workers that once saw big datagrams does not keep them.
 */
static void
fault_udp_memory_trim_test(void **state)
{
	struct daemon *d = *state;
	int uport = h_free_port(), got = 0;
	static unsigned char big[60000], back[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)uport) };
	pid_t worker;

	h_write_conf(d, "log = { level = \"warning\"; };\nservices = (\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    uport);
	h_start(d, NULL);
	assert_true(h_wait_children(d->pid, 1, 5000));
	assert_int_equal(h_children(d->pid, &worker, 1), 1);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* a small one first: the worker is serving, its buffers as small as they get */
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t dl = h_now_ms() + 5000;
	while (h_now_ms() < dl) {
		assert_int_equal(send(fd, "x", 1, 0), 1);
		if (poll(&pfd, 1, 200) == 1 && recv(fd, back, sizeof(back), 0) == 1)
			break;
	}
	long idle = private_dirty_kib(worker);

	memset(big, 'B', sizeof(big));
	for (int round = 0; round < 10 && got < 8; round++) {
		for (int i = 0; i < 4; i++)
			(void)send(fd, big, sizeof(big), 0);	/* the socket's buffer may drop some */
		while (poll(&pfd, 1, 300) == 1) {
			ssize_t n = recv(fd, back, sizeof(back), 0);

			assert_int_equal(n, (ssize_t)sizeof(big));
			assert_memory_equal(back, big, sizeof(big));
			got++;
		}
	}
	close(fd);
	assert_true(got >= 4);
	long loaded = private_dirty_kib(worker);
	long trimmed = loaded;

	dl = h_now_ms() + h_hang_ms(4000);
	while (h_now_ms() < dl && trimmed - idle > 64) {
		h_sleep_ms(100);
		trimmed = private_dirty_kib(worker);
	}
	print_message("UDP worker private dirty: %ld KiB idle, %ld KiB after %d 60 KB datagrams, %ld KiB idle again\n",
	    idle, loaded, got, trimmed);
	assert_true(loaded - idle >= 100);	/* or this test measured nothing */
#ifndef NETSRVD_SANITIZERS
	/* (ASan's shadow and quarantine keep pages of their own) */
	assert_true(trimmed - idle <= 64);
#endif
	assert_true(h_pid_alive(worker));
	assert_int_equal(h_stop(d), 0);
}

/* The lowest descriptor number pid has free: a limit there makes its next accept() fail with EMFILE. */
static int
lowest_free_fd(pid_t pid)
{
	char path[64], used[1024] = { 0 };
	struct dirent *e;
	DIR *dir;
	int low = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((e = readdir(dir)) != NULL) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= 0 && fd < (int)sizeof(used))
			used[fd] = 1;
	}
	closedir(dir);
	while (low < (int)sizeof(used) && used[low])
		low++;
	return low;
}

/* Waits (a hang bound) until pid sleeps in accept(), as /proc/pid/wchan names it. */
static void
wait_in_accept(pid_t pid)
{
	char path[64], wchan[128] = "";
	int64_t end = h_now_ms() + h_hang_ms(10000);

	snprintf(path, sizeof(path), "/proc/%ld/wchan", (long)pid);
	for (;;) {
		FILE *f = fopen(path, "r");
		size_t n = f != NULL ? fread(wchan, 1, sizeof(wchan) - 1, f) : 0;

		if (f != NULL)
			fclose(f);
		wchan[n] = '\0';
		if (strstr(wchan, "accept") != NULL)
			return;
		if (h_now_ms() > end)
			fail_msg("worker %ld never waited in accept (wchan %s)", (long)pid, wchan);
		h_sleep_ms(20);
	}
}

/* utime + stime of pid, in clock ticks (fields 14 and 15 of /proc/pid/stat). */
static long
cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');	/* the command may hold spaces */
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
	return (long)(ut + st);
}

/*
 * A worker out of descriptors leaves the connection queued and backs off:
 * in 2 s a handful of warnings and little CPU, not a spin on accept().
 * Once descriptors are back, the queued client is served. An idle worker
 * waits inside accept4(), which took the descriptor it will return before
 * it began to wait: one client served first uses that up.
 */
static void
fault_accept_emfile_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), fd, lines;
	struct rlimit was, low;
	long hz = sysconf(_SC_CLK_TCK), t0, ticks;
	char back[8];
	pid_t worker;

	h_write_conf(d, "log = { level = \"notice\"; };\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port);
	h_start_serving(d, port);
	assert_int_equal(h_children(d->pid, &worker, 1), 1);
	/*
	 * Blocked in accept(), it holds no client and its setup is over: its
	 * descriptors are settled. That accept() has its descriptor already
	 * (taken before it sleeps), so the first client is served; the accept
	 * after it is the one the limit refuses.
	 */
	wait_in_accept(worker);
	assert_int_equal(prlimit(worker, RLIMIT_NOFILE, NULL, &was), 0);
	low = was;
	low.rlim_cur = (rlim_t)lowest_free_fd(worker);
	assert_int_equal(prlimit(worker, RLIMIT_NOFILE, &low, NULL), 0);
	assert_true(h_echo("127.0.0.1", port, "first", 5, 3000));
	fd = h_connect("127.0.0.1", port, 2000);
	assert_true(fd >= 0);
	assert_true(h_wait_log(d, "service echo: accept", 3000));
	t0 = cpu_ticks(worker);
	h_sleep_ms(2000);
	ticks = cpu_ticks(worker) - t0;
	lines = h_log_count(d, "service echo: accept");
	print_message("out of descriptors for 2 s: %d warnings, %ld ms of worker CPU\n",
	    lines, ticks * 1000 / hz);
	assert_true(lines <= 3);
	assert_true(ticks * 5 < 2 * hz);	/* under 20% of the 2 s */
	assert_int_equal(prlimit(worker, RLIMIT_NOFILE, &was, NULL), 0);
	assert_true(h_write_all(fd, "back", 4));
	assert_int_equal(h_read_all(fd, back, 4, 5000), 4);
	assert_memory_equal(back, "back", 4);
	close(fd);
	assert_int_equal(h_stop(d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fault_reload_storm_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(fault_kill_workers_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(fault_fd_accounting_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(fault_reload_memory_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(fault_udp_memory_trim_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(fault_flood_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(fault_hostile_clients_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(fault_accept_emfile_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("fault", tests, NULL, NULL);
}
