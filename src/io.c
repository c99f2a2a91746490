/* Socket I/O for TCP sessions: waits, reads, writes, timeouts. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include "handler.h"
#include "io.h"
#include "log.h"
#ifdef HAVE_TLS
#include "tls_conn.h"
#endif
#include "util.h"

int
io_wait(int fd, short events, int timeout_ms, short *revents)
{
	struct pollfd pfd;
	int64_t deadline = -1;
	int left = timeout_ms;
	int r;

	if (timeout_ms >= 0)
		deadline = util_now_ms() + timeout_ms;
	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, left);
		if (r == 1)
			break;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
		/* A signal only set a flag; keep waiting for what is left. */
		if (deadline >= 0) {
			int64_t now = util_now_ms();

			if (now >= deadline)
				return 0;
			left = (int)(deadline - now);
		}
	}
	if (pfd.revents & POLLNVAL) {
		errno = EBADF;
		return -1;
	}
	if (revents != NULL)
		*revents = pfd.revents;
	return 1;
}

int
io_wait_session(struct tcp_session *s, short events, int timeout_ms, short *revents)
{
#ifdef HAVE_TLS
	if (s->tls != NULL) {
		short rev = 0;
		int r;

		/* decrypted bytes wait in OpenSSL, not in the socket: ready now */
		if ((events & POLLIN) && tls_conn_pending(s->tls)) {
			if (revents != NULL)
				*revents = POLLIN;
			return 1;
		}
		/* the socket may have to move the other way first; the caller then tries again */
		r = io_wait(s->fd, tls_conn_events(s->tls, events), timeout_ms, &rev);
		if (r == 1 && revents != NULL)
			*revents = (short)((rev & (POLLERR | POLLHUP | POLLNVAL)) | (events & (POLLIN | POLLOUT)));
		return r;
	}
#endif
	return io_wait(s->fd, events, timeout_ms, revents);
}

int
io_wait_idle(struct tcp_session *s, short events, int64_t *deadline,
    short *revents)
{
	int64_t now, left;

	if (s->timeout_ms <= 0)
		return io_wait_session(s, events, -1, revents);
	now = util_now_ms();
	if (*deadline < 0)
		*deadline = now + s->timeout_ms;
	if (now >= *deadline)
		return 0;
	left = *deadline - now;
	return io_wait_session(s, events, left > INT_MAX ? INT_MAX : (int)left,
	    revents);
}

/* For the master's hung-worker check: a coarse clock read (vDSO), no syscall. */
static void
note_progress(struct tcp_session *s)
{
	if (s->progress != NULL)
		atomic_store_explicit(s->progress, util_coarse_now_ms(), memory_order_relaxed);
}

static ssize_t
recv_counted(struct tcp_session *s, void *buf, size_t len, int flags)
{
	ssize_t r;

#ifdef HAVE_TLS
	if (s->tls != NULL)
		r = tls_conn_read(s->tls, buf, len);
	else
#endif
		do
			r = recv(s->fd, buf, len, flags);
		while (r == -1 && errno == EINTR);
	if (r > 0) {
		s->bytes_in += (uint64_t)r;
		note_progress(s);
	}
	return r;
}

ssize_t
io_recv(struct tcp_session *s, void *buf, size_t len)
{
	return recv_counted(s, buf, len, MSG_DONTWAIT);
}

static int
set_rcvtimeo(struct tcp_session *s)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 0 };	/* none: wait forever */

	if (s->timeout_ms > 0) {
		tv.tv_sec = s->timeout_ms / 1000;
		tv.tv_usec = (suseconds_t)(s->timeout_ms % 1000) * 1000;
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	s->rcvtimeo_set = true;
	return 0;
}

ssize_t
io_recv_wait(struct tcp_session *s, void *buf, size_t len, int64_t *deadline)
{
	ssize_t r;
	int w;

	if (s->blocking && *deadline < 0 && (s->rcvtimeo_set || set_rcvtimeo(s) == 0))
		return recv_counted(s, buf, len, 0);
	for (;;) {
		w = io_wait_idle(s, POLLIN, deadline, NULL);
		if (w == 0)
			errno = EAGAIN;
		if (w != 1)
			return -1;
		r = io_recv(s, buf, len);
		if (r != -1 || !IO_AGAIN(errno))
			return r;
	}
}

ssize_t
io_send(struct tcp_session *s, const void *buf, size_t len)
{
	ssize_t r;

#ifdef HAVE_TLS
	if (s->tls != NULL)
		r = tls_conn_write(s->tls, buf, len);
	else
#endif
		do
			r = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (r == -1 && errno == EINTR);
	if (r > 0) {
		s->bytes_out += (uint64_t)r;
		note_progress(s);
	}
	return r;
}

enum session_end
io_end_from_errno(int err, const char *what)
{
	switch (err) {
	case EPIPE:
	case ECONNRESET:
	case ECONNABORTED:
	case ENOTCONN:
	case ETIMEDOUT:		/* TCP's own retransmissions gave up */
	case EHOSTUNREACH:
	case ENETUNREACH:
		return END_RESET;
	default:
		log_debug("%s: %s", what, strerror(err));
		return END_ERROR;
	}
}

enum session_end
io_write_all(struct tcp_session *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int64_t deadline = -1;
	short rev = 0;
	ssize_t w;
	int r;

	while (len > 0) {
		w = io_send(s, p, len);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			deadline = -1;
			rev = 0;
			continue;
		}
		if (w == 0 || !IO_AGAIN(errno))
			return w == 0 ? END_ERROR :
			    io_end_from_errno(errno, "send");
		/*
		 * A hangup or error reported by poll makes send fail, never
		 * wait; if it somehow did not, do not spin on it.
		 */
		if (rev & (POLLERR | POLLHUP))
			return END_RESET;
		r = io_wait_idle(s, POLLOUT, &deadline, &rev);
		if (r == 0)
			return END_TIMEOUT;
		if (r == -1)
			return io_end_from_errno(errno, "poll");
	}
	return END_DONE;
}

/* io_end_from_errno for the handler's call: "echo: recv". */
static enum session_end
pump_failed(int err, const char *name, const char *call)
{
	char what[48];

	snprintf(what, sizeof(what), "%s: %s", name, call);
	return io_end_from_errno(err, what);
}

/* A failed send after the client's FIN: a reset means it closed for good, not that it broke down. */
static enum session_end
send_failed(const struct io_pump *p, const char *name)
{
	enum session_end e = pump_failed(errno, name, "send");

	return p->eof && e == END_RESET ? END_CLIENT_CLOSED : e;
}

/* One turn's read and send: -1 while the session goes on, else how it ended. *moved: a byte or the FIN. */
static int
pump_turn(struct io_pump *p, const struct io_pump_ops *ops, void *ctx, bool *moved)
{
	ssize_t n;

	*moved = false;
	if (!p->eof && (n = ops->read(p, ctx)) != IO_PUMP_SKIP) {
		if (n == IO_PUMP_TIMEOUT)
			return END_TIMEOUT;
		if (n >= 0) {
			if (n == 0)
				p->eof = true;	/* half-close: what is due still goes out */
			*moved = true;
		} else if (!IO_AGAIN(errno))
			return pump_failed(errno, ops->name, "recv");
	}
	n = ops->write(p, ctx);
	if (n > 0)
		*moved = true;
	else if (n == -1 && !IO_AGAIN(errno))
		return send_failed(p, ops->name);
	if (p->eof && ops->finished != NULL && ops->finished(p, ctx))
		return END_CLIENT_CLOSED;
	return -1;
}

enum session_end
io_pump_run(struct tcp_session *s, const struct io_pump_ops *ops, void *ctx)
{
	struct io_pump p = { .s = s, .eof = false, .rev = 0, .deadline = -1 };
	bool moved;
	int r;

	for (;;) {
		if ((r = pump_turn(&p, ops, ctx, &moved)) != -1)
			return (enum session_end)r;
		if (moved) {
			p.deadline = -1;
			p.rev = 0;
			continue;
		}
		/* Reported hangups make recv or send fail; never spin on one. */
		if (p.rev & (POLLERR | POLLHUP))
			return p.eof ? END_CLIENT_CLOSED : END_RESET;
		r = io_wait_idle(s, ops->events(&p, ctx), &p.deadline, &p.rev);
		if (r == 0)
			return END_TIMEOUT;
		if (r == -1)
			return pump_failed(errno, ops->name, "poll");
	}
}
