/* libconfig's parse errors said as -t says the rest: the text at fault, the name set twice and where first. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_error.h"
#include "config_types.h"

#define NESTING_MAX 64
#define QUOTE_MAX 60

/* A setting the scan met: its name (in the text), its line, the group holding it. */
struct setting {
	const char *name;
	size_t len;
	int line;
	unsigned group;
};

/* An opened group, list or array: its id and where it opened. */
struct open {
	unsigned group;
	int line;
	char c;
};

struct scan {
	struct setting *v;
	size_t n, cap;
	struct open stack[NESTING_MAX];
	size_t depth;
	unsigned groups;	/* ids handed out; 0 is the file's top level */
	bool failed;		/* out of memory: describe less */
};

static bool
is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*';
}

static bool
is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static void
add_setting(struct scan *sc, const char *name, size_t len, int line)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap == 0 ? 64 : 2 * sc->cap;
		struct setting *v = realloc(sc->v, cap * sizeof(*v));
		if (v == NULL) {
			sc->failed = true;
			return;
		}
		sc->v = v;
		sc->cap = cap;
	}
	sc->v[sc->n++] = (struct setting){ name, len, line,
	    sc->depth > 0 && sc->depth <= NESTING_MAX ? sc->stack[sc->depth - 1].group : 0 };
}

/* Past a comment or a string at p (libconfig's #, //, block comments, "..."), counting lines. */
static const char *
skip_comment_or_string(const char *p, int *line)
{
	if (*p == '#' || (p[0] == '/' && p[1] == '/'))
		return p + strcspn(p, "\n");
	if (p[0] == '/' && p[1] == '*') {
		for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
			*line += *p == '\n';
		return *p != '\0' ? p + 2 : p;
	}
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		*line += *p == '\n';
	}
	return *p != '\0' ? p + 1 : p;
}

static void
nest(struct scan *sc, char c, int line)
{
	if (c == '{' || c == '(' || c == '[') {
		if (sc->depth < NESTING_MAX)
			sc->stack[sc->depth] = (struct open){ ++sc->groups, line, c };
		sc->depth++;
	} else if (sc->depth > 0)
		sc->depth--;
}

/* Every setting of text with its group, and what is left open at its end. */
static void
scan_text(struct scan *sc, const char *text)
{
	int line = 1;

	for (const char *p = text; *p != '\0';) {
		if (*p == '#' || *p == '"' || (p[0] == '/' && (p[1] == '/' || p[1] == '*'))) {
			p = skip_comment_or_string(p, &line);
		} else if (is_name_start(*p) && (p == text || !is_name_char(p[-1]))) {
			const char *name = p, *q;
			while (is_name_char(*p))
				p++;
			for (q = p; *q == ' ' || *q == '\t'; q++)
				;
			if (*q == '=' || *q == ':')
				add_setting(sc, name, (size_t)(p - name), line);
		} else {
			if (strchr("{}()[]", *p) != NULL)
				nest(sc, *p, line);
			line += *p == '\n';
			p++;
		}
	}
}

/* The text of line, blanks trimmed, quoted and cut to fit; "" past the end or blank. */
static void
line_text(const char *text, int line, char *out, size_t len)
{
	const char *p = text, *end;
	size_t n;

	for (int i = 1; i < line && p != NULL; i++)
		p = (p = strchr(p, '\n')) != NULL ? p + 1 : NULL;
	out[0] = '\0';
	if (p == NULL)
		return;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strcspn(p, "\n");
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (end == p)
		return;	/* a blank line: nothing to quote */
	n = (size_t)(end - p);
	snprintf(out, len, "\"%.*s%s\"", n > QUOTE_MAX ? QUOTE_MAX : (int)n, p, n > QUOTE_MAX ? "..." : "");
}

static void
describe_syntax(const struct scan *sc, const char *text, int line, char *out, size_t outlen)
{
	char quoted[QUOTE_MAX + 8];

	line_text(text, line, quoted, sizeof(quoted));
	if (quoted[0] != '\0')
		snprintf(out, outlen, "syntax error in %s", quoted);
	else if (sc->depth > 0 && sc->depth <= NESTING_MAX)
		snprintf(out, outlen, "syntax error at the end of the file: the \"%c\" of line %d is not closed",
		    sc->stack[sc->depth - 1].c, sc->stack[sc->depth - 1].line);
	else
		snprintf(out, outlen, "syntax error at the end of the file");
}

/* The first setting of line whose name its group had before: the one libconfig refused. */
static bool
describe_duplicate(const struct scan *sc, int line, char *out, size_t outlen)
{
	for (size_t i = 0; i < sc->n; i++) {
		const struct setting *s = &sc->v[i];
		if (s->line != line)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct setting *f = &sc->v[j];
			if (f->group == s->group && f->len == s->len && memcmp(f->name, s->name, s->len) == 0) {
				snprintf(out, outlen, "duplicate setting \"%.*s\" (first at line %d)",
				    (int)s->len, s->name, f->line);
				return true;
			}
		}
	}
	return false;
}

void
config_error_describe(const char *text, int line, const char *why, char *out, size_t outlen)
{
	struct scan sc;

	memset(&sc, 0, sizeof(sc));
	snprintf(out, outlen, "%s", why);
	if (text == NULL || (strcmp(why, "syntax error") != 0 && strcmp(why, "duplicate setting name") != 0))
		return;
	scan_text(&sc, text);
	if (!sc.failed) {
		if (strcmp(why, "syntax error") == 0)
			describe_syntax(&sc, text, line, out, outlen);
		else
			describe_duplicate(&sc, line, out, outlen);
	}
	free(sc.v);
}

void
config_error_report(const config_t *lc, const char *text, const char *name, char *err, size_t errlen)
{
	char why[CONFIG_ERR_MAX];

	/* @include is refused before parsing: the error is in text */
	config_error_describe(text, config_error_line(lc), config_error_text(lc), why, sizeof(why));
	if (config_error_line(lc) > 0)
		snprintf(err, errlen, "%s:%d: %s", config_error_file(lc) ?
		    config_error_file(lc) : name, config_error_line(lc), why);
	else
		snprintf(err, errlen, "%s: %s", name, config_error_text(lc));
}

const char *
config_read_error(int e)
{
	return e == EFBIG ? "larger than 16 MiB" : e == EINVAL ? "not a regular file" : strerror(e);
}

void
config_warn(struct config_warnings *w, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX], *copy;
	char **grown;
	va_list ap;

	if (w->n >= CONFIG_WARNINGS_MAX) {
		w->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((copy = strdup(msg)) == NULL || (grown = realloc(w->v, (w->n + 1) * sizeof(*grown))) == NULL) {
		free(copy);
		w->more++;
		return;
	}
	w->v = grown;
	w->v[w->n++] = copy;
}

void
config_warnings_free(struct config_warnings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	*w = (struct config_warnings){ .v = NULL };
}
