/*
 * libFuzzer target: one UDP datagram to one handler. The first input byte
 * picks the handler (mod 6), the rest is the datagram; answer_udp writes
 * into a 65536-byte buffer and its reply is checked against the RFC:
 *   echo    the datagram itself          discard  no reply (-1)
 *   chargen 0..512 bytes of the stream   daytime  one line ending "\r\n"
 *   time    4 bytes, now since 1900      qotd     one of the quotes, whole
 * and, so UDP never amplifies: chargen and qotd reply with no more bytes
 * than the datagram had (qotd: a quote longer than the datagram, none).
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "handler.h"
#include "handler_chargen.h"
#include "handler_chargen.h"
#include "handler_daytime.h"
#include "handler_qotd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUTCAP 65536

static const char *const names[] = {
	"echo", "discard", "chargen", "daytime", "time", "qotd",
};

static char q0[] = "The only way to go fast is to go well.\r\n";
static char q1[] = "Simplicity is prerequisite for reliability.\r\n\t-- E. W. Dijkstra\r\n";
static char *qtext[] = { q0, q1 };
static size_t qlen[] = { sizeof(q0) - 1, sizeof(q1) - 1 };

static unsigned char out[OUTCAP];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service_config svc;
	const struct handler *h;
	const char *name;
	const unsigned char *in;
	size_t inlen;
	ssize_t n;

	if (size < 1 || size - 1 > OUTCAP)
		return -1;
	name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	in = data + 1;
	inlen = size - 1;
	h = handler_find(name);
	if (h == NULL || strcmp(h->name, name) != 0 || h->answer_udp == NULL)
		abort();

	memset(&svc, 0, sizeof(svc));
	svc.name = (char *)"fuzz";
	svc.protocol = PROTO_UDP;
	svc.handler_name = (char *)name;
	svc.handler = h;
	svc.port = 7;
	svc.workers = 1;
	if (h == &handler_qotd) {
		static struct qotd_conf q;

		q.quotes.text = qtext;
		q.quotes.len = qlen;
		q.quotes.count = 2;
		svc.hconf = &q;
	}

	n = h->answer_udp(&svc, in, inlen, out, OUTCAP);

	if (h == &handler_echo) {
		if (n != (ssize_t)inlen || (inlen > 0 && memcmp(out, in, inlen) != 0))
			abort();
	} else if (h == &handler_discard) {
		if (n != -1)
			abort();
	} else if (h == &handler_chargen) {
		if (n < 0 || n > 512 || (size_t)n > inlen)
			abort();
		/* the TCP stream from the start of some line */
		for (ssize_t i = 0; i < n; i++) {
			unsigned char c = out[i];
			if (!((c >= 32 && c <= 126) || c == '\r' || c == '\n'))
				abort();
		}
		if (n > 0) {
			unsigned char want[512];
			size_t line = (size_t)(out[0] - ' ');

			chargen_fill(want, (size_t)n, (uint64_t)line * CHARGEN_LINE_BYTES);
			if (memcmp(out, want, (size_t)n) != 0)
				abort();
		}
	} else if (h == &handler_daytime) {
		if (n < 2 || n >= DAYTIME_MAX || out[n - 2] != '\r' || out[n - 1] != '\n' ||
		    memchr(out, '\n', (size_t)n - 1) != NULL ||
		    memchr(out, '\0', (size_t)n) != NULL)
			abort();
	} else if (h == &handler_time) {
		uint32_t got, want;

		if (n != 4)
			abort();
		/* RFC 868: seconds since 1900, so now +- a little, mod 2^32 */
		got = (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 |
		    (uint32_t)out[2] << 8 | out[3];
		want = (uint32_t)((uint64_t)time(NULL) + UINT64_C(2208988800));
		if ((uint32_t)(got - want + 2) > 4)
			abort();
	} else if (h == &handler_qotd) {
		if (n == -1 && inlen < qlen[1])
			return 0;	/* maybe a quote longer than the datagram: no reply */
		if ((size_t)n > inlen ||
		    !((n == (ssize_t)qlen[0] && memcmp(out, q0, qlen[0]) == 0) ||
		    (n == (ssize_t)qlen[1] && memcmp(out, q1, qlen[1]) == 0)))
			abort();
	} else
		abort();
	return 0;
}
