/* Discard (RFC 863): read and drop everything the client sends. */
#include "autoconfig.h"

#include <errno.h>
#include <sys/types.h>

#include "handler.h"
#include "io.h"

static enum session_end
discard_serve_tcp(struct tcp_session *s)
{
	int64_t deadline = -1;
	short rev = 0;
	ssize_t n;
	int r;

	if (s->buf == NULL || s->bufsize == 0)
		return END_ERROR;
	for (;;) {
		n = io_recv(s, s->buf, s->bufsize);
		if (n > 0) {
			deadline = -1;
			rev = 0;
			continue;
		}
		if (n == 0)
			return END_CLIENT_CLOSED;
		if (!IO_AGAIN(errno))
			return io_end_from_errno(errno, "discard: recv");
		/* Reported hangups make recv fail; never spin on one. */
		if (rev & (POLLERR | POLLHUP))
			return END_RESET;
		r = io_wait_idle(s, POLLIN, &deadline, &rev);
		if (r == 0)
			return END_TIMEOUT;
		if (r == -1)
			return io_end_from_errno(errno, "discard: poll");
	}
}

/* RFC 863: "any data received is thrown away", with no answer. */
static ssize_t
discard_answer_udp(const struct service_config *svc, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outcap)
{
	(void)svc;
	(void)in;
	(void)inlen;
	(void)out;
	(void)outcap;
	return -1;
}

const struct handler handler_discard = {
	.name = "discard",
	.serve_tcp = discard_serve_tcp,
	.answer_udp = discard_answer_udp,
	.needs_quotes = false,
};
