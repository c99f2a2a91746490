/* The access log: one key=value line per connection, datagram, program run or refusal, its keys always in one order. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "log.h"
#include "util.h"

struct buf {
	char *p;
	size_t len, used;
	bool full;
};

/* Appends one field; one that does not fit is left out whole, and so is everything after it. */
static void
field(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
field(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->used) {
		b->p[b->used] = '\0';
		b->full = true;
		return;
	}
	b->used += (size_t)n;
}

/*
 * detail="..." : the only free text a line carries (a PROXY header's
 * fault). Quoted with backslash escapes, control bytes as '?', so the
 * line stays one line of key=value pairs whatever the text says.
 */
static void
quoted(struct buf *b, const char *key, const char *text)
{
	char q[512];
	size_t n = 0;

	for (const char *s = text; *s != '\0' && n < sizeof(q) - 3; s++) {
		unsigned char c = (unsigned char)*s;
		char out = *s;

		if (c == '"' || c == '\\')
			q[n++] = '\\';
		if (c < 0x20 || c == 0x7f)
			out = '?';
		q[n++] = out;
	}
	q[n] = '\0';
	field(b, " %s=\"%s\"", key, q);
}

size_t
access_format(const struct access_line *l, char *out, size_t len)
{
	struct buf b = { .p = out, .len = len, .used = 0, .full = false };
	char addr[80];

	if (len == 0)
		return 0;
	out[0] = '\0';
	field(&b, "service=%s", l->service);
	if (l->peer != NULL) {
		logpeer_format(l->log_peer, l->peer, addr, sizeof(addr));
		field(&b, " peer=%s", addr);
	}
	if (l->proxy != NULL) {
		util_format_sockaddr(l->proxy, addr, sizeof(addr));
		field(&b, " proxy=%s", addr);
	}
	if (l->counted && l->bytes_unknown)
		field(&b, " in=? out=?");
	else if (l->counted)
		field(&b, " in=%llu out=%llu", l->in, l->out);
	if (l->counted || l->timed)
		field(&b, " duration_ms=%lld", l->duration_ms);
	field(&b, " end=%s", l->end);
	if (l->reason != NULL)
		field(&b, " reason=%s", l->reason);
	if (l->tls != NULL && l->tls[0] != '\0')
		field(&b, " %s", l->tls);
	if (l->words != NULL && l->words[0] != '\0')
		field(&b, " %s", l->words);
	if (l->detail != NULL)
		quoted(&b, "detail", l->detail);
	return b.used;
}

void
access_log(const struct access_line *l, bool on, enum access_otherwise otherwise)
{
	char line[1024];

	/* nothing formatted for a line nobody would read: datagrams are hot */
	if (!on && (otherwise == ACCESS_ONLY ||
	    !log_enabled(otherwise == ACCESS_OR_INFO ? LOG_LVL_INFO : LOG_LVL_DEBUG)))
		return;
	access_format(l, line, sizeof(line));
	if (on)
		log_access("%s", line);
	else if (otherwise == ACCESS_OR_INFO)
		log_info("%s", line);
	else
		log_debug("%s", line);
}
