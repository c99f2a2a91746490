/* Load generator for netsrvd and its yardsticks: loopback only, bounded in time and memory */
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
	M_UDP_BURST, M_PROBE, M_STARTUP, M_HUP, M_MEM, M_FREEPORT };

static const char *const mode_names[] = { "connrate", "pingpong", "bulk",
	"udp", "connect-only", "udp-burst", "probe", "startup", "hup", "mem",
	"free-port" };

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
	unsigned char *tx;		/* o.size bytes */
	unsigned char *rx;		/* rxlen bytes, at least o.size */
	size_t rxlen;
};

static struct opts o;
static int64_t run_start, run_deadline;
static pthread_barrier_t start_barrier;
static unsigned char *bulk_pattern;	/* BULK_PERIOD + BULK_CHUNK bytes */

/* --- time, histogram ------------------------------------------------------ */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static unsigned
hist_index(uint64_t v)
{
	unsigned e, idx;

	if (v < H_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	idx = H_SUB + (e - H_SUB_BITS) * H_SUB +
	    (unsigned)((v >> (e - H_SUB_BITS)) - H_SUB);
	return idx < H_BUCKETS ? idx : H_BUCKETS - 1;
}

/* The middle of a bucket, in nanoseconds. */
static double
hist_value(unsigned idx)
{
	unsigned k, sub;
	double width;

	if (idx < H_SUB)
		return idx;
	k = (idx - H_SUB) / H_SUB;
	sub = (idx - H_SUB) % H_SUB;
	width = (double)(1ull << k);
	return (double)(H_SUB + sub) * width + width / 2;
}

static void
hist_add(struct stats *st, int64_t ns)
{
	st->hist[hist_index(ns < 0 ? 0 : (uint64_t)ns)]++;
}

/* Percentile p (0..1) in microseconds; 0 when empty. */
static double
hist_pct_us(const struct stats *st, double p)
{
	uint64_t total = 0, rank, cum = 0;
	unsigned i;

	for (i = 0; i < H_BUCKETS; i++)
		total += st->hist[i];
	if (total == 0)
		return 0;
	rank = (uint64_t)(p * (double)total + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < H_BUCKETS; i++) {
		cum += st->hist[i];
		if (cum >= rank)
			return hist_value(i) / 1000.0;
	}
	return hist_value(H_BUCKETS - 1) / 1000.0;
}

static void
stats_merge(struct stats *to, const struct stats *from)
{
	unsigned i;

	to->ops += from->ops;
	to->bytes += from->bytes;
	for (i = 0; i < NFAIL; i++)
		to->fail[i] += from->fail[i];
	if (to->other_errno == 0)
		to->other_errno = from->other_errno;
	for (i = 0; i < H_BUCKETS; i++)
		to->hist[i] += from->hist[i];
}

static void
stats_fail(struct stats *st, enum res r)
{
	if (r == RES_OTHER && st->other_errno == 0)
		st->other_errno = errno ? errno : EIO;
	if (r > RES_OK && r < NFAIL)
		st->fail[r]++;
}

/* --- socket primitives with deadlines --------------------------------------- */

static enum res
classify(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return RES_REFUSED;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		return RES_RESET;
	case ETIMEDOUT:
		return RES_TIMEOUT;
	default:
		return RES_OTHER;
	}
}

/*
 * Wait for ev on fd until the operation's deadline (RES_TIMEOUT) or the hard
 * deadline of the run (RES_ABANDON: the operation is dropped uncounted).
 */
static enum res
wait_fd(int fd, short ev, int64_t op_dl, int64_t hard_dl)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	struct timespec ts;
	int64_t now, dl;
	int n;

	for (;;) {
		now = now_ns();
		if (now >= hard_dl)
			return RES_ABANDON;
		if (now >= op_dl)
			return RES_TIMEOUT;
		dl = op_dl < hard_dl ? op_dl : hard_dl;
		ts.tv_sec = (dl - now) / 1000000000;
		ts.tv_nsec = (dl - now) % 1000000000;
		n = ppoll(&pfd, 1, &ts, NULL);
		if (n > 0)
			return RES_OK;
		if (n == -1 && errno != EINTR)
			return RES_OTHER;
	}
}

static enum res
tcp_connect(int *fdp, int64_t op_dl, int64_t hard_dl)
{
	int fd, one = 1, err = 0;
	socklen_t len = sizeof(err);
	enum res r;

	*fdp = -1;
	fd = socket(o.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return RES_OTHER;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail_errno;
	if (connect(fd, (struct sockaddr *)&o.sa, o.salen) == 0) {
		*fdp = fd;
		return RES_OK;
	}
	if (errno != EINPROGRESS)
		goto fail_errno;
	if ((r = wait_fd(fd, POLLOUT, op_dl, hard_dl)) != RES_OK) {
		close(fd);
		return r;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		goto fail_errno;
	if (err != 0) {
		close(fd);
		errno = err;
		return classify(err);
	}
	*fdp = fd;
	return RES_OK;
fail_errno:
	err = errno;
	close(fd);
	errno = err;
	return classify(err);
}

static enum res
send_all(int fd, const void *buf, size_t n, int64_t op_dl, int64_t hard_dl)
{
	const char *p = buf;
	ssize_t w;
	enum res r;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return classify(errno);
		if ((r = wait_fd(fd, POLLOUT, op_dl, hard_dl)) != RES_OK)
			return r;
	}
	return RES_OK;
}

static enum res
recv_exact(int fd, void *buf, size_t n, int64_t op_dl, int64_t hard_dl)
{
	char *p = buf;
	ssize_t got;
	enum res r;

	while (n > 0) {
		if ((r = wait_fd(fd, POLLIN, op_dl, hard_dl)) != RES_OK)
			return r;
		got = recv(fd, p, n, 0);
		if (got > 0) {
			p += got;
			n -= (size_t)got;
		} else if (got == 0) {
			return RES_SHORT;
		} else if (errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK) {
			return classify(errno);
		}
	}
	return RES_OK;
}

/* --- per-operation bodies --------------------------------------------------- */

/* Stamp a request so a reply from some other connection cannot pass. */
static void
stamp(struct client *c, uint64_t seq)
{
	uint32_t idx = (uint32_t)c->idx;

	memcpy(c->tx, &seq, sizeof(seq) < (size_t)o.size ? sizeof(seq) : (size_t)o.size);
	if ((size_t)o.size >= sizeof(seq) + sizeof(idx))
		memcpy(c->tx + sizeof(seq), &idx, sizeof(idx));
}

static void
client_init(struct client *c, int idx)
{
	int i;

	c->idx = idx;
	c->rxlen = o.size > 2048 ? 2 * (size_t)o.size : 4096;
	c->tx = malloc((size_t)o.size);
	c->rx = malloc(c->rxlen);
	if (c->tx == NULL || c->rx == NULL) {
		perror("netsrvd-bench: malloc");
		exit(1);
	}
	for (i = 0; i < o.size; i++)
		c->tx[i] = (unsigned char)('A' + (i + idx) % 26);
}

static void
client_free(struct client *c)
{
	free(c->tx);
	free(c->rx);
	c->tx = c->rx = NULL;
}

/* connrate: connect, write size bytes, read the echo, close. */
static enum res
op_connrate(struct client *c, uint64_t seq, int64_t hard_dl)
{
	int64_t dl = now_ns() + (int64_t)o.timeout_ms * 1000000;
	enum res r;
	int fd, e;

	if ((r = tcp_connect(&fd, dl, hard_dl)) != RES_OK)
		return r;
	stamp(c, seq);
	r = send_all(fd, c->tx, (size_t)o.size, dl, hard_dl);
	if (r == RES_OK)
		r = recv_exact(fd, c->rx, (size_t)o.size, dl, hard_dl);
	if (r == RES_OK && memcmp(c->tx, c->rx, (size_t)o.size) != 0)
		r = RES_SHORT;
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* connect-only: connect, read until EOF (at least one byte), close. */
static enum res
op_connect_only(struct client *c, uint64_t seq, int64_t hard_dl)
{
	int64_t dl = now_ns() + (int64_t)o.timeout_ms * 1000000;
	size_t total = 0;
	ssize_t got;
	enum res r;
	int fd, e;

	(void)seq;
	if ((r = tcp_connect(&fd, dl, hard_dl)) != RES_OK)
		return r;
	for (;;) {
		if ((r = wait_fd(fd, POLLIN, dl, hard_dl)) != RES_OK)
			break;
		got = recv(fd, c->rx, c->rxlen, 0);
		if (got > 0) {
			total += (size_t)got;
		} else if (got == 0) {
			r = total > 0 ? RES_OK : RES_SHORT;
			break;
		} else if (errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK) {
			r = classify(errno);
			break;
		}
	}
	e = errno;
	close(fd);
	errno = e;
	return r;
}

static int
udp_open(void)
{
	int fd, e;

	fd = socket(o.sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Connected, so an ICMP port unreachable comes back as ECONNREFUSED. */
	if (connect(fd, (struct sockaddr *)&o.sa, o.salen) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * One datagram round trip. A late reply to an earlier, already counted as
 * lost, datagram carries an older sequence number and is skipped.
 */
static enum res
op_udp(struct client *c, int fd, uint64_t seq, int64_t hard_dl)
{
	int64_t dl = now_ns() + (int64_t)o.timeout_ms * 1000000;
	uint64_t rseq;
	ssize_t n;
	enum res r;

	stamp(c, seq);
	for (;;) {
		n = send(fd, c->tx, (size_t)o.size, 0);
		if (n == (ssize_t)o.size)
			break;
		if (n >= 0)
			return RES_SHORT;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			return classify(errno);
		if ((r = wait_fd(fd, POLLOUT, dl, hard_dl)) != RES_OK)
			return r;
	}
	for (;;) {
		if ((r = wait_fd(fd, POLLIN, dl, hard_dl)) != RES_OK)
			return r;
		n = recv(fd, c->rx, c->rxlen, 0);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			return classify(errno);
		}
		if ((size_t)n >= sizeof(rseq) && (size_t)o.size >= sizeof(rseq)) {
			memcpy(&rseq, c->rx, sizeof(rseq));
			if (rseq < seq)
				continue;	/* stale */
		}
		if (n != (ssize_t)o.size ||
		    memcmp(c->rx, c->tx, (size_t)o.size) != 0)
			return RES_SHORT;
		return RES_OK;
	}
}

/*
 * udp-burst: keep o.window datagrams in flight on one connected socket, so
 * datagrams queue up at the server and it can take several at once. Each
 * datagram carries its sequence number, the client and its window slot; a
 * reply counts when it matches what that slot sent last, byte for byte. A
 * slot not answered within the timeout counts as lost and sends anew; a
 * late reply to it is then stale and skipped. Returns at the run deadline;
 * datagrams in flight then are dropped, neither counted nor failed.
 */
static void backoff(enum res r);

static void
udp_burst_send(struct client *c, int fd, uint32_t slot, uint64_t seq)
{
	ssize_t n;

	stamp(c, seq);
	if ((size_t)o.size >= sizeof(seq) + 2 * sizeof(slot))
		memcpy(c->tx + sizeof(seq) + sizeof(slot), &slot, sizeof(slot));
	do
		n = send(fd, c->tx, (size_t)o.size, 0);
	while (n == -1 && errno == EINTR);
	/* A send refused for lack of buffer space is a datagram lost like any other. */
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
		stats_fail(&c->st, classify(errno));
}

static void
run_udp_burst(struct client *c, int fd)
{
	uint64_t seq = 0, sent_seq[MAX_WINDOW], rseq;
	int64_t sent_at[MAX_WINDOW], now, dl, tmo = (int64_t)o.timeout_ms * 1000000;
	uint32_t slot, w = (uint32_t)o.window;
	unsigned char *expect = c->rx + c->rxlen / 2;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts;
	ssize_t n;

	for (slot = 0; slot < w; slot++) {
		sent_seq[slot] = ++seq;
		sent_at[slot] = now_ns();
		udp_burst_send(c, fd, slot, sent_seq[slot]);
	}
	while ((now = now_ns()) < run_deadline) {
		dl = run_deadline;
		for (slot = 0; slot < w; slot++) {
			if (now - sent_at[slot] >= tmo) {
				c->st.fail[RES_TIMEOUT]++;
				sent_seq[slot] = ++seq;
				sent_at[slot] = now;
				udp_burst_send(c, fd, slot, sent_seq[slot]);
			}
			if (sent_at[slot] + tmo < dl)
				dl = sent_at[slot] + tmo;
		}
		ts.tv_sec = (dl - now) / 1000000000;
		ts.tv_nsec = (dl - now) % 1000000000;
		if (ppoll(&pfd, 1, &ts, NULL) <= 0)
			continue;
		for (;;) {
			n = recv(fd, c->rx, c->rxlen / 2, MSG_DONTWAIT);
			if (n == -1) {
				if (errno != EINTR && errno != EAGAIN &&
				    errno != EWOULDBLOCK) {
					stats_fail(&c->st, classify(errno));
					backoff(classify(errno));
				}
				break;
			}
			if (n != (ssize_t)o.size || (size_t)n < sizeof(seq) + 2 * sizeof(slot)) {
				c->st.fail[RES_SHORT]++;
				continue;
			}
			memcpy(&rseq, c->rx, sizeof(rseq));
			memcpy(&slot, c->rx + sizeof(seq) + sizeof(slot), sizeof(slot));
			if (slot >= w || rseq != sent_seq[slot])
				continue;	/* stale: its slot has moved on */
			memcpy(expect, c->tx, (size_t)o.size);
			memcpy(expect, &rseq, sizeof(rseq));
			memcpy(expect + sizeof(seq) + sizeof(slot), &slot, sizeof(slot));
			if (memcmp(c->rx, expect, (size_t)o.size) != 0) {
				c->st.fail[RES_SHORT]++;
				continue;
			}
			now = now_ns();
			if (now >= run_deadline)
				return;
			c->st.ops++;
			hist_add(&c->st, now - sent_at[slot]);
			sent_seq[slot] = ++seq;
			sent_at[slot] = now;
			udp_burst_send(c, fd, slot, sent_seq[slot]);
		}
	}
}

/*
 * pingpong: one round trip on a persistent connection, (re)connected first
 * when needed; the latency then starts after the connect (*t0 is moved).
 */
static enum res
op_pingpong(struct client *c, int *fdp, uint64_t seq, int64_t *t0,
    int64_t hard_dl)
{
	int64_t dl = *t0 + (int64_t)o.timeout_ms * 1000000;
	enum res r;
	int e;

	if (*fdp == -1) {
		if ((r = tcp_connect(fdp, dl, hard_dl)) != RES_OK)
			return r;
		*t0 = now_ns();
		dl = *t0 + (int64_t)o.timeout_ms * 1000000;
	}
	stamp(c, seq);
	r = send_all(*fdp, c->tx, (size_t)o.size, dl, hard_dl);
	if (r == RES_OK)
		r = recv_exact(*fdp, c->rx, (size_t)o.size, dl, hard_dl);
	if (r == RES_OK && memcmp(c->tx, c->rx, (size_t)o.size) != 0)
		r = RES_SHORT;
	if (r != RES_OK && r != RES_ABANDON) {
		/* The stream is out of step now: start over. */
		e = errno;
		close(*fdp);
		*fdp = -1;
		errno = e;
	}
	return r;
}

/* --- client threads ----------------------------------------------------------- */

/* After a refusal or a local error, pause so a dead target is not spun on. */
static void
backoff(enum res r)
{
	if (r == RES_REFUSED || r == RES_OTHER)
		sleep_ns(1000000);
}

static void *
run_client(void *arg)
{
	struct client *c = arg;
	struct stats *st = &c->st;
	uint64_t seq = 0;
	int64_t t0, t1;
	enum res r;
	int fd = -1;

	pthread_barrier_wait(&start_barrier);
	if (o.mode == M_UDP_BURST) {
		if ((fd = udp_open()) == -1)
			stats_fail(st, RES_OTHER);
		else
			run_udp_burst(c, fd);
	}
	while (o.mode != M_UDP_BURST && (t0 = now_ns()) < run_deadline) {
		seq++;
		switch (o.mode) {
		case M_CONNRATE:
			r = op_connrate(c, seq, run_deadline);
			break;
		case M_CONNECT_ONLY:
			r = op_connect_only(c, seq, run_deadline);
			break;
		case M_PINGPONG:
			r = op_pingpong(c, &fd, seq, &t0, run_deadline);
			break;
		case M_UDP:
			if (fd == -1 && (fd = udp_open()) == -1) {
				r = RES_OTHER;
				break;
			}
			r = op_udp(c, fd, seq, run_deadline);
			break;
		default:
			r = RES_OTHER;
			break;
		}
		if (r == RES_ABANDON)
			break;
		t1 = now_ns();
		if (r == RES_OK) {
			st->ops++;
			hist_add(st, t1 - t0);
		} else {
			stats_fail(st, r);
			backoff(r);
		}
	}
	if (fd != -1)
		close(fd);
	return NULL;
}

/* bulk: the writer half; the reader runs in the main thread. */
struct bulk {
	int fd;
	struct stats st;
	uint64_t written;
};

static void *
bulk_writer(void *arg)
{
	struct bulk *b = arg;
	uint64_t off = 0;
	ssize_t w;
	enum res r = RES_OK;

	pthread_barrier_wait(&start_barrier);
	while (now_ns() < run_deadline) {
		w = send(b->fd, bulk_pattern + off % BULK_PERIOD, BULK_CHUNK,
		    MSG_NOSIGNAL);
		if (w > 0) {
			off += (uint64_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			r = classify(errno);
			break;
		}
		r = wait_fd(b->fd, POLLOUT,
		    now_ns() + (int64_t)o.timeout_ms * 1000000, run_deadline);
		if (r == RES_ABANDON) {
			r = RES_OK;
			break;
		}
		if (r != RES_OK)
			break;
	}
	if (r != RES_OK)
		stats_fail(&b->st, r);
	b->written = off;
	shutdown(b->fd, SHUT_WR);
	return NULL;
}

static void
pattern_init(void)
{
	uint32_t x = 2463534242u;
	size_t i;

	bulk_pattern = malloc(BULK_PERIOD + BULK_CHUNK);
	if (bulk_pattern == NULL) {
		perror("netsrvd-bench: malloc");
		exit(1);
	}
	for (i = 0; i < BULK_PERIOD; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		bulk_pattern[i] = (unsigned char)(x >> 24);
	}
	/* The chunk is longer than the period: copy forward, byte by byte. */
	for (i = BULK_PERIOD; i < BULK_PERIOD + BULK_CHUNK; i++)
		bulk_pattern[i] = bulk_pattern[i - BULK_PERIOD];
}

/*
 * One connection, writer and reader at once, every byte compared with the
 * pattern. After the run the writer half-closes; the reader drains what is
 * still in flight (bounded by the timeout) and expects EOF at exactly the
 * number of bytes written.
 */
static void
run_bulk(struct stats *total, double *elapsed)
{
	static unsigned char buf[BULK_CHUNK];
	struct bulk b;
	pthread_t tid;
	uint64_t roff = 0;
	int64_t hard_dl, end;
	ssize_t got;
	enum res r;
	int err;

	memset(&b, 0, sizeof(b));
	*elapsed = 0;
	end = now_ns() + (int64_t)o.timeout_ms * 1000000;
	if ((r = tcp_connect(&b.fd, end, end + 1)) != RES_OK) {
		stats_fail(total, r == RES_ABANDON ? RES_TIMEOUT : r);
		return;
	}
	pattern_init();
	if ((err = pthread_barrier_init(&start_barrier, NULL, 2)) != 0 ||
	    (err = pthread_create(&tid, NULL, bulk_writer, &b)) != 0) {
		errno = err;
		perror("netsrvd-bench: pthread");
		exit(1);
	}
	run_start = now_ns();
	run_deadline = run_start + (int64_t)(o.seconds * 1e9);
	/* Draining what is in flight after the writer stopped is bounded too. */
	hard_dl = run_deadline + (int64_t)o.timeout_ms * 1000000;
	pthread_barrier_wait(&start_barrier);
	for (;;) {
		r = wait_fd(b.fd, POLLIN,
		    now_ns() + (int64_t)o.timeout_ms * 1000000, hard_dl);
		if (r != RES_OK)
			break;
		got = recv(b.fd, buf, sizeof(buf), 0);
		if (got > 0) {
			if (memcmp(buf, bulk_pattern + roff % BULK_PERIOD,
			    (size_t)got) != 0) {
				r = RES_SHORT;
				break;
			}
			roff += (uint64_t)got;
		} else if (got == 0) {
			break;
		} else if (errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK) {
			r = classify(errno);
			break;
		}
	}
	end = now_ns();
	if (r == RES_ABANDON)
		r = RES_TIMEOUT;
	if (r != RES_OK)
		shutdown(b.fd, SHUT_RDWR);	/* unblocks the writer */
	pthread_join(tid, NULL);
	pthread_barrier_destroy(&start_barrier);
	if (r == RES_OK && roff != b.written) {
		fprintf(stderr, "netsrvd-bench: bulk: wrote %" PRIu64
		    " bytes, read back %" PRIu64 "\n", b.written, roff);
		r = RES_SHORT;
	}
	if (r != RES_OK)
		stats_fail(total, r);
	stats_merge(total, &b.st);
	total->bytes = total->ops = roff;
	*elapsed = (double)(end - run_start) / 1e9;
	close(b.fd);
	free(bulk_pattern);
	bulk_pattern = NULL;
}

/* C client threads started together, stopped by the run deadline. */
static void
run_clients(struct stats *total, double *elapsed)
{
	struct client *cl;
	pthread_attr_t attr;
	int i, err;

	if ((cl = calloc((size_t)o.clients, sizeof(*cl))) == NULL) {
		perror("netsrvd-bench: calloc");
		exit(1);
	}
	if ((err = pthread_barrier_init(&start_barrier, NULL,
	    (unsigned)o.clients + 1)) != 0 ||
	    (err = pthread_attr_init(&attr)) != 0 ||
	    (err = pthread_attr_setstacksize(&attr, 256 * 1024)) != 0)
		goto fail;
	for (i = 0; i < o.clients; i++) {
		client_init(&cl[i], i);
		if ((err = pthread_create(&cl[i].tid, &attr, run_client,
		    &cl[i])) != 0)
			goto fail;
	}
	pthread_attr_destroy(&attr);
	run_start = now_ns();
	run_deadline = run_start + (int64_t)(o.seconds * 1e9);
	pthread_barrier_wait(&start_barrier);
	for (i = 0; i < o.clients; i++) {
		pthread_join(cl[i].tid, NULL);
		stats_merge(total, &cl[i].st);
		client_free(&cl[i]);
	}
	pthread_barrier_destroy(&start_barrier);
	free(cl);
	/* Operations still in flight at the deadline were dropped, so the
	 * counted ones all fit in exactly this window. */
	*elapsed = o.seconds;
	return;
fail:
	errno = err;
	perror("netsrvd-bench: pthread");
	exit(1);
}

/* --- helper modes ------------------------------------------------------------- */

/* One operation of the probe's kind, retried until it succeeds or dl. */
static enum res
probe_once(struct client *c, int *udp_fd, uint64_t seq, int64_t dl)
{
	switch (o.op) {
	case M_UDP:
		if (*udp_fd == -1 && (*udp_fd = udp_open()) == -1)
			return RES_OTHER;
		return op_udp(c, *udp_fd, seq, dl);
	case M_CONNECT_ONLY:
		return op_connect_only(c, seq, dl);
	default:
		return op_connrate(c, seq, dl);
	}
}

static int
probe_until(struct client *c, int64_t dl, uint64_t *attempts, enum res *last)
{
	int udp_fd = -1;
	enum res r = RES_TIMEOUT;

	while (now_ns() < dl) {
		(*attempts)++;
		r = probe_once(c, &udp_fd, *attempts, dl);
		if (r == RES_OK)
			break;
		if (r == RES_ABANDON) {
			r = RES_TIMEOUT;
			break;
		}
		sleep_ns(1000000);
	}
	if (udp_fd != -1)
		close(udp_fd);
	*last = r;
	return r == RES_OK ? 0 : -1;
}

/* Nanoseconds to whole microseconds; -1 stays -1 (did not happen). */
static long long
ns_to_us(int64_t ns)
{
	return ns < 0 ? -1 : (long long)(ns / 1000);
}

static const char *
res_name(enum res r)
{
	static const char *const names[] = { "ok", "refused", "reset", "short",
		"timeout", "other", "abandoned" };

	return names[r];
}

static int
mode_probe(void)
{
	struct client c;
	uint64_t attempts = 0;
	int64_t t0 = now_ns();
	enum res last;
	int ok;

	memset(&c, 0, sizeof(c));
	client_init(&c, 0);
	ok = probe_until(&c, t0 + (int64_t)(o.seconds * 1e9), &attempts,
	    &last) == 0;
	printf("mode=probe op=%s target=%s ready_us=%lld attempts=%" PRIu64
	    " last=%s ok=%d\n", mode_names[o.op], o.target,
	    ns_to_us(now_ns() - t0), attempts, res_name(last), ok);
	client_free(&c);
	return ok ? 0 : 1;
}

/* Live (not zombie) children of ppid, from /proc/PID/stat. */
static int
list_children(pid_t ppid, pid_t *out, int max)
{
	char path[64], buf[512], *p, state;
	struct dirent *de;
	DIR *d;
	FILE *f;
	int n = 0, pp;
	size_t len;
	long pid;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = strtol(de->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		/* comm may hold spaces and parentheses: parse after the last ')'. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %c %d", &state, &pp) != 2)
			continue;
		if (pp == ppid && state != 'Z' && state != 'X')
			out[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

static int
pid_in(pid_t pid, const pid_t *set, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == pid)
			return 1;
	return 0;
}

/*
 * SIGHUP to the master, then watch its children: when the first pid that
 * was not there appears, when none of the old ones is left, and when an
 * echo succeeds after that — then only the new generation can have served it.
 */
static int
mode_hup(void)
{
	static pid_t old[MAX_CHILDREN], cur[MAX_CHILDREN];
	struct client c;
	int64_t t0, dl, now, t_new = -1, t_gone = -1, t_served = -1;
	uint64_t attempts = 0;
	int nold, ncur = 0, i, fresh, left;
	enum res last = RES_TIMEOUT;

	memset(&c, 0, sizeof(c));
	client_init(&c, 0);
	if ((nold = list_children(o.pid, old, MAX_CHILDREN)) <= 0) {
		fprintf(stderr, "netsrvd-bench: hup: pid %ld has no children\n",
		    (long)o.pid);
		client_free(&c);
		return 1;
	}
	t0 = now_ns();
	dl = t0 + (int64_t)(o.seconds * 1e9);
	if (kill(o.pid, SIGHUP) == -1) {
		fprintf(stderr, "netsrvd-bench: hup: kill %ld: %s\n",
		    (long)o.pid, strerror(errno));
		client_free(&c);
		return 1;
	}
	while ((now = now_ns()) < dl) {
		ncur = list_children(o.pid, cur, MAX_CHILDREN);
		for (i = 0, fresh = 0, left = 0; i < ncur; i++) {
			if (pid_in(cur[i], old, nold))
				left++;
			else
				fresh++;
		}
		if (fresh > 0 && t_new < 0)
			t_new = now - t0;
		if (fresh > 0 && left == 0) {
			t_gone = now - t0;
			break;
		}
		sleep_ns(1000000);
	}
	if (t_gone >= 0 && probe_until(&c, dl, &attempts, &last) == 0)
		t_served = now_ns() - t0;
	printf("mode=hup pid=%ld target=%s old=%d new=%d first_new_us=%lld "
	    "old_gone_us=%lld served_us=%lld ok=%d\n", (long)o.pid, o.target,
	    nold, ncur, ns_to_us(t_new), ns_to_us(t_gone), ns_to_us(t_served),
	    t_served >= 0);
	client_free(&c);
	return t_served >= 0 ? 0 : 1;
}

/* Sum a field (e.g. "Private_Dirty:") over /proc/PID/smaps_rollup or smaps. */
static int
smaps_read(pid_t pid, long *pd, long *pss, long *rss)
{
	char path[64], line[256];
	FILE *f;
	long v;

	*pd = *pss = *rss = 0;
	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(path, sizeof(path), "/proc/%ld/smaps", (long)pid);
		if ((f = fopen(path, "re")) == NULL)
			return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Private_Dirty: %ld", &v) == 1)
			*pd += v;
		else if (sscanf(line, "Pss: %ld", &v) == 1)
			*pss += v;
		else if (sscanf(line, "Rss: %ld", &v) == 1)
			*rss += v;
	}
	fclose(f);
	return 0;
}

static int
mode_mem(void)
{
	static pid_t kids[MAX_CHILDREN];
	long pd, pss, rss, sum_pd = 0, sum_pss = 0, sum_rss = 0;
	long min_pd = -1, max_pd = 0, m_pd = -1, m_pss, m_rss;
	int n, i, got = 0;

	if (smaps_read(o.pid, &m_pd, &m_pss, &m_rss) == -1) {
		fprintf(stderr, "netsrvd-bench: mem: pid %ld: %s\n",
		    (long)o.pid, strerror(errno));
		return 1;
	}
	n = list_children(o.pid, kids, MAX_CHILDREN);
	for (i = 0; i < n; i++) {
		if (smaps_read(kids[i], &pd, &pss, &rss) == -1)
			continue;
		got++;
		sum_pd += pd;
		sum_pss += pss;
		sum_rss += rss;
		if (min_pd < 0 || pd < min_pd)
			min_pd = pd;
		if (pd > max_pd)
			max_pd = pd;
	}
	printf("mode=mem pid=%ld children=%d private_dirty_kib_avg=%.0f "
	    "private_dirty_kib_min=%ld private_dirty_kib_max=%ld "
	    "pss_kib_avg=%.0f rss_kib_avg=%.0f master_private_dirty_kib=%ld\n",
	    (long)o.pid, got, got ? (double)sum_pd / got : 0.0,
	    min_pd < 0 ? 0 : min_pd, max_pd,
	    got ? (double)sum_pss / got : 0.0,
	    got ? (double)sum_rss / got : 0.0, m_pd);
	return got > 0 ? 0 : 1;
}

/*
 * Run the command, time until an echo round trip on the port succeeds,
 * then SIGTERM it and time the stop. The child dies with us (PDEATHSIG).
 */
static int
mode_startup(void)
{
	struct client c;
	int64_t t0, dl, t_ready = -1, t_stop = -1, t1;
	uint64_t attempts = 0;
	enum res r = RES_TIMEOUT;
	pid_t pid, w = 0;
	int status = 0, udp_fd = -1;

	memset(&c, 0, sizeof(c));
	client_init(&c, 0);
	fflush(stdout);
	t0 = now_ns();
	dl = t0 + (int64_t)(o.seconds * 1e9);
	if ((pid = fork()) == -1) {
		perror("netsrvd-bench: fork");
		client_free(&c);
		return 1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* Our stdout is the result line, often a pipe read to EOF:
		 * the command and its children must not hold it open. */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			_exit(127);
		execvp(o.cmd[0], o.cmd);
		fprintf(stderr, "netsrvd-bench: exec %s: %s\n", o.cmd[0],
		    strerror(errno));
		_exit(127);
	}
	while (now_ns() < dl) {
		if ((w = waitpid(pid, &status, WNOHANG)) == pid)
			break;
		attempts++;
		r = probe_once(&c, &udp_fd, attempts, dl);
		if (r == RES_OK) {
			t_ready = now_ns() - t0;
			break;
		}
		sleep_ns(1000000);
	}
	if (udp_fd != -1)
		close(udp_fd);
	if (w != pid) {
		t1 = now_ns();
		kill(pid, SIGTERM);
		while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
		    now_ns() - t1 < 10000000000LL)
			sleep_ns(1000000);
		if (w == pid) {
			t_stop = now_ns() - t1;
		} else {
			static pid_t kids[MAX_CHILDREN];
			int nk, i;

			fprintf(stderr, "netsrvd-bench: startup: pid %ld "
			    "ignored SIGTERM for 10 s, killing it and its "
			    "children\n", (long)pid);
			nk = list_children(pid, kids, MAX_CHILDREN);
			kill(pid, SIGKILL);
			for (i = 0; i < nk; i++)
				kill(kids[i], SIGKILL);
			waitpid(pid, &status, 0);
		}
	} else {
		fprintf(stderr, "netsrvd-bench: startup: %s exited early\n",
		    o.cmd[0]);
	}
	printf("mode=startup target=%s ready_us=%lld attempts=%" PRIu64
	    " last=%s stop_us=%lld exit=%d signal=%d ok=%d\n", o.target,
	    ns_to_us(t_ready), attempts, res_name(r), ns_to_us(t_stop),
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0, t_ready >= 0);
	client_free(&c);
	return t_ready >= 0 ? 0 : 1;
}

/*
 * Ports free for both TCP and UDP on 127.0.0.1, all distinct: every pair of
 * sockets stays bound until all are chosen.
 */
static int
mode_free_port(void)
{
	int fds[2 * 256], nfd = 0, found = 0, tries, t, u, i;
	struct sockaddr_in sin;
	socklen_t len;
	unsigned ports[256];

	for (tries = 0; found < o.count && tries < 100 * o.count; tries++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			break;
		len = sizeof(sin);
		if (bind(t, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    getsockname(t, (struct sockaddr *)&sin, &len) == -1) {
			close(t);
			break;
		}
		if ((u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
			close(t);
			break;
		}
		if (bind(u, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			close(u);
			close(t);
			continue;
		}
		fds[nfd++] = t;
		fds[nfd++] = u;
		ports[found++] = ntohs(sin.sin_port);
	}
	for (i = 0; i < nfd; i++)
		close(fds[i]);
	if (found < o.count) {
		fprintf(stderr, "netsrvd-bench: free-port: found %d of %d\n",
		    found, o.count);
		return 1;
	}
	for (i = 0; i < found; i++)
		printf("%s%u", i ? " " : "", ports[i]);
	printf("\n");
	return 0;
}

/* --- command line ----------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: netsrvd-bench --mode MODE [--host 127.0.0.1] --port P [--clients C]\n"
"                     [--seconds S] [--size BYTES] [--timeout-ms MS]\n"
"                     [--window N]   (udp-burst: datagrams in flight per socket, 8)\n"
"       netsrvd-bench --mode probe --op connrate|udp|connect-only --port P\n"
"                     [--seconds BOUND]\n"
"       netsrvd-bench --mode startup [--op ...] --port P [--seconds BOUND]\n"
"                     -- COMMAND [ARG...]\n"
"       netsrvd-bench --mode hup --pid MASTER --port ECHO_PORT [--seconds BOUND]\n"
"       netsrvd-bench --mode mem --pid MASTER\n"
"       netsrvd-bench --free-port [--count N]\n"
"load modes: connrate pingpong bulk udp connect-only udp-burst (loopback targets only)\n"
"prints one line of key=value pairs\n");
}

static int
parse_mode(const char *s, enum mode *m)
{
	unsigned i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum mode)i;
			return 0;
		}
	return -1;
}

static long
parse_long(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "netsrvd-bench: %s: '%s' is not in %ld..%ld\n",
		    what, s, lo, hi);
		exit(EX_USAGE_);
	}
	return v;
}

/* Numeric loopback addresses only: this tool must not load anyone else. */
static int
resolve_loopback(void)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&o.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&o.sa;
	const char *h = strcmp(o.host, "localhost") == 0 ? "127.0.0.1" : o.host;

	memset(&o.sa, 0, sizeof(o.sa));
	if (inet_pton(AF_INET, h, &sin->sin_addr) == 1) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)o.port);
		o.salen = sizeof(*sin);
		snprintf(o.target, sizeof(o.target), "%s:%d", h, o.port);
		return 0;
	}
	if (inet_pton(AF_INET6, h, &sin6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)o.port);
		o.salen = sizeof(*sin6);
		snprintf(o.target, sizeof(o.target), "[::1]:%d", o.port);
		return 0;
	}
	return -1;
}

static void
print_result(const struct stats *st, double elapsed)
{
	static const char *const units[] = { "conn/s", "rt/s", "MB/s",
		"replies/s", "conn/s", "replies/s" };
	double rate;

	if (o.mode == M_BULK)
		rate = elapsed > 0 ? (double)st->bytes / elapsed / 1e6 : 0;
	else
		rate = elapsed > 0 ? (double)st->ops / elapsed : 0;
	printf("mode=%s target=%s clients=%d seconds=%.2f ops=%" PRIu64
	    " rate=%.1f unit=%s", mode_names[o.mode], o.target,
	    o.mode == M_BULK ? 1 : o.clients, o.seconds, st->ops, rate,
	    units[o.mode]);
	if (o.mode == M_BULK)
		printf(" bytes=%" PRIu64, st->bytes);
	else
		printf(" p50_us=%.1f p99_us=%.1f p999_us=%.1f",
		    hist_pct_us(st, 0.50), hist_pct_us(st, 0.99),
		    hist_pct_us(st, 0.999));
	if (o.mode == M_UDP_BURST)
		printf(" window=%d", o.window);
	if (o.mode == M_UDP || o.mode == M_UDP_BURST)
		printf(" lost=%" PRIu64, st->fail[RES_TIMEOUT]);
	printf(" fail_refused=%" PRIu64 " fail_reset=%" PRIu64
	    " fail_short=%" PRIu64 " fail_timeout=%" PRIu64
	    " fail_other=%" PRIu64 "\n", st->fail[RES_REFUSED],
	    st->fail[RES_RESET], st->fail[RES_SHORT], st->fail[RES_TIMEOUT],
	    st->fail[RES_OTHER]);
	if (st->fail[RES_OTHER] > 0)
		fprintf(stderr, "netsrvd-bench: %s: %" PRIu64 " other failures, "
		    "the first: %s\n", mode_names[o.mode], st->fail[RES_OTHER],
		    strerror(st->other_errno));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "op", required_argument, NULL, 'o' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'P' },
		{ "free-port", no_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct stats *total;
	double elapsed = 0;
	int ch, have_mode = 0;
	char *end;

	o.host = "127.0.0.1";
	o.clients = 1;
	o.seconds = 5;
	o.size = 64;
	o.timeout_ms = -1;
	o.count = 1;
	o.window = 8;
	o.op = M_CONNRATE;
	while ((ch = getopt_long(argc, argv, "+m:o:H:p:c:s:z:t:P:Fn:w:h",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (parse_mode(optarg, &o.mode) == -1) {
				fprintf(stderr, "netsrvd-bench: unknown mode "
				    "'%s'\n", optarg);
				return EX_USAGE_;
			}
			have_mode = 1;
			break;
		case 'o':
			if (parse_mode(optarg, &o.op) == -1 ||
			    (o.op != M_CONNRATE && o.op != M_UDP &&
			    o.op != M_CONNECT_ONLY)) {
				fprintf(stderr, "netsrvd-bench: --op: "
				    "connrate, udp or connect-only\n");
				return EX_USAGE_;
			}
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			o.port = (int)parse_long(optarg, "--port", 1, 65535);
			break;
		case 'c':
			o.clients = (int)parse_long(optarg, "--clients", 1,
			    MAX_CLIENTS);
			break;
		case 's':
			errno = 0;
			o.seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o.seconds > 0 && o.seconds <= 3600)) {
				fprintf(stderr, "netsrvd-bench: --seconds: "
				    "'%s' is not in (0, 3600]\n", optarg);
				return EX_USAGE_;
			}
			break;
		case 'z':
			o.size = (int)parse_long(optarg, "--size", 1, MAX_SIZE);
			break;
		case 't':
			o.timeout_ms = (int)parse_long(optarg, "--timeout-ms",
			    1, 600000);
			break;
		case 'P':
			o.pid = (pid_t)parse_long(optarg, "--pid", 2, INT_MAX);
			break;
		case 'F':
			o.mode = M_FREEPORT;
			have_mode = 1;
			break;
		case 'n':
			o.count = (int)parse_long(optarg, "--count", 1, 256);
			break;
		case 'w':
			o.window = (int)parse_long(optarg, "--window", 1, MAX_WINDOW);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	if (!have_mode) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (o.mode == M_FREEPORT)
		return mode_free_port();
	if ((o.mode == M_HUP || o.mode == M_MEM) && o.pid == 0) {
		fprintf(stderr, "netsrvd-bench: --mode %s needs --pid\n",
		    mode_names[o.mode]);
		return EX_USAGE_;
	}
	if (o.mode == M_MEM)
		return mode_mem();
	if (o.mode == M_STARTUP) {
		if (optind >= argc) {
			fprintf(stderr, "netsrvd-bench: --mode startup needs "
			    "-- COMMAND\n");
			return EX_USAGE_;
		}
		o.cmd = argv + optind;
	} else if (optind < argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (o.port == 0) {
		fprintf(stderr, "netsrvd-bench: --port is required\n");
		return EX_USAGE_;
	}
	if (resolve_loopback() == -1) {
		fprintf(stderr, "netsrvd-bench: refusing target '%s': only "
		    "127.0.0.0/8 and ::1 are allowed\n", o.host);
		return EX_USAGE_;
	}
	if (o.mode == M_UDP_BURST && o.size < 16) {
		fprintf(stderr, "netsrvd-bench: udp-burst needs --size 16 or more\n");
		return EX_USAGE_;
	}
	if (o.timeout_ms < 0)
		o.timeout_ms = (o.mode == M_UDP || o.mode == M_UDP_BURST ||
		    (o.mode == M_PROBE && o.op == M_UDP)) ? 200 : 1000;
	signal(SIGPIPE, SIG_IGN);

	switch (o.mode) {
	case M_PROBE:
		return mode_probe();
	case M_STARTUP:
		return mode_startup();
	case M_HUP:
		return mode_hup();
	default:
		break;
	}
	if ((total = calloc(1, sizeof(*total))) == NULL) {
		perror("netsrvd-bench: calloc");
		return 1;
	}
	if (o.mode == M_BULK)
		run_bulk(total, &elapsed);
	else
		run_clients(total, &elapsed);
	print_result(total, elapsed);
	ch = total->ops > 0 && (o.mode != M_BULK || total->fail[RES_SHORT] == 0);
	free(total);
	return ch ? 0 : 1;
}
