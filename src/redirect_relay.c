/* redirect's relay: a client and its backend joined with splice(2), both directions, half-closes passed on. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "io.h"
#include "log.h"
#include "redirect_relay.h"
#include "util.h"

/*
 * A pipe's size: what one splice(2) moves at most. The kernel's 64 KiB
 * cost a bulk transfer one socket-to-pipe-to-socket round per 64 KiB;
 * 256 KiB makes the rounds four times fewer for 512 KiB of pages a worker
 * (pipe-max-size is 1 MiB for anyone).
 */
#define REDIRECT_PIPE_SIZE	(256 * 1024)

static int
pipe_open(int fds[2], size_t *cap, const char *service)
{
	int got;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_error("service %s: pipe", service);
		return -1;
	}
	/* over a user's pipe-user-pages-soft the kernel refuses: the default will do */
	if (fcntl(fds[1], F_SETPIPE_SZ, REDIRECT_PIPE_SIZE) == -1)
		log_debug("service %s: F_SETPIPE_SZ: %s", service, strerror(errno));
	if ((got = fcntl(fds[1], F_GETPIPE_SZ)) <= 0) {
		log_error("service %s: F_GETPIPE_SZ", service);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	*cap = *cap == 0 || (size_t)got < *cap ? (size_t)got : *cap;
	return 0;
}

int
redirect_pipes_open(struct redirect_pipes *p, const char *service)
{
	p->cap = 0;
	if (pipe_open(p->c2b, &p->cap, service) == -1)
		return -1;
	if (pipe_open(p->b2c, &p->cap, service) == -1) {
		close(p->c2b[0]);
		close(p->c2b[1]);
		return -1;
	}
	return 0;
}

/* One direction: from one socket through its pipe to the other. */
struct dir {
	int from, to;		/* sockets */
	int rd, wr;		/* the pipe's ends */
	bool from_backend;
	size_t inpipe;		/* bytes in the pipe, taken from `from`, not yet given to `to` */
	bool eof;		/* `from` sent its FIN */
	bool done;		/* and everything before it went out, and the FIN with it */
	bool can_read, can_write;	/* as last seen: a call would not merely say EAGAIN */
	int64_t waiting_since;	/* inpipe > 0: since when `to` took nothing */
	uint64_t *count_in;	/* bytes taken from `from`, or NULL */
	uint64_t *count_out;	/* bytes given to `to`, or NULL */
};

struct relay {
	struct tcp_session *s;
	size_t cap;		/* each pipe's size */
	struct dir d[2];	/* client to backend, backend to client */
	int64_t last_move;
	unsigned long moves;	/* bytes or FINs passed on: a turn that moved none waits */
	bool backend_first;	/* the backend's FIN came before the client's */
	bool hung_up[2];	/* client, backend: an orderly hangup seen, polled only when waited on */
};

static void
moved(struct relay *r, int64_t now)
{
	r->last_move = now;
	r->moves++;
	if (r->s->progress != NULL)
		atomic_store_explicit(r->s->progress, now, memory_order_relaxed);
}

/* How a failed call on a side ends the session; the backend's reset is said to be its. */
static int
failed(struct relay *r, bool backend, const char *call)
{
	char what[48];
	enum session_end e;

	snprintf(what, sizeof(what), "redirect: %s %s", call, backend ? "backend" : "client");
	e = io_end_from_errno(errno, what);
	if (e == END_RESET && backend)
		r->s->reason = "backend";
	return (int)e;
}

/* Only an empty pipe is filled: then waiting on the source is never waiting on a full pipe. */
static int
fill(struct relay *r, struct dir *d, int64_t now)
{
	ssize_t n;

	if (d->eof || d->inpipe > 0 || !d->can_read)
		return -1;
	do
		n = splice(d->from, NULL, d->wr, NULL, r->cap, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		d->inpipe = (size_t)n;
		d->waiting_since = now;
		/* short: the socket is most likely drained; poll says when there is more */
		d->can_read = (size_t)n == r->cap;
		if (d->count_in != NULL)
			*d->count_in += (uint64_t)n;
		moved(r, now);
	} else if (n == 0) {
		d->eof = true;
		if (d->from_backend && !r->d[0].eof)
			r->backend_first = true;
	} else if (IO_AGAIN(errno))
		d->can_read = false;
	else
		return failed(r, d->from_backend, "splice from");
	return -1;
}

static int
drain(struct relay *r, struct dir *d, int64_t now)
{
	ssize_t n;

	while (d->inpipe > 0 && d->can_write) {
		n = splice(d->rd, NULL, d->to, NULL, d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			d->inpipe -= (size_t)n;
			d->waiting_since = now;
			if (d->count_out != NULL)
				*d->count_out += (uint64_t)n;
			moved(r, now);
		} else if (n == -1 && errno == EINTR) {
			continue;
		} else if (n == -1 && IO_AGAIN(errno)) {
			d->can_write = false;
		} else {
			if (n == 0)
				errno = EIO;	/* a pipe with bytes in it gave none: not ours to wait on */
			return failed(r, !d->from_backend, "splice to");
		}
	}
	return -1;
}

/* The source's FIN, once all before it went out: the other side's half-close. */
static void
pass_eof(struct relay *r, struct dir *d, int64_t now)
{
	if (d->done || !d->eof || d->inpipe > 0)
		return;
	/* ENOTCONN: the receiver is gone already; its own call says so */
	if (shutdown(d->to, SHUT_WR) == -1 && errno != ENOTCONN)
		log_debug("service %s: redirect: shutdown %s: %s", r->s->svc->name,
		    d->from_backend ? "client" : "backend", strerror(errno));
	d->done = true;
	moved(r, now);
}

/* One turn of a direction: -1 while the session goes on, else how it ended. */
static int
dir_turn(struct relay *r, struct dir *d, int64_t now)
{
	int e;

	if (d->done)
		return -1;
	if ((e = fill(r, d, now)) != -1 || (e = drain(r, d, now)) != -1)
		return e;
	pass_eof(r, d, now);
	return -1;
}

/* The poll entry of a socket: what each direction waits for on it. */
static short
events_on(const struct relay *r, int fd)
{
	short ev = 0;

	for (int i = 0; i < 2; i++) {
		const struct dir *d = &r->d[i];

		if (d->done)
			continue;
		if (d->from == fd && d->inpipe == 0 && !d->eof)
			ev |= POLLIN;
		if (d->to == fd && d->inpipe > 0)
			ev |= POLLOUT;
	}
	return ev;
}

/*
 * A hangup or error on a socket no direction waits on: a reset (its
 * SO_ERROR says so) ends the session; an orderly one is both halves shut,
 * the bytes it still holds read as their turn comes, and the socket is
 * not polled without a wait on it again, which would only spin.
 */
static int
idle_hangup(struct relay *r, int k, int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0) {
		r->hung_up[k] = true;
		return -1;
	}
	errno = err;
	return failed(r, k == 1, "poll");
}

/* What the poll saw, as what each direction may try. */
static int
take_events(struct relay *r, const struct pollfd *pf)
{
	for (int k = 0; k < 2; k++) {
		bool tried = false;

		for (int i = 0; i < 2; i++) {
			struct dir *d = &r->d[i];

			if (d->done)
				continue;
			if (d->from == pf[k].fd && !d->eof && d->inpipe == 0 &&
			    (pf[k].revents & (POLLIN | POLLERR | POLLHUP))) {
				d->can_read = true;
				tried = true;
			}
			if (d->to == pf[k].fd && d->inpipe > 0 &&
			    (pf[k].revents & (POLLOUT | POLLERR | POLLHUP))) {
				d->can_write = true;
				tried = true;
			}
		}
		if (!tried && (pf[k].revents & (POLLERR | POLLHUP)))
			return idle_hangup(r, k, pf[k].fd);
	}
	return -1;
}

/* When `timeout` runs out: no byte moved, or one side's bytes waited that long for the other. */
static int64_t
deadline(const struct relay *r)
{
	int64_t t;

	if (r->s->timeout_ms <= 0)
		return -1;
	t = r->last_move + r->s->timeout_ms;
	for (int i = 0; i < 2; i++)
		if (!r->d[i].done && r->d[i].inpipe > 0 && r->d[i].waiting_since + r->s->timeout_ms < t)
			t = r->d[i].waiting_since + r->s->timeout_ms;
	return t;
}

/* -1: go on; 0: the timeout passed; else how it ended. */
static int
wait_turn(struct relay *r, int backend)
{
	struct pollfd pf[2] = { { .fd = r->s->fd, .events = events_on(r, r->s->fd) },
	    { .fd = backend, .events = events_on(r, backend) } };
	int64_t until = deadline(r), now;
	int left = -1, n;

	for (int k = 0; k < 2; k++)
		if (r->hung_up[k] && pf[k].events == 0)
			pf[k].fd = -1;

	if (until >= 0) {
		now = util_coarse_now_ms();
		if (now >= until)
			return 0;
		left = until - now > INT_MAX ? INT_MAX : (int)(until - now);
	}
	n = poll(pf, 2, left);
	if (n == -1 && errno == EINTR)
		return -1;	/* a signal only set a flag: the session goes on */
	if (n == -1) {
		log_error("service %s: redirect: poll", r->s->svc->name);
		return END_ERROR;
	}
	return n == 0 ? -1 : take_events(r, pf);
}

/* Empties both pipes, a session's leftovers, so the next one starts clean: what was never delivered. */
static uint64_t
empty_pipes(struct tcp_session *s, struct redirect_pipes *p)
{
	const int rd[2] = { p->c2b[0], p->b2c[0] };
	uint64_t lost = 0;
	ssize_t n;

	for (int i = 0; i < 2; i++)
		while ((n = read(rd[i], s->buf, s->bufsize)) > 0 || (n == -1 && errno == EINTR))
			lost += n > 0 ? (uint64_t)n : 0;
	return lost;
}

enum session_end
redirect_relay(struct tcp_session *s, int backend, struct redirect_pipes *p, uint64_t *unsent)
{
	struct relay r = { .s = s, .cap = p->cap, .last_move = util_coarse_now_ms() };
	int e = -1;

	r.d[0] = (struct dir){ .from = s->fd, .to = backend, .rd = p->c2b[0], .wr = p->c2b[1],
	    .can_read = true, .can_write = true, .count_in = &s->bytes_in };
	r.d[1] = (struct dir){ .from = backend, .to = s->fd, .rd = p->b2c[0], .wr = p->b2c[1],
	    .from_backend = true, .can_read = true, .can_write = true, .count_out = &s->bytes_out };
	while (e == -1) {
		int64_t now = util_coarse_now_ms();
		unsigned long before = r.moves;

		if ((e = dir_turn(&r, &r.d[0], now)) != -1 || (e = dir_turn(&r, &r.d[1], now)) != -1)
			break;
		if (r.d[0].done && r.d[1].done)
			e = r.backend_first ? END_DONE : END_CLIENT_CLOSED;
		else if (r.moves == before && (e = wait_turn(&r, backend)) == 0)
			e = END_TIMEOUT;
	}
	*unsent = empty_pipes(s, p);
	return (enum session_end)e;
}
