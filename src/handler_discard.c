/* Discard (RFC 863): read and drop everything the client sends. */
#include "autoconfig.h"

#include <errno.h>
#include <sys/types.h>

#include "handler.h"
#include "io.h"

/* One blocking recv per chunk (io_recv_wait): the wait and the read in one call. */
static enum session_end
discard_serve_tcp(struct tcp_session *s)
{
	int64_t deadline = -1;
	ssize_t n;

	if (s->buf == NULL || s->bufsize == 0)
		return END_ERROR;
	for (;;) {
		n = io_recv_wait(s, s->buf, s->bufsize, &deadline);
		if (n > 0) {
			deadline = -1;
			continue;
		}
		if (n == 0)
			return END_CLIENT_CLOSED;
		if (IO_AGAIN(errno))
			return END_TIMEOUT;
		return io_end_from_errno(errno, "discard: recv");
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
};
