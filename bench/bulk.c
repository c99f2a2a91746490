/* netsrvd-bench: the bulk mode, a stream both ways on one connection, every byte checked. */
#include "bench.h"

static unsigned char *bulk_pattern;	/* BULK_PERIOD + BULK_CHUNK bytes */

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
		    now_ns() + (int64_t)opt.timeout_ms * 1000000, run_deadline);
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
void
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
	end = now_ns() + (int64_t)opt.timeout_ms * 1000000;
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
	run_deadline = run_start + (int64_t)(opt.seconds * 1e9);
	/* Draining what is in flight after the writer stopped is bounded too. */
	hard_dl = run_deadline + (int64_t)opt.timeout_ms * 1000000;
	pthread_barrier_wait(&start_barrier);
	for (;;) {
		r = wait_fd(b.fd, POLLIN,
		    now_ns() + (int64_t)opt.timeout_ms * 1000000, hard_dl);
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
