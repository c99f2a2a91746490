/* Quote of the day (RFC 865): one quote from the service's file. */
#include "autoconfig.h"

#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "config.h"
#include "handler.h"
#include "handler_qotd.h"
#include "io.h"
#include "log.h"

/*
 * A quote at random, or NULL when there is none. Config load refuses a
 * qotd service without quotes, so NULL means a caller's mistake.
 */
static const char *
qotd_pick(const struct service_config *svc, size_t *len)
{
	const struct qotd_conf *q = svc != NULL ? svc->hconf : NULL;
	size_t i;

	if (q == NULL || q->quotes.count == 0)
		return NULL;
	i = q->quotes.count > UINT32_MAX ? 0 :
	    handler_random((uint32_t)q->quotes.count);
	*len = q->quotes.len[i];
	return q->quotes.text[i];
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

/*
 * Config time: the quotes are read whole now, so a reload re-reads them and
 * a bad file fails the load (the running generation keeps its own).
 */
static int
qotd_check(struct service_config *svc, const struct config_where *w)
{
	struct qotd_conf *q = svc->hconf;
	char qerr[CONFIG_ERR_MAX];

	if (config_path_relative(w, &q->quotes_path) == -1)
		return config_error(w, NULL, "out of memory");
	if (quotes_load(q->quotes_path, &q->quotes, qerr, sizeof(qerr)) == -1)
		return config_error(w, "quotes", "service \"%s\": %s", svc->name, qerr);
	return 0;
}

static void
qotd_release(struct service_config *svc)
{
	struct qotd_conf *q = svc->hconf;

	if (q != NULL)
		quotes_free(&q->quotes);
}

static const struct config_key qotd_keys[] = {
	{ .name = "quotes", .scope = SCOPE_SERVICE, .type = TYPE_STRING,
	  .reloadable = true, .required = true,
	  .need = "a quotes file (quotes = \"/path/to/quotes\";)",
	  .offset = offsetof(struct qotd_conf, quotes_path) },
};

const struct handler handler_qotd = {
	.name = "qotd",
	.serve_tcp = qotd_serve_tcp,
	.answer_udp = qotd_answer_udp,
	.keys = qotd_keys,
	.nkeys = sizeof(qotd_keys) / sizeof(qotd_keys[0]),
	.conf_size = sizeof(struct qotd_conf),
	.check = qotd_check,
	.release = qotd_release,
};
