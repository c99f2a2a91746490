/* The qotd quote file: parsed whole at config load, so a reload re-reads it. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quotes.h"
#include "util.h"

/* The file is small by nature; a cap keeps a wrong path (a disk image) from eating memory. */
#define QUOTES_FILE_MAX (4u << 20)

static int
append_quote(struct quotes *q, const char *text, size_t len)
{
	char **t = realloc(q->text, (q->count + 1) * sizeof(*t));
	if (t == NULL)
		return -1;
	q->text = t;
	size_t *l = realloc(q->len, (q->count + 1) * sizeof(*l));
	if (l == NULL)
		return -1;
	q->len = l;
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	q->text[q->count] = copy;
	q->len[q->count] = len;
	q->count++;
	return 0;
}

static int
is_separator(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	    line[len - 1] == '\r'))
		len--;
	return len == 0 || (len == 1 && line[0] == '%');
}

/*
 * Quotes are separated by blank lines or by lines holding only "%" (fortune
 * files). Each quote is kept as it will be sent: its lines, CRLF-ended.
 */
int
quotes_parse(const char *data, size_t size, const char *name,
    struct quotes *out, char *err, size_t errlen)
{
	char cur[QUOTE_MAX + 1];
	size_t curlen = 0, lineno = 0, startline = 0;
	size_t pos = 0;
	int toolong = 0;

	memset(out, 0, sizeof(*out));
	while (pos <= size) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - line) : size - pos;
		int last = (nl == NULL);

		lineno++;
		if (memchr(line, '\0', len) != NULL) {
			snprintf(err, errlen, "%s:%zu: NUL byte in quotes file", name, lineno);
			goto fail;
		}
		if (is_separator(line, len)) {
			if (curlen > 0 && append_quote(out, cur, curlen) == -1)
				goto nomem;
			curlen = 0;
		} else {
			if (len > 0 && line[len - 1] == '\r')
				len--;
			if (curlen == 0)
				startline = lineno;
			if (curlen + len + 2 > QUOTE_MAX)
				toolong = 1;
			if (toolong) {
				snprintf(err, errlen, "%s:%zu: quote is longer than %d bytes as sent (RFC 865 asks for under 512)",
				    name, startline, QUOTE_MAX);
				goto fail;
			}
			memcpy(cur + curlen, line, len);
			curlen += len;
			cur[curlen++] = '\r';
			cur[curlen++] = '\n';
		}
		if (last)
			break;
		pos = (size_t)(nl - data) + 1;
	}
	if (curlen > 0 && append_quote(out, cur, curlen) == -1)
		goto nomem;
	if (out->count == 0) {
		snprintf(err, errlen, "%s: no quotes in file", name);
		goto fail;
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	quotes_free(out);
	return -1;
}

int
quotes_load(const char *path, struct quotes *out, char *err, size_t errlen)
{
	char *data;
	size_t size;
	int r;

	memset(out, 0, sizeof(*out));
	if (util_read_file(path, QUOTES_FILE_MAX, &data, &size) == -1) {
		snprintf(err, errlen, "cannot read quotes file %s: %s", path,
		    errno == EFBIG ? "larger than 4 MiB" :
		    errno == EINVAL ? "not a regular file" : strerror(errno));
		return -1;
	}
	r = quotes_parse(data, size, path, out, err, errlen);
	free(data);
	return r;
}

void
quotes_free(struct quotes *q)
{
	for (size_t i = 0; i < q->count; i++)
		free(q->text[i]);
	free(q->text);
	free(q->len);
	memset(q, 0, sizeof(*q));
}
