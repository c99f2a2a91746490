/* Quote of the day (RFC 865): one quote from the service's file. */
#include "autoconfig.h"

#include <string.h>
#include <sys/types.h>

#include "config.h"
#include "handler.h"
#include "io.h"
#include "log.h"

/*
 * A quote at random, or NULL when there is none. Config load refuses a
 * qotd service without quotes, so NULL means a caller's mistake.
 */
static const char *
qotd_pick(const struct service_config *svc, size_t *len)
{
	size_t i;

	if (svc == NULL || svc->quotes.count == 0)
		return NULL;
	i = svc->quotes.count > UINT32_MAX ? 0 :
	    handler_random((uint32_t)svc->quotes.count);
	*len = svc->quotes.len[i];
	return svc->quotes.text[i];
}

static enum session_end
qotd_serve_tcp(struct tcp_session *s)
{
	const char *q;
	size_t len;

	if ((q = qotd_pick(s->svc, &len)) == NULL) {
		log_debug("qotd: no quotes loaded");
		return END_ERROR;
	}
	return io_write_all(s, q, len);
}

/*
 * A quote, whole, only to a datagram at least as long: a reply longer
 * than its request would make UDP qotd an amplifier for forged sources.
 * A cut quote is not a quote, so a longer one is not sent at all (the
 * datagram is dropped); a client sure of an answer sends 512 bytes, more
 * than any quote (quotes.c refuses longer ones).
 */
static ssize_t
qotd_answer_udp(const struct service_config *svc, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outcap)
{
	const char *q;
	size_t len;

	(void)in;
	if ((q = qotd_pick(svc, &len)) == NULL || len > inlen || len > outcap)
		return -1;
	memcpy(out, q, len);
	return (ssize_t)len;
}

const struct handler handler_qotd = {
	.name = "qotd",
	.serve_tcp = qotd_serve_tcp,
	.answer_udp = qotd_answer_udp,
	.needs_quotes = true,
};
