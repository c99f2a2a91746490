/* Unit tests of the PROXY protocol encoder: byte-exact headers, and what the parser reads back from them. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "proxy.h"
#include "proxy_encode.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static struct sockaddr_storage
v4(const char *a, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *a, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
	return ss;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* The header, then the parser's reading of it: done, whole, and the same client. */
static void
round_trip(const unsigned char *h, ssize_t n, const struct sockaddr_storage *src, bool relayed)
{
	struct proxy_result r;

	assert_true(n > 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(proxy_parse(h, (size_t)n, &r), PROXY_DONE);
	assert_int_equal(r.consumed, (size_t)n);
	assert_int_equal(r.relayed, relayed);
	if (!relayed)
		return;
	assert_int_equal(r.source.ss_family, src->ss_family);
	if (src->ss_family == AF_INET)
		assert_memory_equal(&r.source, src, sizeof(struct sockaddr_in));
	else
		assert_memory_equal(&((struct sockaddr_in6 *)&r.source)->sin6_addr,
		    &((const struct sockaddr_in6 *)src)->sin6_addr, 16);
}

static void
proxy_encode_v1_test(void **state)
{
	struct sockaddr_storage c4 = v4("192.0.2.7", 51734), l4 = v4("198.51.100.1", 80);
	struct sockaddr_storage c6 = v6("2001:db8::5", 40404), l6 = v6("2001:db8::1", 443);
	unsigned char h[PROXY_ENCODE_MAX];
	ssize_t n;

	(void)state;
	n = proxy_encode(1, SA(c4), SA(l4), h, sizeof(h));
	assert_int_equal(n, strlen("PROXY TCP4 192.0.2.7 198.51.100.1 51734 80\r\n"));
	assert_memory_equal(h, "PROXY TCP4 192.0.2.7 198.51.100.1 51734 80\r\n", (size_t)n);
	round_trip(h, n, &c4, true);
	n = proxy_encode(1, SA(c6), SA(l6), h, sizeof(h));
	assert_memory_equal(h, "PROXY TCP6 2001:db8::5 2001:db8::1 40404 443\r\n", (size_t)n);
	round_trip(h, n, &c6, true);
	/* one family per header: the IPv4 client mapped */
	n = proxy_encode(1, SA(c4), SA(l6), h, sizeof(h));
	assert_memory_equal(h, "PROXY TCP6 ::ffff:192.0.2.7 2001:db8::1 51734 443\r\n", (size_t)n);
	/* a dual-stack socket's mapped ends are IPv4 */
	struct sockaddr_storage m = v6("::ffff:192.0.2.7", 51734), ml = v6("::ffff:198.51.100.1", 80);
	n = proxy_encode(1, SA(m), SA(ml), h, sizeof(h));
	assert_memory_equal(h, "PROXY TCP4 192.0.2.7 198.51.100.1 51734 80\r\n", (size_t)n);
	/* the longest line fits: two full IPv6 addresses, five-digit ports */
	struct sockaddr_storage f1 = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535),
	    f2 = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	n = proxy_encode(1, SA(f1), SA(f2), h, sizeof(h));
	assert_int_equal(n, 104);
	assert_true(n <= PROXY_V1_MAX);
	round_trip(h, n, &f1, true);
}

static void
proxy_encode_v2_test(void **state)
{
	struct sockaddr_storage c4 = v4("192.0.2.7", 51734), l4 = v4("198.51.100.1", 80);
	struct sockaddr_storage c6 = v6("2001:db8::5", 40404), l6 = v6("2001:db8::1", 443);
	unsigned char h[PROXY_ENCODE_MAX], want[64];
	ssize_t n;

	(void)state;
	memcpy(want, sig, 12);
	memcpy(want + 12, "\x21\x11\x00\x0c" "\xc0\x00\x02\x07" "\xc6\x33\x64\x01" "\xca\x16" "\x00\x50", 16);
	n = proxy_encode(2, SA(c4), SA(l4), h, sizeof(h));
	assert_int_equal(n, 28);
	assert_memory_equal(h, want, 28);
	round_trip(h, n, &c4, true);
	n = proxy_encode(2, SA(c6), SA(l6), h, sizeof(h));
	assert_int_equal(n, 16 + 36);
	assert_memory_equal(h + 12, "\x21\x21\x00\x24", 4);
	assert_memory_equal(h + 16, &((struct sockaddr_in6 *)&c6)->sin6_addr, 16);
	assert_memory_equal(h + 32, &((struct sockaddr_in6 *)&l6)->sin6_addr, 16);
	assert_memory_equal(h + 48, "\x9d\xd4\x01\xbb", 4);
	round_trip(h, n, &c6, true);
}

/* No IP client to name: UNKNOWN, LOCAL; and what the encoder refuses. */
static void
proxy_encode_unknown_test(void **state)
{
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	struct sockaddr_storage l4 = v4("198.51.100.1", 80);
	unsigned char h[PROXY_ENCODE_MAX];
	ssize_t n;

	(void)state;
	n = proxy_encode(1, (const struct sockaddr *)&u, SA(l4), h, sizeof(h));
	assert_memory_equal(h, "PROXY UNKNOWN\r\n", (size_t)n);
	round_trip(h, n, NULL, false);
	n = proxy_encode(2, NULL, SA(l4), h, sizeof(h));
	assert_int_equal(n, 16);
	assert_memory_equal(h, sig, 12);
	assert_memory_equal(h + 12, "\x20\x00\x00\x00", 4);
	round_trip(h, n, NULL, false);
	assert_int_equal(proxy_encode(3, SA(l4), SA(l4), h, sizeof(h)), -1);
	assert_int_equal(proxy_encode(0, SA(l4), SA(l4), h, sizeof(h)), -1);
	assert_int_equal(proxy_encode(2, SA(l4), SA(l4), h, 27), -1);
	assert_int_equal(proxy_encode(1, SA(l4), SA(l4), h, 10), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proxy_encode_v1_test),
		cmocka_unit_test(proxy_encode_v2_test),
		cmocka_unit_test(proxy_encode_unknown_test),
	};

	return cmocka_run_group_tests_name("proxy_encode", tests, NULL, NULL);
}
