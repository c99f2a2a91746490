/* netsrvd-bench: the UDP load modes: udp (one datagram round trip at a time) and udp-burst (a window in flight). */
#include "bench.h"

int
udp_open(void)
{
	int fd, e;

	fd = socket(opt.sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Connected, so an ICMP port unreachable comes back as ECONNREFUSED. */
	if (connect(fd, (struct sockaddr *)&opt.sa, opt.salen) == -1) {
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
enum res
op_udp(struct client *c, int fd, uint64_t seq, int64_t hard_dl)
{
	int64_t dl = now_ns() + (int64_t)opt.timeout_ms * 1000000;
	uint64_t rseq;
	ssize_t n;
	enum res r;

	stamp(c, seq);
	for (;;) {
		n = send(fd, c->tx, (size_t)opt.size, 0);
		if (n == (ssize_t)opt.size)
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
		if ((size_t)n >= sizeof(rseq) && (size_t)opt.size >= sizeof(rseq)) {
			memcpy(&rseq, c->rx, sizeof(rseq));
			if (rseq < seq)
				continue;	/* stale */
		}
		if (n != (ssize_t)opt.size ||
		    memcmp(c->rx, c->tx, (size_t)opt.size) != 0)
			return RES_SHORT;
		return RES_OK;
	}
}

/*
 * udp-burst: keep opt.window datagrams in flight on one connected socket, so
 * datagrams queue up at the server and it can take several at once. Each
 * datagram carries its sequence number, the client and its window slot; a
 * reply counts when it matches what that slot sent last, byte for byte. A
 * slot not answered within the timeout counts as lost and sends anew; a
 * late reply to it is then stale and skipped. Returns at the run deadline;
 * datagrams in flight then are dropped, neither counted nor failed.
 */
static void
udp_burst_send(struct client *c, int fd, uint32_t slot, uint64_t seq)
{
	ssize_t n;

	stamp(c, seq);
	if ((size_t)opt.size >= sizeof(seq) + 2 * sizeof(slot))
		memcpy(c->tx + sizeof(seq) + sizeof(slot), &slot, sizeof(slot));
	do
		n = send(fd, c->tx, (size_t)opt.size, 0);
	while (n == -1 && errno == EINTR);
	/* A send refused for lack of buffer space is a datagram lost like any other. */
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
		stats_fail(&c->st, classify(errno));
}

void
run_udp_burst(struct client *c, int fd)
{
	uint64_t seq = 0, sent_seq[MAX_WINDOW], rseq;
	int64_t sent_at[MAX_WINDOW], now, dl, tmo = (int64_t)opt.timeout_ms * 1000000;
	uint32_t slot, w = (uint32_t)opt.window;
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
			if (n != (ssize_t)opt.size || (size_t)n < sizeof(seq) + 2 * sizeof(slot)) {
				c->st.fail[RES_SHORT]++;
				continue;
			}
			memcpy(&rseq, c->rx, sizeof(rseq));
			memcpy(&slot, c->rx + sizeof(seq) + sizeof(slot), sizeof(slot));
			if (slot >= w || rseq != sent_seq[slot])
				continue;	/* stale: its slot has moved on */
			memcpy(expect, c->tx, (size_t)opt.size);
			memcpy(expect, &rseq, sizeof(rseq));
			memcpy(expect + sizeof(seq) + sizeof(slot), &slot, sizeof(slot));
			if (memcmp(c->rx, expect, (size_t)opt.size) != 0) {
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
