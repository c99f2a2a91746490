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
 * s->buf holds a stretch of the stream, refilled once it is all sent;
 * `pos` is where the next refill starts in the 95-line period.
 */
static enum session_end
chargen_serve_tcp(struct tcp_session *s)
{
	unsigned char junk[4096];
	uint64_t pos = 0;
	size_t off = 0, end = 0;
	unsigned sends = 0;
	bool eof = false;
	int64_t deadline = -1;
	short rev = 0, events;
	ssize_t n;
	int r;

	if (s->buf == NULL || s->bufsize == 0)
		return END_ERROR;
	for (;;) {
		bool progress = false;

		/*
		 * RFC 864: any data received is thrown away. We read when poll
		 * says there is some, and every 64 writes for a client that
		 * reads fast enough that we never wait; a FIN seen here lets
		 * the final reset count as the client closing.
		 */
		if (!eof && ((rev & (POLLIN | POLLHUP | POLLERR)) ||
		    ++sends >= 64)) {
			sends = 0;
			n = io_recv(s, junk, sizeof(junk));
			if (n > 0)
				progress = true;
			else if (n == 0) {
				eof = true;
				progress = true;
			} else if (!IO_AGAIN(errno))
				return io_end_from_errno(errno, "chargen: recv");
		}
		if (off == end) {
			chargen_fill(s->buf, s->bufsize, pos);
			off = 0;
			end = s->bufsize;
		}
		n = io_send(s, s->buf + off, end - off);
		if (n > 0) {
			off += (size_t)n;
			pos = (pos + (uint64_t)n) % CHARGEN_PERIOD;
			progress = true;
		} else if (n == -1 && !IO_AGAIN(errno)) {
			enum session_end e = io_end_from_errno(errno,
			    "chargen: send");

			return (eof && e == END_RESET) ? END_CLIENT_CLOSED : e;
		}
		if (progress) {
			deadline = -1;
			rev = 0;
			continue;
		}
		/* Reported hangups make recv or send fail; never spin on one. */
		if (rev & (POLLERR | POLLHUP))
			return eof ? END_CLIENT_CLOSED : END_RESET;
		events = POLLOUT;
		if (!eof)
			events |= POLLIN;
		r = io_wait_idle(s, events, &deadline, &rev);
		if (r == 0)
			return END_TIMEOUT;
		if (r == -1)
			return io_end_from_errno(errno, "chargen: poll");
	}
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
