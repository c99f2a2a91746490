/* Echo (RFC 862): every byte back to the client, over TCP and UDP. */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "handler.h"
#include "io.h"

/*
 * The pending bytes live in s->buf used as a ring (struct echo_ring): `head` is where the
 * oldest unsent byte is, `used` how many there are.
 *
 * Deadlock invariant: we read only while the ring has room and write
 * whenever it holds data, never blocking in either while the ring holds
 * data, and wait for whichever of the two is possible. So a client that writes megabytes before it reads is
 * never answered with a blocking write: once the ring is full we stop
 * reading, TCP flow control holds the client back, and we resume as soon
 * as it reads.
 *
 * Readiness as last seen: a recv that came back short of the room it was
 * given drained the socket, a send that came back short filled it. Until
 * poll says otherwise, trying either again could only fail with EAGAIN, a
 * syscall per round trip for nothing, so the pump goes straight to poll.
 * With the ring empty there is only input to wait for, and the wait and
 * the read are one blocking recv (io_recv_wait): a round trip costs a recv
 * and a send, as in the simplest blocking server.
 */
struct echo_ring {
	unsigned char *buf;
	size_t cap, head, used;
	/* at first nothing is known to be waiting: the first read is the wait */
	bool can_read, can_write;
};

static ssize_t
echo_read(struct io_pump *p, void *ctx)
{
	struct echo_ring *r = ctx;
	size_t tail, room;
	ssize_t n;

	if (p->rev & (POLLIN | POLLERR | POLLHUP))
		r->can_read = true;
	if (r->used == r->cap || !(r->can_read || r->used == 0))
		return IO_PUMP_SKIP;
	/* An empty ring starts over: one read can fill it. */
	if (r->used == 0)
		r->head = 0;
	tail = (r->head + r->used) % r->cap;
	room = tail >= r->head ? r->cap - tail : r->head - tail;
	if (r->can_read)
		n = io_recv(p->s, r->buf + tail, room);
	else {
		/* nothing to send: only input can come next */
		n = io_recv_wait(p->s, r->buf + tail, room, &p->deadline);
		if (n == -1 && IO_AGAIN(errno))
			return IO_PUMP_TIMEOUT;
	}
	if (n > 0) {
		r->used += (size_t)n;
		r->can_read = (size_t)n == room;
	} else if (n == -1 && IO_AGAIN(errno))
		r->can_read = false;
	return n;
}

static ssize_t
echo_write(struct io_pump *p, void *ctx)
{
	struct echo_ring *r = ctx;
	size_t chunk;
	ssize_t n;

	if (p->rev & (POLLOUT | POLLERR | POLLHUP))
		r->can_write = true;
	if (r->used == 0 || !r->can_write)
		return IO_PUMP_SKIP;
	chunk = r->head + r->used <= r->cap ? r->used : r->cap - r->head;
	n = io_send(p->s, r->buf + r->head, chunk);
	if (n > 0) {
		r->head = (r->head + (size_t)n) % r->cap;
		r->used -= (size_t)n;
		r->can_write = (size_t)n == chunk;
	} else if (n == -1 && IO_AGAIN(errno))
		r->can_write = false;
	return n;
}

/* After the client's FIN: done once what it sent is all back. */
static bool
echo_finished(const struct io_pump *p, void *ctx)
{
	const struct echo_ring *r = ctx;

	(void)p;
	return r->used == 0;
}

static short
echo_events(const struct io_pump *p, void *ctx)
{
	const struct echo_ring *r = ctx;
	short events = 0;

	if (!p->eof && r->used < r->cap)
		events |= POLLIN;
	if (r->used > 0)
		events |= POLLOUT;
	return events;
}

static enum session_end
echo_serve_tcp(struct tcp_session *s)
{
	static const struct io_pump_ops ops = {
		.name = "echo", .read = echo_read, .write = echo_write,
		.finished = echo_finished, .events = echo_events,
	};
	struct echo_ring r = { .buf = s->buf, .cap = s->bufsize, .head = 0, .used = 0,
	    .can_read = false, .can_write = true };

	if (s->buf == NULL || s->bufsize == 0)
		return END_ERROR;
	return io_pump_run(s, &ops, &r);
}

/* The datagram back as it came, an empty one included. */
static ssize_t
echo_answer_udp(const struct service_config *svc, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outcap)
{
	(void)svc;
	if (inlen > outcap)
		return -1;
	if (inlen > 0)
		memcpy(out, in, inlen);
	return (ssize_t)inlen;
}

const struct handler handler_echo = {
	.name = "echo",
	.serve_tcp = echo_serve_tcp,
	.answer_udp = echo_answer_udp,
};
