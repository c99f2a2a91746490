/* netsrvd-bench: what every mode uses: clock, latency histogram, sockets with deadlines, clients. */
#include "bench.h"

struct opts opt;
int64_t run_start, run_deadline;
pthread_barrier_t start_barrier;

const char *const mode_names[NMODES] = { "connrate", "pingpong", "bulk",
	"udp", "connect-only", "udp-burst", "connrate-proxy", "probe", "startup", "hup", "mem",
	"free-port" };

/* --- time, histogram ------------------------------------------------------ */

int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
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

void
hist_add(struct stats *st, int64_t ns)
{
	st->hist[hist_index(ns < 0 ? 0 : (uint64_t)ns)]++;
}

/* Percentile p (0..1) in microseconds; 0 when empty. */
double
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

void
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

void
stats_fail(struct stats *st, enum res r)
{
	if (r == RES_OTHER && st->other_errno == 0)
		st->other_errno = errno ? errno : EIO;
	if (r > RES_OK && r < NFAIL)
		st->fail[r]++;
}

/* --- socket primitives with deadlines --------------------------------------- */

enum res
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
enum res
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

enum res
tcp_connect(int *fdp, int64_t op_dl, int64_t hard_dl)
{
	int fd, one = 1, err = 0;
	socklen_t len = sizeof(err);
	enum res r;

	*fdp = -1;
	fd = socket(opt.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return RES_OTHER;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail_errno;
	if (connect(fd, (struct sockaddr *)&opt.sa, opt.salen) == 0) {
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

enum res
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

enum res
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
/* --- clients ---------------------------------------------------------------- */

/* Stamp a request so a reply from some other connection cannot pass. */
void
stamp(struct client *c, uint64_t seq)
{
	uint32_t idx = (uint32_t)c->idx;

	memcpy(c->tx, &seq, sizeof(seq) < (size_t)opt.size ? sizeof(seq) : (size_t)opt.size);
	if ((size_t)opt.size >= sizeof(seq) + sizeof(idx))
		memcpy(c->tx + sizeof(seq), &idx, sizeof(idx));
}

void
client_init(struct client *c, int idx)
{
	int i;

	c->idx = idx;
	c->rxlen = opt.size > 2048 ? 2 * (size_t)opt.size : 4096;
	c->tx = malloc((size_t)opt.size);
	c->rx = malloc(c->rxlen);
	if (c->tx == NULL || c->rx == NULL) {
		perror("netsrvd-bench: malloc");
		exit(1);
	}
	for (i = 0; i < opt.size; i++)
		c->tx[i] = (unsigned char)('A' + (i + idx) % 26);
}

void
client_free(struct client *c)
{
	free(c->tx);
	free(c->rx);
	c->tx = c->rx = NULL;
}
/* After a refusal or a local error, pause so a dead target is not spun on. */
void
backoff(enum res r)
{
	if (r == RES_REFUSED || r == RES_OTHER)
		sleep_ns(1000000);
}
/* Nanoseconds to whole microseconds; -1 stays -1 (did not happen). */
long long
ns_to_us(int64_t ns)
{
	return ns < 0 ? -1 : (long long)(ns / 1000);
}

const char *
res_name(enum res r)
{
	static const char *const names[] = { "ok", "refused", "reset", "short",
		"timeout", "other", "abandoned" };

	return names[r];
}
