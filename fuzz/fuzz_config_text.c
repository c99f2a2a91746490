/*
 * libFuzzer target: the guards on netsrv.conf's raw text (config_text_check),
 * alone, on the input's bytes as config_load reads a file: NUL bytes and
 * all, with the NUL the loader puts after them. The guards must say why on
 * every refusal, as NAME[:LINE]: with a line the text has; refuse every
 * text with a NUL inside; and leave err alone when they pass.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count_lines(const char *text, size_t size)
{
	size_t n = 1;

	for (size_t i = 0; i < size; i++)
		n += text[i] == '\n';
	return n;
}

/* "fuzz.conf: why" or "fuzz.conf:LINE: why" with 1 <= LINE <= lines. */
static int
says_where(const char *err, size_t lines)
{
	const char *p = err + strlen("fuzz.conf");
	char *end;
	unsigned long line;

	if (strncmp(err, "fuzz.conf", 9) != 0 || *p != ':')
		return 0;
	if (p[1] == ' ')
		return p[2] != '\0';
	line = strtoul(p + 1, &end, 10);
	return end != p + 1 && line >= 1 && line <= lines && end[0] == ':' && end[1] == ' ' &&
	    end[2] != '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_MAX];
	char *text;
	int r;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	strcpy(err, "untouched");
	r = config_text_check(text, size, "fuzz.conf", err, sizeof(err));
	if (r != 0 && r != -1)
		abort();
	if (memchr(text, '\0', size) != NULL &&
	    (r != -1 || strcmp(err, "fuzz.conf: not a text file (NUL byte)") != 0))
		abort();
	if (r == 0 && strcmp(err, "untouched") != 0)
		abort();
	if (r == -1 && !says_where(err, count_lines(text, size)))
		abort();
	free(text);
	return 0;
}
