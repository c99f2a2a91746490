/* Chargen (RFC 864): the stream's shape and its pure generator. */
#ifndef NETSRVD_HANDLER_CHARGEN_H
#define NETSRVD_HANDLER_CHARGEN_H

#include <stddef.h>
#include <stdint.h>

/* RFC 864: 72 of the 95 printable characters per line, then CRLF. */
#define CHARGEN_CHARS		95
#define CHARGEN_LINE_CHARS	72
#define CHARGEN_LINE_BYTES	(CHARGEN_LINE_CHARS + 2)
/* The stream repeats itself after 95 lines. */
#define CHARGEN_PERIOD		((size_t)CHARGEN_CHARS * CHARGEN_LINE_BYTES)
/* len bytes of the TCP chargen stream from its byte offset pos on. */
void chargen_fill(unsigned char *buf, size_t len, uint64_t pos);

#endif
