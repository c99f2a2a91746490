/*
 * libFuzzer target: a quotes file -> quotes_parse. On success every quote
 * is as sent on the wire: non-empty, under 512 bytes (RFC 865), CRLF line
 * ends only, no NUL; quotes_free must leave nothing behind.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quotes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	struct quotes q;

	err[0] = '\0';
	if (quotes_parse((const char *)data, size, "fuzz", &q, err, sizeof(err)) == -1) {
		if (strncmp(err, "fuzz", 4) != 0 || q.count != 0 || q.text != NULL)
			abort();
		return 0;
	}
	if (q.count == 0)
		abort();
	for (size_t i = 0; i < q.count; i++) {
		const char *t = q.text[i];
		size_t len = q.len[i];

		if (len < 2 || len > QUOTE_MAX || strlen(t) != len ||
		    t[len - 2] != '\r' || t[len - 1] != '\n')
			abort();
		/* every LF is preceded by CR */
		for (size_t j = 0; j < len; j++)
			if (t[j] == '\n' && (j == 0 || t[j - 1] != '\r'))
				abort();
	}
	quotes_free(&q);
	if (q.count != 0 || q.text != NULL || q.len != NULL)
		abort();
	return 0;
}
