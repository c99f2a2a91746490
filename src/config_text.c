/* netsrv.conf's raw text, guarded before libconfig sees it: NUL bytes, @include, integers that would wrap. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_schema.h"
#include "config_text.h"

/*
 * @include is refused: libconfig 1.5 calls exit(2) when an included path
 * is a directory (its flex scanner fails), which would take a running
 * master down on SIGHUP, and an included file escapes every check here.
 */
static int
refuse_includes(const char *text, const char *name, char *err, size_t errlen)
{
	int line = 1;

	for (const char *p = text; *p != '\0'; line++) {
		const char *q = p + strspn(p, " \t");
		if (strncmp(q, "@include", 8) == 0) {
			snprintf(err, errlen, "%s:%d: @include is not supported: keep the whole configuration in one file",
			    name, line);
			return -1;
		}
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return 0;
}

/*
 * Whether the literal tok (len bytes) is an integer libconfig would store
 * without wrapping: in 32 bits, or 64 with an L suffix. Anything that is
 * not an integer literal (a float, a syntax error) is libconfig's to judge.
 */
static bool
integer_fits(const char *tok, size_t len)
{
	char buf[64];
	size_t skip = 0;
	bool wide = false, hex;

	while (len > 0 && tok[len - 1] == 'L') {
		len--;
		wide = true;
	}
	hex = len > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X');
	if (hex)
		skip = 2;
	else if (len > 0 && (tok[0] == '-' || tok[0] == '+'))
		skip = 1;
	if (len == skip)
		return true;	/* not an integer literal */
	for (size_t i = skip; i < len; i++)
		if (!(tok[i] >= '0' && tok[i] <= '9') &&
		    !(hex && strchr("abcdefABCDEF", tok[i]) != NULL))
			return true;	/* nor this: a float, or libconfig's syntax error */
	if (len >= sizeof(buf))
		return false;	/* 60-odd digits */
	memcpy(buf, tok, len);
	buf[len] = '\0';
	errno = 0;
	if (hex) {
		unsigned long long u = strtoull(buf + 2, NULL, 16);
		return errno == 0 && u <= (wide ? (unsigned long long)LLONG_MAX : (unsigned long long)INT_MAX);
	}
	long long v = strtoll(buf, NULL, 10);
	return errno == 0 && (wide || (v >= INT_MIN && v <= INT_MAX));
}

/* Skips a string, a comment or a space at p; returns where it ends, counting lines. */
static const char *
skip_inert(const char *p, int *line)
{
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			*line += *p == '\n';
		}
		return *p == '"' ? p + 1 : p;
	}
	if (*p == '#' || (p[0] == '/' && p[1] == '/'))
		return p + strcspn(p, "\n");
	if (p[0] == '/' && p[1] == '*') {
		for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
			*line += *p == '\n';
		return *p != '\0' ? p + 2 : p;
	}
	*line += *p == '\n';
	return p + 1;
}

/*
 * Says why the integer literal lit (len bytes, on line) is refused: with
 * the range of its key when it is the value of a key (key, keylen).
 */
static int
refuse_literal(const char *lit, size_t len, const char *key, size_t keylen, int line,
    const char *name, char *err, size_t errlen)
{
	const struct config_key *k = key != NULL ? config_int_key_named(key, keylen) : NULL;

	if (k != NULL)
		snprintf(err, errlen, "%s:%d: \"%s\" is %.*s, out of range %lld-%lld",
		    name, line, k->name, (int)len, lit, k->min, k->max);
	else
		snprintf(err, errlen, "%s:%d: integer %.*s does not fit in %s",
		    name, line, (int)len, lit,
		    lit[len - 1] == 'L' ? "64 bits" : "32 bits (append L for 64 bits)");
	return -1;
}

/*
 * libconfig 1.5 converts integer literals with no range check: 4294988303
 * becomes 21007, 99999999999999999999 becomes -1, 0x100000000 becomes 0, so
 * no check on the parsed value can see them. Read the literals in the
 * text first: one that does not fit is named with its key and line.
 */
static int
refuse_wrapping_integers(const char *text, const char *name, char *err, size_t errlen)
{
	const char *key = NULL;
	size_t keylen = 0;
	int line = 1, keyline = 0;
	bool after_key = false;	/* the last token was the "=" or ":" after key */

	for (const char *p = text; *p != '\0';) {
		const char *q = p;
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '*') {
			q += strspn(q, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*-");
			key = p;
			keylen = (size_t)(q - p);
			keyline = line;
			after_key = false;
		} else if ((*p >= '0' && *p <= '9') || ((*p == '-' || *p == '+') && p[1] >= '0' && p[1] <= '9')) {
			q += 1 + strspn(q + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.");
			if (!integer_fits(p, (size_t)(q - p)))
				return refuse_literal(p, (size_t)(q - p), after_key ? key : NULL, keylen,
				    after_key ? keyline : line, name, err, errlen);
			after_key = false;
		} else if ((*p == '=' || *p == ':') && key != NULL) {
			after_key = true;
			q++;
		} else {
			/* spaces and comments keep it; a string or punctuation ends it */
			if (strchr("\",;[](){}", *p) != NULL)
				after_key = false;
			q = skip_inert(p, &line);
		}
		p = q;
	}
	return 0;
}

int
config_text_check(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: not a text file (NUL byte)", name);
		return -1;
	}
	if (refuse_includes(text, name, err, errlen) == -1 ||
	    refuse_wrapping_integers(text, name, err, errlen) == -1)
		return -1;
	return 0;
}
