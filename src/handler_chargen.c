/* Chargen (RFC 864): the rotating lines of printable ASCII, over TCP and UDP. */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "handler.h"
#include "handler_chargen.h"
#include "io.h"

/*
 * RFC 864: "Sort the [95 printing] characters into an ordered sequence and
 * number the characters from 0 through 94 ... On the first line (line 0)
 * put the characters numbered 0 through 71 ... On line N, put characters
 * (0+N mod 95) through (71+N mod 95)."
 *
 * The 95 printing characters are 32 (space) through 126; sorted, space is
 * number 0, so line 0 is " !\"#...efg". The RFC's example starts with a
 * line running from '!' to 'h': 72 characters, numbers 1 through 72, i.e.
 * line 1 of the text's own numbering, not line 0 (which would end in 'g').
 * So the example lines all appear, byte for byte, as our lines 1, 2, ...,
 * while starting the stream at '!' would contradict the normative
 * sentence. BSD inetd starts at the space too.
 *
 * The ring holds the 95 characters and then the first 72 again, so line k
 * is the 72 bytes at ring + k mod 95, without wrapping.
 */
static const char ring[] =
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
	"abcdefghijklmnopqrstuvwxyz{|}~"
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
	"abcdefg";

_Static_assert(sizeof(ring) == CHARGEN_CHARS + CHARGEN_LINE_CHARS + 1,
    "the chargen ring is the 95 characters plus one line's worth");

static const char crlf[] = "\r\n";

/* The largest UDP answer: RFC 864 says "between 0 and 512" characters. */
#define CHARGEN_UDP_MAX 512

void
chargen_fill(unsigned char *buf, size_t len, uint64_t pos)
{
	size_t line = (size_t)((pos / CHARGEN_LINE_BYTES) % CHARGEN_CHARS);
	size_t col = (size_t)(pos % CHARGEN_LINE_BYTES);
	size_t n;

	while (len > 0) {
		if (col < CHARGEN_LINE_CHARS) {
			n = CHARGEN_LINE_CHARS - col;
			if (n > len)
				n = len;
			memcpy(buf, ring + line + col, n);
		} else {
			n = CHARGEN_LINE_BYTES - col;
			if (n > len)
				n = len;
			memcpy(buf, crlf + (col - CHARGEN_LINE_CHARS), n);
		}
		buf += n;
		len -= n;
		col += n;
		if (col == CHARGEN_LINE_BYTES) {
			col = 0;
			if (++line == CHARGEN_CHARS)
				line = 0;
		}
	}
}

/*
 * Streams until the client goes away or stops reading for the timeout.
 * buf holds a stretch of the stream, refilled once it is all sent;
 * `pos` is where the next refill starts in the 95-line period.
 */
struct chargen_stream {
	unsigned char *buf;
	size_t len, off, end;
	uint64_t pos;
	unsigned sends;			/* since the last read */
	unsigned char junk[4096];	/* what the client sends, thrown away */
};

/*
 * RFC 864: any data received is thrown away. We read when poll says there
 * is some, and every 64 writes for a client that reads fast enough that we
 * never wait; a FIN seen here lets the final reset count as the client
 * closing.
 */
static ssize_t
chargen_read(struct io_pump *p, void *ctx)
{
	struct chargen_stream *c = ctx;

	if (!((p->rev & (POLLIN | POLLHUP | POLLERR)) || ++c->sends >= 64))
		return IO_PUMP_SKIP;
	c->sends = 0;
	return io_recv(p->s, c->junk, sizeof(c->junk));
}

static ssize_t
chargen_write(struct io_pump *p, void *ctx)
{
	struct chargen_stream *c = ctx;
	ssize_t n;

	if (c->off == c->end) {
		chargen_fill(c->buf, c->len, c->pos);
		c->off = 0;
		c->end = c->len;
	}
	n = io_send(p->s, c->buf + c->off, c->end - c->off);
	if (n > 0) {
		c->off += (size_t)n;
		c->pos = (c->pos + (uint64_t)n) % CHARGEN_PERIOD;
	}
	return n;
}

static short
chargen_events(const struct io_pump *p, void *ctx)
{
	(void)ctx;
	return p->eof ? POLLOUT : POLLOUT | POLLIN;
}

static enum session_end
chargen_serve_tcp(struct tcp_session *s)
{
	static const struct io_pump_ops ops = {
		.name = "chargen", .read = chargen_read, .write = chargen_write,
		.finished = NULL, .events = chargen_events,
	};
	struct chargen_stream c = { .buf = s->buf, .len = s->bufsize, .off = 0, .end = 0,
	    .pos = 0, .sends = 0 };

	if (s->buf == NULL || s->bufsize == 0)
		return END_ERROR;
	return io_pump_run(s, &ops, &c);
}

/*
 * One datagram per datagram, the input's content ignored. Its length is
 * uniform in 0..512 bytes, and never more than the datagram it answers:
 * RFC 864 allows any length from 0 to 512, and a reply longer than its
 * request made UDP chargen an amplifier for forged sources (an empty
 * datagram got 257 bytes on average, 10x on the wire). A client that
 * wants up to 512 characters sends 512 bytes; a forged one gains nothing.
 * The content is the TCP stream from the start of a random line, CRLF
 * line ends included (they count among the 512), cut wherever the length
 * ends, possibly mid-line or between CR and LF. RFC 864 keeps no
 * continuity between datagrams, so neither do we.
 */
static ssize_t
chargen_answer_udp(const struct service_config *svc, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outcap)
{
	size_t len = handler_random((uint32_t)(inlen < CHARGEN_UDP_MAX ? inlen : CHARGEN_UDP_MAX) + 1);
	uint32_t line = handler_random(CHARGEN_CHARS);

	(void)svc;
	(void)in;
	if (len > outcap)
		len = outcap;
	chargen_fill(out, len, (uint64_t)line * CHARGEN_LINE_BYTES);
	return (ssize_t)len;
}

const struct handler handler_chargen = {
	.name = "chargen",
	.serve_tcp = chargen_serve_tcp,
	.answer_udp = chargen_answer_udp,
};
