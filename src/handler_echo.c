/* Echo (RFC 862): every byte back to the client, over TCP and UDP. */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "handler.h"
#include "io.h"

/*
 * The pending bytes live in s->buf used as a ring: `head` is where the
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
 * syscall per round trip for nothing, so the loop goes straight to poll.
 * With the ring empty there is only input to wait for, and the wait and
 * the read are one blocking recv (io_recv_wait): a round trip costs a recv
 * and a send, as in the simplest blocking server.
 */
static enum session_end
echo_serve_tcp(struct tcp_session *s)
{
	const size_t cap = s->bufsize;
	size_t head = 0, used = 0;
	/* at first nothing is known to be waiting: the first read is the wait */
	bool eof = false, can_read = false, can_write = true;
	int64_t deadline = -1;
	short rev = 0, events;
	ssize_t n;
	int r;

	if (s->buf == NULL || cap == 0)
		return END_ERROR;
	for (;;) {
		bool progress = false;

		if (!eof && used < cap && (can_read || used == 0)) {
			size_t tail, room;

			/* An empty ring starts over: one read can fill it. */
			if (used == 0)
				head = 0;
			tail = (head + used) % cap;
			room = tail >= head ? cap - tail : head - tail;
			if (can_read)
				n = io_recv(s, s->buf + tail, room);
			else {
				/* nothing to send: only input can come next */
				n = io_recv_wait(s, s->buf + tail, room, &deadline);
				if (n == -1 && IO_AGAIN(errno))
					return END_TIMEOUT;
			}
			if (n > 0) {
				used += (size_t)n;
				progress = true;
				can_read = (size_t)n == room;
			} else if (n == 0) {
				/* Half-close: echo what is left, then end. */
				eof = true;
				progress = true;
			} else if (IO_AGAIN(errno))
				can_read = false;
			else
				return io_end_from_errno(errno, "echo: recv");
		}
		if (used > 0 && can_write) {
			size_t chunk = head + used <= cap ? used : cap - head;

			n = io_send(s, s->buf + head, chunk);
			if (n > 0) {
				head = (head + (size_t)n) % cap;
				used -= (size_t)n;
				progress = true;
				can_write = (size_t)n == chunk;
			} else if (n == -1 && IO_AGAIN(errno)) {
				can_write = false;
			} else if (n == -1) {
				enum session_end e = io_end_from_errno(errno,
				    "echo: send");

				/*
				 * After its FIN, a client that closed for
				 * good answers the rest with a reset: it
				 * closed, it did not break down.
				 */
				return (eof && e == END_RESET) ?
				    END_CLIENT_CLOSED : e;
			}
		}
		if (eof && used == 0)
			return END_CLIENT_CLOSED;
		if (progress) {
			deadline = -1;
			rev = 0;
			continue;
		}
		/* Reported hangups make recv or send fail; never spin on one. */
		if (rev & (POLLERR | POLLHUP))
			return eof ? END_CLIENT_CLOSED : END_RESET;
		events = 0;
		if (!eof && used < cap)
			events |= POLLIN;
		if (used > 0)
			events |= POLLOUT;
		r = io_wait_idle(s, events, &deadline, &rev);
		if (r == 0)
			return END_TIMEOUT;
		if (r == -1)
			return io_end_from_errno(errno, "echo: poll");
		if (rev & (POLLIN | POLLERR | POLLHUP))
			can_read = true;
		if (rev & (POLLOUT | POLLERR | POLLHUP))
			can_write = true;
	}
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
