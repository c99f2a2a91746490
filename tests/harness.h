/* Test harness: start the real daemon on picked ports, talk to it, stop it by pid. */
#ifndef NETSRVD_TEST_HARNESS_H
#define NETSRVD_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon {
	pid_t pid;		/* the master, once started */
	char dir[128];		/* private temp dir, removed by h_cleanup */
	char conf[256];
	char pidfile[256];
	char log[256];		/* the daemon's stderr */
};

/* A port free on 127.0.0.1 (and ::1) for both TCP and UDP right now. */
int h_free_port(void);
/* A socket of type bound to 127.0.0.1:port (0: any), or -1. */
int h_bind_loopback(int type, int port);
void h_setup(struct daemon *d);
/* cmocka setup/teardown: a struct daemon in *state, cleaned up whatever happened. */
int h_fixture_setup(void **state);
int h_fixture_teardown(void **state);
/* A listening TCP socket on 127.0.0.1:port (to make a port busy). */
int h_listen_tcp(int port);
/* Entries of /proc/pid/fd whose target starts with prefix (NULL: all). */
int h_count_fds(pid_t pid, const char *prefix);
/* Stops what is left, removes the files; -1 if the daemon logged a sanitizer report. */
int h_cleanup(struct daemon *d);
/* Writes d->conf; the text is a printf format. */
void h_write_conf(struct daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void h_write_file(const char *path, const char *text);
const char *h_netsrvd(void);
const char *h_srcdir(void);
/* The built tests/exec-probe, the program exec tests run under netsrvd. */
const char *h_exec_probe(void);
/* text has line as a whole line of its own. */
bool h_has_line(const char *text, const char *line);

/* Starts `netsrvd -f -c conf -p pidfile` (plus extra args), stderr to d->log. */
pid_t h_start(struct daemon *d, const char *const *extra);
/* Starts it and waits until the TCP port answers; fails the test otherwise. */
void h_start_serving(struct daemon *d, int port);
/* Waits for pid to exit for up to timeout_ms; returns the wait status or -1. */
int h_wait_exit(pid_t pid, int timeout_ms);
/* SIGTERM, then SIGKILL after a bound; returns the exit status (or 128+sig). */
int h_stop(struct daemon *d);

int h_connect(const char *addr, int port, int timeout_ms);
int h_wait_port(const char *addr, int port, int timeout_ms);
/* Sends len bytes and reads them back; true if every byte came back. */
bool h_echo(const char *addr, int port, const void *data, size_t len, int timeout_ms);
/* Reads until EOF (or max); returns bytes read, -1 on error/timeout. */
ssize_t h_read_all(int fd, void *buf, size_t max, int timeout_ms);
bool h_write_all(int fd, const void *buf, size_t len);
/* A UDP round trip from a fresh socket; returns reply length, -1 on timeout. */
ssize_t h_udp_query(const char *addr, int port, const void *q, size_t qlen,
    void *reply, size_t max, int timeout_ms);

/*
 * Client loops in child processes: each connects, echoes a line, closes,
 * and every 4th round also does a UDP echo round trip, for `seconds`.
 */
struct tally {
	long ok, failed, udp_ok, udp_lost;
};
struct hammer {
	int n;
	pid_t pid[16];
	int fd;			/* the results come back through this pipe */
	int stop;		/* closed by h_hammer_stop */
};
void h_hammer_start(struct hammer *hm, int clients, int port, int uport, int seconds);
/* Ends the loops early (seconds is then only a bound), each after its round. */
void h_hammer_stop(struct hammer *hm);
void h_hammer_finish(struct hammer *hm, struct tally *sum);

/* A NOTIFY_SOCKET for the daemon: bound in d->dir, path returned. */
int h_notify_open(struct daemon *d, char *path, size_t len);
bool h_notify_wait(int fd, const char *want, char *seen, size_t len, int timeout_ms);

/* The master's children from /proc (pids into out). */
int h_children(pid_t master, pid_t *out, int max);
int h_count_children(pid_t master);
bool h_wait_children(pid_t master, int n, int timeout_ms);
/* The master's children that stay zombies (it is given a hang bound to reap the ones just gone). */
int h_count_zombies(pid_t master);
bool h_pid_alive(pid_t pid);
/* Waits (a hang bound) until pid has exited (a zombie counts as gone). */
bool h_wait_gone(pid_t pid, int timeout_ms);
/* The three pids exec-probe's hang mode writes to path: program, child in its group, one that left it. */
void h_read_probe_pids(struct daemon *d, const char *path, long pids[3]);
/* Reads /proc/pid/cmdline with NULs as spaces. */
void h_cmdline(pid_t pid, char *buf, size_t len);

char *h_read_log(struct daemon *d);
bool h_log_contains(struct daemon *d, const char *needle);
int h_log_count(struct daemon *d, const char *needle);
bool h_wait_log(struct daemon *d, const char *needle, int timeout_ms);
bool h_wait_log_count(struct daemon *d, const char *needle, int n, int timeout_ms);

/*
 * One sample of /metrics, from a status service on 127.0.0.1:sport: series
 * is the name and labels as the daemon prints them
 * ("netsrvd_reloads_total{result=\"ok\"}"). -1 if the service did not
 * answer or has no such series.
 */
long long h_metric(int sport, const char *series);
enum h_cmp { H_EQUAL, H_AT_LEAST };
/*
 * Waits (a hang bound) until series is want, or at least want; returns the
 * last value read, for the test to assert on (-1: never read).
 */
long long h_wait_metric(int sport, const char *series, enum h_cmp cmp, long long want, int timeout_ms);

/* Runs argv, stdout+stderr into out; returns the exit status or -1. */
int h_run(const char *const *argv, char *out, size_t outlen, int timeout_ms);

/* TEST_FILTER=pattern runs the matching cases only (cmocka's filter). */
void h_test_filter(void);

/* Fails the test with msg, printing the daemon's log first. */
void h_fail_with_log(struct daemon *d, const char *msg);

/* The number in a /proc/sys file (a sysctl), or -1 if it cannot be read. */
int h_sysctl_int(const char *path);

/*
 * A bound that only catches a hang, stretched under NETSRVD_WRAPPER. The
 * waits above (h_wait_*, h_notify_wait, h_connect, h_read_all, h_echo,
 * h_write_all, h_run) apply it to their timeout_ms themselves; h_udp_query does
 * not, silence being a normal answer to a datagram. A test's own loops
 * wait until h_now_ms() + h_hang_ms(bound).
 */
int h_hang_ms(int ms);
int64_t h_now_ms(void);
void h_sleep_ms(int ms);

#endif
