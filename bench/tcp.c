/* netsrvd-bench: the TCP load modes, one operation each: connrate, connect-only, pingpong. */
#include "bench.h"

/* connrate: connect, write size bytes, read the echo, close. */
enum res
op_connrate(struct client *c, uint64_t seq, int64_t hard_dl)
{
	int64_t dl = now_ns() + (int64_t)opt.timeout_ms * 1000000;
	enum res r;
	int fd, e;

	if ((r = tcp_connect(&fd, dl, hard_dl)) != RES_OK)
		return r;
	stamp(c, seq);
	r = send_all(fd, c->tx, (size_t)opt.size, dl, hard_dl);
	if (r == RES_OK)
		r = recv_exact(fd, c->rx, (size_t)opt.size, dl, hard_dl);
	if (r == RES_OK && memcmp(c->tx, c->rx, (size_t)opt.size) != 0)
		r = RES_SHORT;
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* connect-only: connect, read until EOF (at least one byte), close. */
enum res
op_connect_only(struct client *c, uint64_t seq, int64_t hard_dl)
{
	int64_t dl = now_ns() + (int64_t)opt.timeout_ms * 1000000;
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
/*
 * pingpong: one round trip on a persistent connection, (re)connected first
 * when needed; the latency then starts after the connect (*t0 is moved).
 */
enum res
op_pingpong(struct client *c, int *fdp, uint64_t seq, int64_t *t0,
    int64_t hard_dl)
{
	int64_t dl = *t0 + (int64_t)opt.timeout_ms * 1000000;
	enum res r;
	int e;

	if (*fdp == -1) {
		if ((r = tcp_connect(fdp, dl, hard_dl)) != RES_OK)
			return r;
		*t0 = now_ns();
		dl = *t0 + (int64_t)opt.timeout_ms * 1000000;
	}
	stamp(c, seq);
	r = send_all(*fdp, c->tx, (size_t)opt.size, dl, hard_dl);
	if (r == RES_OK)
		r = recv_exact(*fdp, c->rx, (size_t)opt.size, dl, hard_dl);
	if (r == RES_OK && memcmp(c->tx, c->rx, (size_t)opt.size) != 0)
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
