/* Time (RFC 868): the seconds since 1900 as 4 bytes, over TCP and UDP. */
#include "autoconfig.h"

#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "handler.h"
#include "handler_time.h"
#include "io.h"
#include "log.h"

/* 1970-01-01 less 1900-01-01: 70 years, 17 of them leap years. */
#define RFC868_EPOCH_OFFSET	UINT64_C(2208988800)

/*
 * Modulo 2^32 by construction: unsigned arithmetic wraps, so 2036-02-07
 * 06:28:16 UTC becomes 0 again, as RFC 868's 32-bit field demands (the
 * RFC only covers "until 2036"; clients assume the era they live in).
 * A negative unix time converts modulo 2^64 first, which keeps the low
 * 32 bits right for dates between 1900 and 1970 too.
 */
uint32_t
time_rfc868(int64_t unix_seconds)
{
	return (uint32_t)((uint64_t)unix_seconds + RFC868_EPOCH_OFFSET);
}

/* The 4 bytes for now, in network order; -1 if the clock fails. */
static int
time_now(unsigned char out[4])
{
	struct timespec ts;
	uint32_t v;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	v = time_rfc868((int64_t)ts.tv_sec);
	out[0] = (unsigned char)(v >> 24);
	out[1] = (unsigned char)(v >> 16);
	out[2] = (unsigned char)(v >> 8);
	out[3] = (unsigned char)v;
	return 0;
}

static enum session_end
time_serve_tcp(struct tcp_session *s)
{
	unsigned char v[4];

	if (time_now(v) == -1) {
		log_debug("time: cannot read the clock");
		return END_ERROR;
	}
	return io_write_all(s, v, sizeof(v));
}

static ssize_t
time_answer_udp(const struct service_config *svc, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outcap)
{
	(void)svc;
	(void)in;
	(void)inlen;
	if (outcap < 4 || time_now(out) == -1)
		return -1;
	return 4;
}

const struct handler handler_time = {
	.name = "time",
	.serve_tcp = time_serve_tcp,
	.answer_udp = time_answer_udp,
};
