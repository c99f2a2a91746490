/* netsrvd-bench: what its files share: options, results, statistics, the clock and socket primitives. */
#ifndef NETSRVD_BENCH_H
#define NETSRVD_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procutil.h"

/*
 * Every mode prints exactly one line of space-separated key=value pairs on
 * stdout; diagnostics go to stderr. Exit status: 0 the run produced at least
 * one successful operation, 1 it did not (or a helper mode failed), 64 usage.
 */

#define EX_USAGE_	64
#define MAX_CLIENTS	1024
#define MAX_SIZE	65000
#define MAX_CHILDREN	4096
#define BULK_CHUNK	65536
#define BULK_PERIOD	65521		/* prime: a shifted stream never matches */

/* Outcome of one operation; the failures index the counters. */
enum res { RES_OK, RES_REFUSED, RES_RESET, RES_SHORT, RES_TIMEOUT, RES_OTHER, RES_ABANDON };
#define NFAIL	(RES_OTHER + 1)

enum mode { M_CONNRATE, M_PINGPONG, M_BULK, M_UDP, M_CONNECT_ONLY,
	M_UDP_BURST, M_CONNRATE_PROXY, M_PROBE, M_STARTUP, M_HUP, M_MEM, M_FREEPORT };
#define NMODES	(M_FREEPORT + 1)

#define MAX_WINDOW	64

/*
 * Latency histogram, log-linear over nanoseconds: values below 64 have
 * their own bucket, above that each power of two is split in 64, so a
 * reported percentile is within 1.6% of the true one. Fixed size: memory
 * does not grow with the run.
 */
#define H_SUB_BITS	6
#define H_SUB		(1u << H_SUB_BITS)
#define H_MAX_EXP	44		/* 2^44 ns, about 4.9 hours */
#define H_BUCKETS	(H_SUB + (H_MAX_EXP - H_SUB_BITS) * H_SUB)

struct stats {
	uint64_t ops;
	uint64_t bytes;
	uint64_t fail[NFAIL];
	int other_errno;		/* first errno of an RES_OTHER failure */
	uint64_t hist[H_BUCKETS];
};

struct opts {
	enum mode mode;
	enum mode op;			/* probe: which operation */
	const char *host;
	int port;
	int clients;
	double seconds;
	int size;
	int timeout_ms;
	int count;			/* free-port */
	int window;			/* udp-burst: datagrams in flight per socket */
	pid_t pid;			/* hup, mem */
	char **cmd;			/* startup */
	struct sockaddr_storage sa;
	socklen_t salen;
	char target[80];
};

struct client {
	pthread_t tid;
	int idx;
	struct stats st;
	unsigned char *tx;		/* opt.size bytes */
	unsigned char *rx;		/* rxlen bytes, at least opt.size */
	size_t rxlen;
};

/* The command line; read-only once main() has parsed it. */
extern struct opts opt;
extern const char *const mode_names[NMODES];
/* The measured window of a load run, and the barrier its threads start at. */
extern int64_t run_start, run_deadline;
extern pthread_barrier_t start_barrier;

/* common.c: clock, histogram, socket primitives with deadlines, clients */
int64_t now_ns(void);
void sleep_ns(int64_t ns);
void hist_add(struct stats *st, int64_t ns);
double hist_pct_us(const struct stats *st, double p);
void stats_merge(struct stats *to, const struct stats *from);
void stats_fail(struct stats *st, enum res r);
enum res classify(int e);
enum res wait_fd(int fd, short ev, int64_t op_dl, int64_t hard_dl);
enum res tcp_connect(int *fdp, int64_t op_dl, int64_t hard_dl);
enum res send_all(int fd, const void *buf, size_t n, int64_t op_dl, int64_t hard_dl);
enum res recv_exact(int fd, void *buf, size_t n, int64_t op_dl, int64_t hard_dl);
void stamp(struct client *c, uint64_t seq);
void client_init(struct client *c, int idx);
void client_free(struct client *c);
void backoff(enum res r);
long long ns_to_us(int64_t ns);
const char *res_name(enum res r);

/* tcp.c */
enum res op_connrate(struct client *c, uint64_t seq, int64_t hard_dl);
enum res op_connrate_proxy(struct client *c, uint64_t seq, int64_t hard_dl);
enum res op_connect_only(struct client *c, uint64_t seq, int64_t hard_dl);
enum res op_pingpong(struct client *c, int *fdp, uint64_t seq, int64_t *t0,
    int64_t hard_dl);

/* udp.c */
int udp_open(void);
enum res op_udp(struct client *c, int fd, uint64_t seq, int64_t hard_dl);
void run_udp_burst(struct client *c, int fd);

/* bulk.c */
void run_bulk(struct stats *total, double *elapsed);

/* helpers.c: modes that print one line and return the exit status */
int mode_probe(void);
int mode_hup(void);
int mode_mem(void);
int mode_startup(void);
int mode_free_port(void);

/* proc.c */
int list_children(pid_t ppid, pid_t *out, int max);
int smaps_read(pid_t pid, long *pd, long *pss, long *rss);

#endif
