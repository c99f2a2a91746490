/* SIGHUP reload, run for real: applied whole or not at all, and never a refused connection. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* The socket inodes the master holds, from /proc/pid/fd. */
static int
socket_inodes(pid_t pid, unsigned long *out, int max)
{
	char path[64], p[320], link[128];
	DIR *dir;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL && n < max) {
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		ssize_t k = readlink(p, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		if (sscanf(link, "socket:[%lu]", &out[n]) == 1)
			n++;
	}
	closedir(dir);
	return n;
}

static bool
has_inode(const unsigned long *set, int n, unsigned long ino)
{
	for (int i = 0; i < n; i++)
		if (set[i] == ino)
			return true;
	return false;
}

static void
hup_and_wait(struct daemon *d, int nth)
{
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (!h_wait_log_count(d, "reloaded:", nth, 5000)) {
		char *log = h_read_log(d);
		print_error("%s\n", log);
		free(log);
		fail_msg("reload %d not logged", nth);
	}
}

static void
reload_applies_change_test(void **state)
{
	struct daemon *d = *state;
	int pa = h_free_port(), pb = h_free_port(), pc = h_free_port();
	unsigned long before[16], after[16];
	char buf[64];

	h_write_conf(d, "log = { level = \"debug\"; };\n"
	    "services = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"b\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"daytime\"; workers = 1; } );\n",
	    pa, pb);
	h_start_serving(d, pa);
	assert_true(h_wait_children(d->pid, 3, 3000));
	int nb = socket_inodes(d->pid, before, 16);
	assert_int_equal(nb, 2);

	/* a: more workers; b: removed; c: added (UDP) */
	h_write_conf(d, "log = { level = \"debug\"; };\n"
	    "services = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 3; },\n"
	    " { name = \"c\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    pa, pc);
	hup_and_wait(d, 1);
	assert_true(h_log_contains(d, "reloaded: generation 2, 2 services, 4 workers"));
	/*
	 * b's socket closes with generation 1's last worker, which may still
	 * be on its way out when the new pool is complete (under valgrind an
	 * idle worker's SIGTERM can land before its accept4() and wait for
	 * the master's next nudge): count the sockets once it has gone.
	 */
	assert_true(h_wait_log(d, "generation 1: its last worker is gone", 5000));
	assert_true(h_wait_children(d->pid, 4, 3000));
	/* the line comes as the generation is freed, its sockets closed just after */
	int na;
	int64_t end = h_now_ms() + h_hang_ms(3000);
	while ((na = socket_inodes(d->pid, after, 16)) != 2 && h_now_ms() < end)
		h_sleep_ms(20);
	assert_int_equal(na, 2);
	/* a's socket is the very same one; b's is gone */
	int kept = 0;
	for (int i = 0; i < nb; i++)
		kept += has_inode(after, na, before[i]);
	assert_int_equal(kept, 1);
	assert_true(h_echo("127.0.0.1", pa, "kept", 4, 2000));
	assert_int_equal(h_udp_query("127.0.0.1", pc, "new", 3, buf, sizeof(buf), 2000), 3);
	assert_int_equal(h_connect("127.0.0.1", pb, 500), -1);
	assert_int_equal(h_count_zombies(d->pid), 0);
	assert_int_equal(h_stop(d), 0);
}

static void
same_workers(pid_t master, const pid_t *before, int n)
{
	pid_t now[64];
	int m = h_children(master, now, 64);

	assert_int_equal(m, n);
	for (int i = 0; i < n; i++) {
		bool found = false;
		for (int j = 0; j < m; j++)
			found |= now[j] == before[i];
		assert_true(found);
	}
}

/* A broken file changes nothing: same workers, same sockets, the error logged with its line. */
static void
reload_invalid_keeps_old_test(void **state)
{
	struct daemon *d = *state;
	int pa = h_free_port();
	pid_t kids[64];
	char want[400];

	h_write_conf(d, "services = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n", pa);
	h_start_serving(d, pa);
	assert_true(h_wait_children(d->pid, 2, 3000));
	int n = h_children(d->pid, kids, 64);

	h_write_conf(d, "workers = 3;\nservices = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;\n"
	    "   handler = \"ecoh\"; } );\n", pa);
	kill(d->pid, SIGHUP);
	snprintf(want, sizeof(want), "reload failed: %s:4: service \"a\": unknown handler \"ecoh\"", d->conf);
	assert_true(h_wait_log(d, want, 3000));
	assert_true(h_log_contains(d, "still serving the previous configuration"));
	h_sleep_ms(200);
	same_workers(d->pid, kids, n);
	assert_true(h_echo("127.0.0.1", pa, "old", 3, 2000));

	/* truncated to nothing, and a syntax error: the same */
	h_write_conf(d, "%s", "");
	kill(d->pid, SIGHUP);
	assert_true(h_wait_log(d, "no \"services\" list", 3000));
	h_write_conf(d, "services = ( { name = \"a\"; \n");
	kill(d->pid, SIGHUP);
	assert_true(h_wait_log(d, "syntax error", 3000));
	/* libconfig would exit(2) on a directory include: it must never get the chance */
	h_write_conf(d, "@include \".\"\n");
	kill(d->pid, SIGHUP);
	assert_true(h_wait_log(d, "@include is not supported", 3000));
	h_sleep_ms(200);
	same_workers(d->pid, kids, n);
	assert_true(h_echo("127.0.0.1", pa, "still old", 9, 2000));
	assert_false(h_log_contains(d, "reloaded:"));
	assert_int_equal(h_stop(d), 0);
}

/* The longest delay between two bind tries, and then some: a bound that only catches a hang. */
#define BIND_RETRY_BOUND_MS 70000

/*
 * A new service that cannot bind does not hold the reload back: the rest
 * of it applies (a new service serves, a changed pool grows), the service
 * is logged down, and binds on its own once its port is free.
 */
static void
reload_unbindable_applies_rest_test(void **state)
{
	struct daemon *d = *state;
	int pa = h_free_port(), pb = h_free_port(), pc = h_free_port();
	char want[200];

	h_write_conf(d, "services = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n", pa);
	h_start_serving(d, pa);
	assert_true(h_wait_children(d->pid, 2, 3000));
	int busy = h_listen_tcp(pc);

	/* b can be bound, c cannot, a grows to 3 workers */
	h_write_conf(d, "services = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 3; },\n"
	    " { name = \"b\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"c\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    pa, pb, pc);
	kill(d->pid, SIGHUP);
	if (!h_wait_log(d, "reloaded: generation 2, 3 services, 4 workers", 5000))
		h_fail_with_log(d, "the reload was not applied around the service that cannot bind");
	snprintf(want, sizeof(want), "service c: cannot bind tcp 127.0.0.1:%d: %s", pc, strerror(EADDRINUSE));
	assert_true(h_log_contains(d, want));
	assert_false(h_log_contains(d, "reload failed"));
	assert_true(h_wait_children(d->pid, 4, 5000));	/* a's 3 and b's 1; c has none */
	assert_true(h_echo("127.0.0.1", pb, "new", 3, 2000));
	assert_true(h_echo("127.0.0.1", pa, "kept", 4, 2000));
	/* c's port is free: it comes up by itself, with its worker */
	close(busy);
	snprintf(want, sizeof(want), "service c: bound tcp 127.0.0.1:%d", pc);
	if (!h_wait_log(d, want, BIND_RETRY_BOUND_MS))
		h_fail_with_log(d, "c never came up once its port was free");
	assert_true(h_wait_children(d->pid, 5, 5000));
	assert_true(h_echo("127.0.0.1", pc, "late", 4, 3000));
	assert_int_equal(h_stop(d), 0);
}

/* A client in the middle of a session when the reload comes is served to its end by its old worker. */
static void
reload_inflight_client_test(void **state)
{
	struct daemon *d = *state;
	int pa = h_free_port();
	char buf[16];

	h_write_conf(d, "log = { level = \"debug\"; };\nservices = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n", pa);
	h_start_serving(d, pa);
	int fd = h_connect("127.0.0.1", pa, 2000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "one", 3));
	assert_int_equal(h_read_all(fd, buf, 3, 2000), 3);
	hup_and_wait(d, 1);
	/* the new generation serves new clients while the old worker still has us */
	assert_true(h_echo("127.0.0.1", pa, "new", 3, 2000));
	assert_true(h_write_all(fd, "two", 3));
	assert_int_equal(h_read_all(fd, buf, 3, 2000), 3);
	assert_memory_equal(buf, "two", 3);
	assert_int_equal(h_count_children(d->pid), 2);
	close(fd);
	assert_true(h_wait_children(d->pid, 1, 3000));
	assert_int_equal(h_stop(d), 0);
}

static void
write_two_configs(struct daemon *d, char *c1, char *c2, size_t len, int port, int uport, int extra)
{
	/* the clients hammer UDP from one address: no per-source budget */
	snprintf(c1, len, "udp_rate = 0;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port, uport);
	snprintf(c2, len, "udp_rate = 0;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 3; },\n"
	    " { name = \"extra\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"discard\"; workers = 1; },\n"
	    " { name = \"echo-udp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    port, extra, uport);
	h_write_conf(d, "%s", c1);
}

static void
reload_under_load_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), uport = h_free_port(), extra = h_free_port();
	char c1[1024], c2[1024];
	enum { CLIENTS = 3, RELOADS = 20 };
	struct hammer hm;
	struct tally sum;

	write_two_configs(d, c1, c2, sizeof(c1), port, uport, extra);
	h_start_serving(d, port);
	h_hammer_start(&hm, CLIENTS, port, uport, 600);	/* until stopped */
	h_sleep_ms(300);
	for (int r = 1; r <= RELOADS; r++) {
		h_write_conf(d, "%s", (r % 2) ? c2 : c1);
		hup_and_wait(d, r);
		h_sleep_ms(150);
	}
	h_hammer_stop(&hm);
	h_hammer_finish(&hm, &sum);
	print_message("%d reloads under load: %ld TCP echoes ok, %ld failed; %ld UDP ok, %ld lost\n",
	    RELOADS, sum.ok, sum.failed, sum.udp_ok, sum.udp_lost);
	assert_int_equal(sum.failed, 0);
	assert_int_equal(sum.udp_lost, 0);
	/* served through every reload; how many rounds is the bench's business */
	assert_true(sum.ok > 0);
	assert_true(sum.udp_ok > 0);
	assert_false(h_log_contains(d, "reload failed"));
	assert_int_equal(h_count_zombies(d->pid), 0);
	/* the final generation only: config 1 (even count of reloads) */
	assert_true(h_wait_children(d->pid, 3, 5000));
	assert_int_equal(h_stop(d), 0);
}

/*
 * A service removed and added back while its old worker still serves a
 * client: its socket is still open in that worker, so a new bind() would
 * fail; the reload must take the retired socket back instead.
 */
static void
reload_readd_removed_service_test(void **state)
{
	struct daemon *d = *state;
	int pa = h_free_port(), px = h_free_port();
	char buf[4];

	h_write_conf(d, "log = { level = \"debug\"; };\nservices = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"x\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    pa, px);
	h_start_serving(d, pa);
	int busy = h_connect("127.0.0.1", px, 2000);
	assert_true(busy >= 0);
	assert_true(h_write_all(busy, "1", 1));
	assert_int_equal(h_read_all(busy, buf, 1, 2000), 1);
	/* x goes away; its worker is busy with us */
	h_write_conf(d, "log = { level = \"debug\"; };\nservices = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n", pa);
	hup_and_wait(d, 1);
	/* and comes back */
	h_write_conf(d, "log = { level = \"debug\"; };\nservices = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"x\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    pa, px);
	hup_and_wait(d, 2);
	assert_false(h_log_contains(d, "reload failed"));
	assert_true(h_echo("127.0.0.1", px, "back", 4, 2000));
	/* the old client is still served, by its old worker */
	assert_true(h_write_all(busy, "2", 1));
	assert_int_equal(h_read_all(busy, buf, 1, 2000), 1);
	close(busy);
	assert_int_equal(h_stop(d), 0);
}

/* Opens a session with the echo service on port and has one byte echoed. */
static int
held_session(int port)
{
	char c;
	int fd = h_connect("127.0.0.1", port, 2000);

	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "x", 1));
	assert_int_equal(h_read_all(fd, &c, 1, 2000), 1);
	return fd;
}

/* Milliseconds until the peer closes fd (EOF or reset), up to timeout_ms; -1 if it does not. */
static int64_t
ms_until_closed(int fd, int timeout_ms)
{
	int64_t t0 = h_now_ms();
	char buf[64];

	while (h_now_ms() - t0 < timeout_ms) {
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, 100) == 1 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			return h_now_ms() - t0;
	}
	return -1;
}

/*
 * A reload gives the old generation shutdown_timeout to finish, as a stop
 * does: then its workers still serving are killed.
 */
static void
reload_old_generation_deadline_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();

	h_write_conf(d, "log = { level = \"debug\"; };\nshutdown_timeout = 2;\nservices = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port);
	h_start_serving(d, port);
	int fd = held_session(port);
	hup_and_wait(d, 1);
	int64_t t0 = h_now_ms();
	/* still served within its grace */
	assert_true(h_write_all(fd, "y", 1));
	char c;
	assert_int_equal(h_read_all(fd, &c, 1, 1000), 1);
	int64_t closed = ms_until_closed(fd, h_hang_ms(8000));
	close(fd);
	if (closed < 0)
		h_fail_with_log(d, "the old generation's worker outlived shutdown_timeout");
	print_message("old worker ended %lld ms after the reload (shutdown_timeout 2 s)\n",
	    (long long)(h_now_ms() - t0));
	assert_true(h_log_contains(d, "after it was told to stop (shutdown_timeout)"));
	assert_false(h_log_contains(d, "killed by signal"));
	assert_true(h_echo("127.0.0.1", port, "new", 3, 2000));
	assert_int_equal(h_stop(d), 0);
}

/* A service a reload removed refuses new clients at once, even while its old worker still serves one. */
static void
reload_removed_service_refuses_test(void **state)
{
	struct daemon *d = *state;
	int pa = h_free_port(), px = h_free_port();

	h_write_conf(d, "services = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"x\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    pa, px);
	h_start_serving(d, pa);
	int busy = held_session(px);
	h_write_conf(d, "services = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n", pa);
	hup_and_wait(d, 1);
	assert_int_equal(h_connect("127.0.0.1", px, 1000), -1);
	/* its old client is still served */
	char c;
	assert_true(h_write_all(busy, "z", 1));
	assert_int_equal(h_read_all(busy, &c, 1, 2000), 1);
	close(busy);
	assert_int_equal(h_stop(d), 0);
}

/*
 * Generations that drain slowly (each keeps a client) never fill the
 * scoreboard: every reload's new workers get their lines.
 */
static void
reload_scoreboard_never_full_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	enum { RELOADS = 24 };
	int held[RELOADS];

	/* all the held clients come from one address */
	h_write_conf(d, "shutdown_timeout = 60;\nmax_per_source = 0;\nservices = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    port);
	h_start_serving(d, port);
	for (int r = 0; r < RELOADS; r++) {
		held[r] = held_session(port);
		hup_and_wait(d, r + 1);
	}
	assert_true(h_echo("127.0.0.1", port, "room", 4, 2000));
	assert_false(h_log_contains(d, "scoreboard is full"));
	assert_int_equal(h_count_children(d->pid), RELOADS + 1);
	for (int r = 0; r < RELOADS; r++)
		close(held[r]);
	assert_true(h_wait_children(d->pid, 1, 5000));
	assert_int_equal(h_stop(d), 0);
}

/*
 * Generations kept alive by a long session each (rsync across daily log
 * rotations) cost the master no descriptor: under a limit of 32 open
 * files, far fewer than two per lingering generation would need, every
 * reload applies, and the master holds as many descriptors as before the
 * first.
 */
static void
reload_lingering_generations_keep_fds_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port(), before;
	enum { RELOADS = 40 };
	struct rlimit was, low;
	int held[RELOADS];

	if (getenv("NETSRVD_WRAPPER") != NULL && getenv("NETSRVD_WRAPPER")[0] != '\0') {
		/* valgrind keeps descriptors of its own above the limit, and a limit of 32 leaves it none */
		print_message("skipped: a descriptor limit of 32 leaves valgrind no room of its own\n");
		skip();
	}
	h_write_conf(d, "shutdown_timeout = 3600;\nmax_per_source = 0;\nservices = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; },\n"
	    " { name = \"s\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, sport);
	h_start_serving(d, port);
	assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, NULL, &was), 0);
	low.rlim_cur = 32;
	low.rlim_max = was.rlim_max;
	assert_int_equal(prlimit(d->pid, RLIMIT_NOFILE, &low, NULL), 0);
	before = h_count_fds(d->pid, NULL);
	assert_true(before > 0 && before < 24);
	for (int r = 0; r < RELOADS; r++) {
		held[r] = held_session(port);	/* generation r + 1 lives on with it */
		assert_int_equal(kill(d->pid, SIGHUP), 0);
		if (h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, r + 1, 5000) != r + 1 ||
		    h_metric(sport, "netsrvd_reloads_total{result=\"failed\"}") != 0)
			h_fail_with_log(d, "a reload with generations lingering did not apply");
	}
	assert_false(h_log_contains(d, "Too many open files"));
	/*
	 * A busy one each, and the new pair. The counter moves as the last
	 * reload has just told the previous status worker to stop: it may not
	 * have exited, or been reaped, yet. (And under load the status pool,
	 * adaptive by default, may have grown for a poll that found its worker
	 * busy, and retires the spare a second later.) Wait for those to go;
	 * a worker that does not (a leak) keeps the count above and fails.
	 */
	if (!h_wait_children(d->pid, RELOADS + 2, 10000)) {
		char why[96];
		snprintf(why, sizeof(why), "%d children, not the %d busy ones and the new pair",
		    h_count_children(d->pid), RELOADS);
		h_fail_with_log(d, why);
	}
	assert_int_equal(h_count_zombies(d->pid), 0);
	assert_int_equal(h_count_fds(d->pid, NULL), before);
	assert_int_equal(h_metric(sport, "netsrvd_reloads_total{result=\"ok\"}"), RELOADS);
	assert_int_equal(h_metric(sport, "netsrvd_reloads_total{result=\"failed\"}"), 0);
	for (int r = 0; r < RELOADS; r++) {	/* every old generation still serves its client */
		char c;
		assert_true(h_write_all(held[r], "y", 1));
		assert_int_equal(h_read_all(held[r], &c, 1, 2000), 1);
		close(held[r]);
	}
	assert_true(h_wait_children(d->pid, 2, 10000));
	assert_int_equal(h_count_fds(d->pid, NULL), before);
	assert_int_equal(h_stop(d), 0);
}

/* A burst of SIGHUPs is coalesced; the daemon ends on the right pool. */
static void
reload_burst_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *ok = "netsrvd_reloads_total{result=\"ok\"}";

	h_write_conf(d, "services = (\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; },\n"
	    " { name = \"s\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    port, sport);
	h_start_serving(d, port);
	for (int i = 0; i < 30; i++)
		kill(d->pid, SIGHUP);
	assert_true(h_wait_metric(sport, ok, H_AT_LEAST, 1, 3000) >= 1);
	h_sleep_ms(500);
	long long n = h_metric(sport, ok);
	print_message("30 SIGHUPs gave %lld reloads\n", n);
	assert_true(n >= 1 && n < 30);
	assert_int_equal(h_metric(sport, "netsrvd_reloads_total{result=\"failed\"}"), 0);
	assert_true(h_wait_children(d->pid, 3, 3000));
	assert_true(h_echo("127.0.0.1", port, "burst", 5, 2000));
	assert_int_equal(h_count_zombies(d->pid), 0);
	/* a stop right behind a reload wins */
	kill(d->pid, SIGHUP);
	kill(d->pid, SIGTERM);
	int st = h_wait_exit(d->pid, 5000);
	d->pid = 0;
	assert_true(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* One echo service, enabled or not. */
#define ONE_ECHO(enabled) "log = { level = \"debug\"; };\nservices = (\n" \
	" { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n" \
	"   workers = 1; enabled = " enabled "; } );\n"

/*
 * Every service disabled is a valid configuration (a package's safe
 * default): the daemon starts, is ready, serves nothing and says so; a
 * reload brings a service in, another takes it out again; SIGTERM stops it.
 */
static void
reload_all_disabled_test(void **state)
{
	struct daemon *d = *state;
	int pa = h_free_port();
	char path[256], seen[8192] = "";
	int fd = h_notify_open(d, path, sizeof(path));

	h_write_conf(d, ONE_ECHO("false"), pa);
	setenv("NOTIFY_SOCKET", path, 1);
	h_start(d, NULL);
	unsetenv("NOTIFY_SOCKET");
	if (!h_notify_wait(fd, "READY=1", seen, sizeof(seen), 10000))
		h_fail_with_log(d, "no READY=1 with every service disabled");
	assert_non_null(strstr(seen, "STATUS=serving: nothing, every service is disabled"));
	assert_true(h_wait_log(d, "every service has enabled = false: serving nothing", 3000));
	assert_true(h_pid_alive(d->pid));
	assert_int_equal(h_count_children(d->pid), 0);
	assert_int_equal(h_connect("127.0.0.1", pa, 500), -1);

	/* enabled by a reload: served */
	h_write_conf(d, ONE_ECHO("true"), pa);
	hup_and_wait(d, 1);
	assert_true(h_echo("127.0.0.1", pa, "now on", 6, 2000));

	/* and disabled again: its worker leaves, its socket closes */
	h_write_conf(d, ONE_ECHO("false"), pa);
	hup_and_wait(d, 2);
	assert_true(h_notify_wait(fd, "STATUS=reloaded: nothing, every service is disabled", seen, sizeof(seen), 3000));
	assert_true(h_wait_log(d, "generation 2: its last worker is gone", 5000));
	assert_true(h_wait_children(d->pid, 0, 5000));
	assert_int_equal(h_connect("127.0.0.1", pa, 500), -1);
	assert_int_equal(h_log_count(d, "serving nothing"), 2);
	assert_int_equal(h_stop(d), 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reload_applies_change_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_invalid_keeps_old_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_unbindable_applies_rest_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_inflight_client_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_under_load_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_readd_removed_service_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_burst_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_old_generation_deadline_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_removed_service_refuses_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_scoreboard_never_full_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_lingering_generations_keep_fds_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(reload_all_disabled_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("reload", tests, NULL, NULL);
}
