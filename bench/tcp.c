/* netsrvd-bench: the TCP load modes, one operation each: connrate, connrate-proxy, connect-only, pingpong. */
#include "bench.h"

/*
 * connrate: connect, write size bytes, read the echo, close; with a
 * header (connrate-proxy), the header first, corked with the bytes.
 */
static enum res
connrate(struct client *c, uint64_t seq, int64_t hard_dl, const void *hdr, size_t hlen)
{
	int64_t dl = now_ns() + (int64_t)opt.timeout_ms * 1000000;
	enum res r;
	int fd, e;

	if ((r = tcp_connect(&fd, dl, hard_dl)) != RES_OK)
		return r;
	stamp(c, seq);
	/* a fresh socket takes a header of this size at once */
	if (hlen > 0) {
		ssize_t n = send(fd, hdr, hlen, MSG_MORE | MSG_NOSIGNAL);
		if (n != (ssize_t)hlen)
			r = n == -1 ? classify(errno) : RES_OTHER;
	}
	if (r == RES_OK)
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

enum res
op_connrate(struct client *c, uint64_t seq, int64_t hard_dl)
{
	return connrate(c, seq, hard_dl, NULL, 0);
}

/*
 * connrate-proxy: connrate as a balancer's connection, a PROXY protocol
 * version 2 header first (what HAProxy's send-proxy-v2 sends) naming a
 * client of the benchmarking range 198.18.0.0/15, one per client thread
 * and operation, so no per-source limit meets the same one twice at once.
 */
enum res
op_connrate_proxy(struct client *c, uint64_t seq, int64_t hard_dl)
{
	static const unsigned char sig[12] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
	};
	unsigned char h[28];
	unsigned sport = 1024 + (unsigned)(seq % 64000);

	memcpy(h, sig, sizeof(sig));
	h[12] = 0x21;			/* version 2, PROXY */
	h[13] = 0x11;			/* TCP over IPv4 */
	h[14] = 0;
	h[15] = 12;			/* two addresses, two ports */
	h[16] = 198;
	h[17] = (unsigned char)(18 + (((unsigned)c->idx >> 8) & 1));
	h[18] = (unsigned char)c->idx;
	h[19] = (unsigned char)(1 + seq % 254);
	memcpy(h + 20, "\x7f\x00\x00\x01", 4);
	h[24] = (unsigned char)(sport >> 8);
	h[25] = (unsigned char)sport;
	h[26] = (unsigned char)(opt.port >> 8);
	h[27] = (unsigned char)opt.port;
	return connrate(c, seq, hard_dl, h, sizeof(h));
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
