/* The tests' one reader of the access log: a line is key=value pairs in the documented order, or the test fails. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accesslog.h"

/* The documented order (netsrvd(8), ACCESS LOG); a line has a subset, in this order. */
static const char *const keys[] = {
	"service", "peer", "proxy", "in", "out", "duration_ms", "end", "reason",
	"tls", "resumed", "client_sha256",
	"program", "exit", "signal", "status", "backend", "connect", "unsent", "detail",
};
static const char *const ends[] = {
	"done", "closed", "timeout", "reset", "error", "answered", "dropped", "refused",
};
static const char *const reasons[] = {
	"acl", "per_source", "proxy", "rate", "reflection", "wrappers", "tls",
};
/* a redirect's backend, the one reason= of a line that is no refusal: end=error or end=reset */
static const char *const backend_reasons[][2] = {
	{ "error", "connect" }, { "reset", "backend" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool
backend_reason(const struct al_line *l)
{
	const char *end = al_get(l, "end"), *reason = al_get(l, "reason");

	for (size_t i = 0; reason != NULL && i < N(backend_reasons); i++)
		if (strcmp(end, backend_reasons[i][0]) == 0 && strcmp(reason, backend_reasons[i][1]) == 0)
			return true;
	return false;
}

static int
index_of(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return (int)i;
	return -1;
}

static int
bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* One value from *s on: bare or quoted; *s is left after it. */
static int
value(const char **s, char *out, size_t len, char *why, size_t wlen)
{
	const char *p = *s;
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0' || *p == '\n')
				return bad(why, wlen, "an unterminated quoted value");
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			else if (*p == '\\')
				return bad(why, wlen, "an escape other than \\\" or \\\\");
			if (n + 1 < len)
				out[n++] = *p;
		}
		p++;
	} else {
		for (; *p != '\0' && *p != ' ' && *p != '\n'; p++) {
			if (*p == '"' || *p == '=' || (unsigned char)*p < 0x20)
				return bad(why, wlen, "a bare value with '%c' in it", *p);
			if (n + 1 < len)
				out[n++] = *p;
		}
		if (n == 0)
			return bad(why, wlen, "an empty value");
	}
	out[n] = '\0';
	*s = p;
	return 0;
}

/* in= and out=: both or neither, each a count, or both '?' (not known: an exec program's connection). */
static int
bytes_check(const struct al_line *l, char *why, size_t wlen)
{
	const char *in = al_get(l, "in"), *out = al_get(l, "out");

	if ((in == NULL) != (out == NULL))
		return bad(why, wlen, "in= without out=, or the reverse");
	if (in == NULL)
		return 0;
	if ((strcmp(in, "?") == 0) != (strcmp(out, "?") == 0))
		return bad(why, wlen, "in=%s out=%s: one known, one not", in, out);
	if (strcmp(in, "?") == 0)
		return 0;
	if (in[strspn(in, "0123456789")] != '\0' || out[strspn(out, "0123456789")] != '\0')
		return bad(why, wlen, "in=%s out=%s: not counts", in, out);
	return 0;
}

int
al_parse(const char *msg, struct al_line *out, char *why, size_t wlen)
{
	const char *p = msg;
	int last = -1;

	memset(out, 0, sizeof(*out));
	while (*p != '\0' && *p != '\n') {
		const char *eq = p;
		char key[24];
		int k;

		if (out->n > 0 && *p++ != ' ')
			return bad(why, wlen, "pairs not separated by one space");
		/* a digit after the first letter: client_sha256 */
		for (eq = p; (*eq >= 'a' && *eq <= 'z') || *eq == '_' || (eq > p && *eq >= '0' && *eq <= '9'); eq++)
			;
		if (*eq != '=' || eq == p || (size_t)(eq - p) >= sizeof(key))
			return bad(why, wlen, "not key=value at \"%.20s\"", p);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
		if ((k = index_of(keys, N(keys), key)) < 0)
			return bad(why, wlen, "an unknown key %s", key);
		if (k <= last)
			return bad(why, wlen, "key %s out of order (or twice)", key);
		if (out->n == AL_MAX_PAIRS)
			return bad(why, wlen, "too many pairs");
		last = k;
		snprintf(out->kv[out->n].key, sizeof(out->kv[0].key), "%s", key);
		p = eq + 1;
		if (value(&p, out->kv[out->n].value, sizeof(out->kv[0].value), why, wlen) == -1)
			return -1;
		out->n++;
	}
	if (al_get(out, "service") == NULL || al_get(out, "end") == NULL)
		return bad(why, wlen, "no service= or no end=");
	if (bytes_check(out, why, wlen) == -1)
		return -1;
	if (index_of(ends, N(ends), al_get(out, "end")) < 0)
		return bad(why, wlen, "an undocumented end=%s", al_get(out, "end"));
	if (backend_reason(out))
		return 0;
	if ((al_get(out, "reason") != NULL) != (strcmp(al_get(out, "end"), "refused") == 0))
		return bad(why, wlen, "reason= without end=refused, or the reverse");
	if (al_get(out, "reason") != NULL && index_of(reasons, N(reasons), al_get(out, "reason")) < 0)
		return bad(why, wlen, "an undocumented reason=%s", al_get(out, "reason"));
	return 0;
}

const char *
al_get(const struct al_line *l, const char *key)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->kv[i].key, key) == 0)
			return l->kv[i].value;
	return NULL;
}

const char *
al_message(const char *line)
{
	const char *p = strstr(line, "]: ");
	const char *lvl;

	if (p == NULL || memchr(line, '\n', (size_t)(p - line)) != NULL)
		return line;
	lvl = p + 3;
	p = strstr(lvl, ": ");
	return p != NULL && memchr(lvl, '\n', (size_t)(p - lvl)) == NULL ? p + 2 : lvl;
}

/* Every pair of want is in l (a value ending in '*': as a prefix). */
static bool
matches(const struct al_line *l, const char *want)
{
	char w[512], *save = NULL;

	snprintf(w, sizeof(w), "%s", want);
	for (char *t = strtok_r(w, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		const char *v;
		size_t vl;

		assert_non_null(eq);
		*eq++ = '\0';
		if ((v = al_get(l, t)) == NULL)
			return false;
		vl = strlen(eq);
		if (vl > 0 && eq[vl - 1] == '*' ? strncmp(v, eq, vl - 1) != 0 : strcmp(v, eq) != 0)
			return false;
	}
	return true;
}

/* Scans the whole log: the matching lines counted, the n-th copied out; a bad line fails the test. */
static int
scan(struct daemon *d, const char *want, int n, struct al_line *out)
{
	char *log = h_read_log(d), *save = NULL, why[160];
	int found = 0;

	for (char *line = log ? strtok_r(log, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *msg = al_message(line);
		struct al_line l;

		if (strncmp(msg, "service ", 8) == 0 &&
		    (strstr(msg, ": refused ") != NULL || strstr(msg, " timed out ") != NULL)) {
			fprintf(stderr, "prose: %s\n", line);
			free(log);
			h_fail_with_log(d, "a refusal or a timeout logged in prose, not as an access-log line");
		}
		if (strncmp(msg, "service=", 8) != 0)
			continue;
		if (al_parse(msg, &l, why, sizeof(why)) == -1) {
			fprintf(stderr, "not an access-log line (%s): %s\n", why, line);
			free(log);
			h_fail_with_log(d, "an access-log line that is not key=value pairs in order");
		}
		if (matches(&l, want) && ++found == n && out != NULL)
			*out = l;
	}
	free(log);
	return found;
}

bool
al_wait_nth(struct daemon *d, const char *want, int n, struct al_line *out, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	do {
		if (scan(d, want, n, out) >= n)
			return true;
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	return false;
}

bool
al_wait(struct daemon *d, const char *want, struct al_line *out, int timeout_ms)
{
	return al_wait_nth(d, want, 1, out, timeout_ms);
}

int
al_count(struct daemon *d, const char *want)
{
	return scan(d, want, 0, NULL);
}
