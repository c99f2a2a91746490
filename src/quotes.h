/* The qotd quote file: parsed whole at config load, so a reload re-reads it. */
#ifndef NETSRVD_QUOTES_H
#define NETSRVD_QUOTES_H

#include <stddef.h>

/* Longest quote as sent on the wire (CRLF line ends included): RFC 865. */
#define QUOTE_MAX 511

struct quotes {
	char **text;		/* each as sent: lines ended by CRLF */
	size_t *len;
	size_t count;
};

int quotes_parse(const char *data, size_t size, const char *name,
    struct quotes *out, char *err, size_t errlen);
int quotes_load(const char *path, struct quotes *out, char *err, size_t errlen);
void quotes_free(struct quotes *q);

#endif
