/* An exec program's stream over TLS: the worker between the client's session and the program's socket pair. */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "handler.h"
#include "io.h"
#include "log.h"
#include "tls_conn.h"
#include "tls_relay.h"
#include "util.h"

void
tls_relay_init(struct tls_relay *r, struct tcp_session *s, int fd)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->fd = fd;
}

void
tls_relay_events(const struct tls_relay *r, struct pollfd pf[2])
{
	short client = 0, program = 0;

	if (!r->broken) {
		if (!r->in.eof && r->in.len == 0)
			client |= POLLIN;
		if (r->out.len > 0 || (r->out.eof && !r->out.passed))
			client |= POLLOUT;
		if (r->in.len > 0 && !r->program_deaf)
			program |= POLLOUT;
		if (!r->out.eof && r->out.len == 0)
			program |= POLLIN;
	}
	pf[0] = (struct pollfd){ .fd = client != 0 ? r->s->fd : -1, .events = tls_conn_events(r->s->tls, client) };
	pf[1] = (struct pollfd){ .fd = program != 0 ? r->fd : -1, .events = program };
}

/* The client's bytes to the program; its close_notify or FIN as our shutdown(SHUT_WR). */
static bool
client_to_program(struct tls_relay *r)
{
	struct tls_relay_dir *d = &r->in;
	bool moved = false;
	ssize_t n;

	if (!d->eof && d->len == 0) {
		n = io_recv(r->s, d->buf, sizeof(d->buf));
		if (n > 0) {
			d->len = (size_t)n;
			d->off = 0;
			moved = true;
		} else if (n == 0) {
			d->eof = moved = true;
		} else if (!IO_AGAIN(errno)) {
			r->broken = true;
			return false;
		}
	}
	if (d->len > 0 && r->program_deaf) {
		d->len = 0;	/* read away as a closed socket would */
	} else if (d->len > 0) {
		n = send(r->fd, d->buf + d->off, d->len - d->off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			d->off += (size_t)n;
			if (d->off == d->len)
				d->len = 0;
			moved = true;
		} else if (n == -1 && !IO_AGAIN(errno) && errno != EINTR) {
			r->program_deaf = true;
			d->len = 0;
		}
	}
	if (d->eof && d->len == 0 && !d->passed) {
		if (shutdown(r->fd, SHUT_WR) == -1 && errno != ENOTCONN)
			log_debug("TLS relay: shutdown");
		d->passed = moved = true;
	}
	return moved;
}

/* The program's bytes to the client; its end of file as our close_notify. */
static bool
program_to_client(struct tls_relay *r)
{
	struct tls_relay_dir *d = &r->out;
	bool moved = false;
	ssize_t n;

	if (!d->eof && d->len == 0) {
		n = recv(r->fd, d->buf, sizeof(d->buf), MSG_DONTWAIT);
		if (n > 0) {
			d->len = (size_t)n;
			d->off = 0;
			moved = true;
		} else if (n == 0 || (!IO_AGAIN(errno) && errno != EINTR)) {
			d->eof = moved = true;
		}
	}
	if (d->len > 0) {
		n = io_send(r->s, d->buf + d->off, d->len - d->off);
		if (n > 0) {
			d->off += (size_t)n;
			if (d->off == d->len)
				d->len = 0;
			moved = true;
		} else if (n == -1 && !IO_AGAIN(errno)) {
			r->broken = true;
			return false;
		}
	}
	if (d->eof && d->len == 0 && !d->passed) {
		int sh = tls_conn_shutdown_write(r->s->tls);
		if (sh == -1)
			r->broken = true;
		else if (sh == 1)
			d->passed = moved = true;
	}
	return moved;
}

bool
tls_relay_step(struct tls_relay *r)
{
	bool any = false;

	while (!r->broken) {
		bool a = client_to_program(r);
		bool b = !r->broken && program_to_client(r);
		if (!a && !b)
			break;
		any = true;
		r->moves++;
	}
	if (r->broken && r->fd >= 0 && !r->in.passed) {
		/* the client is gone: the program reads an end of file, its writes fail */
		if (shutdown(r->fd, SHUT_RDWR) == -1 && errno != ENOTCONN)
			log_debug("TLS relay: shutdown");
		r->in.passed = true;
	}
	return any;
}

void
tls_relay_drain(struct tls_relay *r, int timeout_ms)
{
	int64_t deadline = -1;

	/* what the program left in the pair; a descendant that still holds it is not waited for */
	r->in.eof = r->in.passed = true;
	r->in.len = 0;
	while (!r->broken && !r->out.passed) {
		struct pollfd pf[2];
		int64_t now;

		if (tls_relay_step(r)) {
			deadline = -1;
			continue;
		}
		if (!r->out.eof && r->out.len == 0) {
			r->out.eof = true;	/* nothing more there now: the program's words are all out */
			continue;
		}
		now = util_now_ms();
		if (deadline < 0)
			deadline = now + (timeout_ms > 0 ? timeout_ms : 30000);
		if (now >= deadline)
			return;
		tls_relay_events(r, pf);
		if (poll(pf, 2, (int)(deadline - now)) == -1 && errno != EINTR)
			return;
	}
}
