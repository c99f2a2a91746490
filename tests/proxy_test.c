/* Unit tests of the PROXY protocol parser: one case per rule of the specification (HAProxy's doc/proxy-protocol.txt). */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static enum proxy_status
text(const char *s, struct proxy_result *r)
{
	return proxy_parse((const unsigned char *)s, strlen(s), r);
}

/* A version 2 header: the signature, ver_cmd, fam, a length of blen, then body. */
static size_t
v2(unsigned char *out, unsigned ver_cmd, unsigned fam, const void *body, size_t blen)
{
	memcpy(out, sig, 12);
	out[12] = (unsigned char)ver_cmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(blen >> 8);
	out[15] = (unsigned char)blen;
	if (blen > 0)
		memcpy(out + 16, body, blen);
	return 16 + blen;
}

/* "1.2.3.4:5" or "[::1]:5" of a parsed address */
static const char *
fmt(const struct sockaddr_storage *ss)
{
	static char buf[2][80];
	static int which;
	char a[INET6_ADDRSTRLEN];
	char *b = buf[which ^= 1];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(b, 80, "%s:%u", a, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(b, 80, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else
		snprintf(b, 80, "family %d", ss->ss_family);
	return b;
}

static void
assert_refused(const char *s)
{
	struct proxy_result r;

	if (text(s, &r) != PROXY_ERROR)
		fail_msg("accepted or waited on \"%s\"", s);
	assert_non_null(r.reason);
}

static void
assert_v1_ok(const char *s)
{
	struct proxy_result r;

	if (text(s, &r) != PROXY_DONE)
		fail_msg("refused \"%s\": %s", s, r.reason ? r.reason : "(needs more)");
}

/* Every byte of a valid header but the last leaves it waiting; the bytes after it are never taken. */
static void
assert_incremental(const unsigned char *h, size_t n)
{
	unsigned char buf[PROXY_MAX + 16];
	struct proxy_result r;

	for (size_t i = 0; i < n; i++)
		if (proxy_parse(h, i, &r) != PROXY_NEED_MORE)
			fail_msg("a %zu-byte header: its first %zu bytes were not a valid start (%s)",
			    n, i, r.reason ? r.reason : "done");
	memcpy(buf, h, n);
	memcpy(buf + n, "PROXY \r\n\r\n", 10);	/* the client's bytes, header-like on purpose */
	assert_int_equal(proxy_parse(buf, n + 10, &r), PROXY_DONE);
	assert_int_equal(r.consumed, n);
}

/* --- version 1 -------------------------------------------------------- */

static void
proxy_v1_tcp4_test(void **state)
{
	const char *h = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
	char buf[128];
	struct proxy_result r;

	(void)state;
	snprintf(buf, sizeof(buf), "%sGET / HTTP/1.0\r\n", h);
	assert_int_equal(text(buf, &r), PROXY_DONE);
	assert_int_equal(r.version, 1);
	assert_int_equal(r.consumed, strlen(h));
	assert_true(r.relayed);
	assert_string_equal(fmt(&r.source), "192.168.0.1:56324");
	assert_string_equal(fmt(&r.destination), "192.168.0.11:443");
	assert_incremental((const unsigned char *)h, strlen(h));
	/* the longest TCP4 line of the specification, 56 bytes */
	assert_v1_ok("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
	assert_v1_ok("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n");
}

static void
proxy_v1_tcp6_test(void **state)
{
	const char *full = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	struct proxy_result r;

	(void)state;
	assert_int_equal(text("PROXY TCP6 2001:db8::1 ::1 40000 7\r\n", &r), PROXY_DONE);
	assert_true(r.relayed);
	assert_string_equal(fmt(&r.source), "[2001:db8::1]:40000");
	assert_string_equal(fmt(&r.destination), "[::1]:7");
	/* the longest TCP6 line, 104 bytes */
	assert_int_equal(strlen(full), 104);
	assert_v1_ok(full);
	assert_incremental((const unsigned char *)full, strlen(full));
	/* a sender's inet_ntop writes a v4-mapped address so */
	assert_int_equal(text("PROXY TCP6 ::ffff:10.1.2.3 ::1 5 7\r\n", &r), PROXY_DONE);
	assert_string_equal(fmt(&r.source), "[::ffff:10.1.2.3]:5");
	/* the family dictates the form */
	assert_refused("PROXY TCP6 10.1.2.3 10.1.2.4 5 7\r\n");
	assert_refused("PROXY TCP4 ::1 ::1 5 7\r\n");
	assert_refused("PROXY TCP6 2001:db8:::1 ::1 5 7\r\n");
	assert_refused("PROXY TCP6 2001:db8::g ::1 5 7\r\n");
	assert_refused("PROXY TCP6 [::1] ::1 5 7\r\n");
}

static void
proxy_v1_unknown_test(void **state)
{
	/* the worst case of the specification: exactly 107 bytes */
	const char *worst = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	struct proxy_result r;

	(void)state;
	assert_int_equal(text("PROXY UNKNOWN\r\nhello", &r), PROXY_DONE);
	assert_int_equal(r.consumed, 15);
	assert_false(r.relayed);	/* the real peer stands */
	assert_int_equal(strlen(worst), 107);
	assert_int_equal(text(worst, &r), PROXY_DONE);
	assert_false(r.relayed);
	/* whatever follows UNKNOWN is ignored, even what would be wrong after TCP4 */
	assert_v1_ok("PROXY UNKNOWN 01.2.3.4  99999\r\n");
	assert_refused("PROXY UNKNOWNX\r\n");
	assert_refused("PROXY unknown\r\n");
}

static void
proxy_v1_no_leading_zeros_test(void **state)
{
	(void)state;
	assert_refused("PROXY TCP4 01.2.3.4 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.004 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 05 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 00\r\n");
	/* zero alone is a number */
	assert_v1_ok("PROXY TCP4 0.10.100.0 1.2.3.4 0 7\r\n");
}

static void
proxy_v1_ipv4_form_test(void **state)
{
	(void)state;
	assert_refused("PROXY TCP4 256.1.1.1 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4.5 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1..3.4 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4. 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 0x7f.0.0.1 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 localhost 5 7\r\n");
}

static void
proxy_v1_port_range_test(void **state)
{
	(void)state;
	assert_v1_ok("PROXY TCP4 1.2.3.4 1.2.3.4 65535 0\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 65536 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 99999\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 123456 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 -1 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 +5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 7x\r\n");
}

static void
proxy_v1_one_space_test(void **state)
{
	(void)state;
	assert_refused("PROXY  TCP4 1.2.3.4 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4  1.2.3.4 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4  1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5  7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 7 \r\n");
	assert_refused("PROXY TCP4 1.2.3.4\t1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 7 8\r\n");
	assert_refused("PROXY TCP4\r\n");
}

static void
proxy_v1_crlf_test(void **state)
{
	char line[160];
	struct proxy_result r;

	(void)state;
	/* a lone LF, a lone CR: never a line's end */
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 7\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 7\rX");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 7\n\r");
	/* a CR that is the last byte so far may still get its LF */
	assert_int_equal(text("PROXY TCP4 1.2.3.4 1.2.3.4 5 7\r", &r), PROXY_NEED_MORE);

	/* 105 bytes without CRLF: a CRLF may still end it within 107 */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	line[105] = '\0';
	assert_int_equal(text(line, &r), PROXY_NEED_MORE);
	/* CRLF as bytes 106 and 107: the longest line a receiver must take */
	memcpy(line + 105, "\r\n", 3);
	assert_v1_ok(line);
	/* 107 bytes and no CRLF: refused without waiting for more */
	memset(line + 105, 'x', 2);
	line[107] = '\0';
	assert_refused(line);
	/* the CR as the 107th byte: its LF would be the 108th */
	line[106] = '\r';
	assert_refused(line);
	memcpy(line + 106, "\r\n", 3);
	assert_refused(line);
}

static void
proxy_v1_fields_test(void **state)
{
	(void)state;
	assert_refused("PROXY UDP4 1.2.3.4 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP 1.2.3.4 1.2.3.4 5 7\r\n");
	assert_refused("PROXY tcp4 1.2.3.4 1.2.3.4 5 7\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 7\x01\r\n");
	assert_refused("PROXY TCP4 1.2.3.4 1.2.3.4 5 \xff\r\n");
	assert_refused("PROXY\r\n");
}

/* --- detection ------------------------------------------------------- */

static void
proxy_signature_test(void **state)
{
	unsigned char h[32] = { 0 };
	struct proxy_result r;

	(void)state;
	assert_int_equal(proxy_parse(h, 0, &r), PROXY_NEED_MORE);
	assert_int_equal(r.version, 0);
	/* anything but 'P' or CR is refused from its first byte */
	assert_refused("G");
	assert_refused("GET / HTTP/1.0\r\n\r\n");
	assert_refused("\x16\x03\x01");	/* a TLS ClientHello */
	/* a start of either is waited on, a wrong byte refused as it comes */
	assert_int_equal(text("PROX", &r), PROXY_NEED_MORE);
	assert_int_equal(r.version, 1);
	assert_refused("PROXX");
	assert_refused("PROXY\r\n");
	assert_refused("proxy TCP4 1.2.3.4 1.2.3.4 5 7\r\n");
	memcpy(h, sig, 12);
	for (size_t i = 1; i <= 12; i++) {
		assert_int_equal(proxy_parse(h, i, &r), PROXY_NEED_MORE);
		assert_int_equal(r.version, 2);
	}
	for (size_t i = 1; i < 12; i++) {
		memcpy(h, sig, 12);
		h[i] ^= 0x20;
		assert_int_equal(proxy_parse(h, i + 1, &r), PROXY_ERROR);
	}
}

/* --- version 2 -------------------------------------------------------- */

static const unsigned char inet_block[12] = {
	10, 1, 2, 3,	/* source */
	10, 9, 8, 7,	/* destination */
	0xc3, 0x50,	/* 50000 */
	0x00, 0x07,	/* 7 */
};

static void
proxy_v2_inet_test(void **state)
{
	unsigned char h[64];
	size_t n = v2(h, 0x21, 0x11, inet_block, sizeof(inet_block));
	struct proxy_result r;

	(void)state;
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.consumed, 28);
	assert_true(r.relayed);
	assert_string_equal(fmt(&r.source), "10.1.2.3:50000");
	assert_string_equal(fmt(&r.destination), "10.9.8.7:7");
	assert_incremental(h, n);
}

static void
proxy_v2_inet6_test(void **state)
{
	unsigned char body[36] = { 0x20, 0x01, 0x0d, 0xb8 }, h[64];
	size_t n;
	struct proxy_result r;

	(void)state;
	body[15] = 1;		/* 2001:db8::1 */
	body[31] = 1;		/* ::1 */
	body[32] = 0xff;	/* 65535 */
	body[33] = 0xff;
	body[35] = 13;
	n = v2(h, 0x21, 0x21, body, sizeof(body));
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_int_equal(r.consumed, 52);
	assert_true(r.relayed);
	assert_string_equal(fmt(&r.source), "[2001:db8::1]:65535");
	assert_string_equal(fmt(&r.destination), "[::1]:13");
	assert_incremental(h, n);
}

static void
proxy_v2_version_nibble_test(void **state)
{
	unsigned char h[64];
	struct proxy_result r;

	(void)state;
	for (unsigned v = 0; v < 16; v++) {
		size_t n = v2(h, v << 4 | 1, 0x11, inet_block, sizeof(inet_block));
		/* refused as soon as the 13th byte is there */
		assert_int_equal(proxy_parse(h, 13, &r), v == 2 ? PROXY_NEED_MORE : PROXY_ERROR);
		assert_int_equal(proxy_parse(h, n, &r), v == 2 ? PROXY_DONE : PROXY_ERROR);
	}
}

static void
proxy_v2_command_nibble_test(void **state)
{
	unsigned char h[64];
	struct proxy_result r;

	(void)state;
	for (unsigned c = 0; c < 16; c++) {
		size_t n = v2(h, 0x20 | c, 0x11, inet_block, sizeof(inet_block));
		enum proxy_status want = c <= 1 ? PROXY_DONE : PROXY_ERROR;
		assert_int_equal(proxy_parse(h, n, &r), want);
		if (c > 1)
			assert_int_equal(proxy_parse(h, 13, &r), PROXY_ERROR);
	}
}

static void
proxy_v2_family_byte_test(void **state)
{
	unsigned char body[216] = { 0 }, h[256];
	struct proxy_result r;
	size_t n;

	(void)state;
	memcpy(body, inet_block, sizeof(inet_block));
	for (unsigned fam = 0; fam < 16; fam++)
		for (unsigned proto = 0; proto < 16; proto++) {
			bool valid = fam <= 3 && proto <= 2;
			n = v2(h, 0x21, fam << 4 | proto, body, sizeof(body));
			assert_int_equal(proxy_parse(h, 14, &r), valid ? PROXY_NEED_MORE : PROXY_ERROR);
			assert_int_equal(proxy_parse(h, n, &r), valid ? PROXY_DONE : PROXY_ERROR);
			/* addresses only from TCP or UDP over IPv4 or IPv6 */
			if (valid)
				assert_int_equal(r.relayed, (fam == 1 || fam == 2) && proto != 0);
		}
	/* UDP over IPv4 is named as such: the client is still the source */
	n = v2(h, 0x21, 0x12, inet_block, sizeof(inet_block));
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_string_equal(fmt(&r.source), "10.1.2.3:50000");
	/* unspecified: the addresses, whatever they are, are ignored */
	n = v2(h, 0x21, 0x00, "whatever", 8);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_false(r.relayed);
	assert_int_equal(r.consumed, 24);
}

static void
proxy_v2_length_bounds_test(void **state)
{
	static unsigned char body[PROXY_V2_MAX], h[PROXY_V2_MAX + 32];
	struct { unsigned fam; size_t need; } f[] = { { 0x11, 12 }, { 0x21, 36 }, { 0x31, 216 } };
	struct proxy_result r;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		n = v2(h, 0x21, f[i].fam, body, f[i].need - 1);
		/* too short for its family: refused once the length is read */
		assert_int_equal(proxy_parse(h, 16, &r), PROXY_ERROR);
		assert_int_equal(proxy_parse(h, n, &r), PROXY_ERROR);
		n = v2(h, 0x21, f[i].fam, body, f[i].need);
		assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
		assert_int_equal(r.consumed, 16 + f[i].need);
		assert_int_equal(proxy_parse(h, n - 1, &r), PROXY_NEED_MORE);
	}
	/* a UNIX socket's client has no address we can use: the real peer stands */
	n = v2(h, 0x21, 0x31, body, 216);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_false(r.relayed);
	/* the most we take: 4096 bytes in all */
	n = v2(h, 0x21, 0x11, body, PROXY_V2_MAX - 16);
	assert_int_equal(proxy_parse(h, 16, &r), PROXY_NEED_MORE);
	h[16 + 12] = 0x04;	/* one NOOP TLV fills the rest */
	h[16 + 13] = (unsigned char)((PROXY_V2_MAX - 16 - 12 - 3) >> 8);
	h[16 + 14] = (unsigned char)(PROXY_V2_MAX - 16 - 12 - 3);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_int_equal(r.consumed, PROXY_V2_MAX);
	/* one byte more, or the most the field can say: refused from the 16th byte, never read */
	h[14] = (unsigned char)((PROXY_V2_MAX - 15) >> 8);
	h[15] = (unsigned char)(PROXY_V2_MAX - 15);
	assert_int_equal(proxy_parse(h, 16, &r), PROXY_ERROR);
	h[14] = h[15] = 0xff;
	assert_int_equal(proxy_parse(h, 16, &r), PROXY_ERROR);
}

static void
proxy_v2_local_test(void **state)
{
	unsigned char h[64];
	struct proxy_result r;
	size_t n;

	(void)state;
	/* a health check: LOCAL, unspecified, no addresses */
	n = v2(h, 0x20, 0x00, NULL, 0);
	memcpy(h + n, "hello", 5);
	assert_int_equal(proxy_parse(h, n + 5, &r), PROXY_DONE);
	assert_int_equal(r.consumed, 16);
	assert_false(r.relayed);
	assert_incremental(h, n);
	/* LOCAL ignores the block and the family, whatever its length says */
	n = v2(h, 0x20, 0x11, inet_block, sizeof(inet_block));
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_int_equal(r.consumed, 28);
	assert_false(r.relayed);
	n = v2(h, 0x20, 0x21, "abcde", 5);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_int_equal(r.consumed, 21);
	assert_false(r.relayed);
}

static void
proxy_v2_tlv_test(void **state)
{
	unsigned char body[128], h[160];
	struct proxy_result r;
	size_t b = 0, n;

	(void)state;
	memcpy(body, inet_block, 12);
	b = 12;
	memcpy(body + b, "\x01\x00\x02h2", 5);	/* ALPN */
	b += 5;
	memcpy(body + b, "\x04\x00\x00", 3);	/* an empty NOOP */
	b += 3;
	memcpy(body + b, "\x05\x00\x04" "abcd", 7);	/* UNIQUE_ID */
	b += 7;
	memcpy(body + b, "\xe0\x00\x01" "z", 4);	/* a custom type */
	b += 4;
	n = v2(h, 0x21, 0x11, body, b);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
	assert_int_equal(r.consumed, 16 + b);
	assert_true(r.relayed);
	assert_string_equal(fmt(&r.source), "10.1.2.3:50000");
	assert_incremental(h, n);
	/* a TLV whose value runs past the header */
	n = v2(h, 0x21, 0x11, body, 12 + 4);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_ERROR);
	/* two bytes left: not even a TLV's head */
	memcpy(body + 12, "\x04\x00", 2);
	n = v2(h, 0x21, 0x11, body, 14);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_ERROR);
	/* the same after IPv6 addresses */
	memset(body, 0, 36);
	memcpy(body + 36, "\x04\x00\x09" "abc", 6);
	n = v2(h, 0x21, 0x21, body, 42);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_ERROR);
	memcpy(body + 36, "\x04\x00\x03" "abc", 6);
	n = v2(h, 0x21, 0x21, body, 42);
	assert_int_equal(proxy_parse(h, n, &r), PROXY_DONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proxy_v1_tcp4_test),
		cmocka_unit_test(proxy_v1_tcp6_test),
		cmocka_unit_test(proxy_v1_unknown_test),
		cmocka_unit_test(proxy_v1_no_leading_zeros_test),
		cmocka_unit_test(proxy_v1_ipv4_form_test),
		cmocka_unit_test(proxy_v1_port_range_test),
		cmocka_unit_test(proxy_v1_one_space_test),
		cmocka_unit_test(proxy_v1_crlf_test),
		cmocka_unit_test(proxy_v1_fields_test),
		cmocka_unit_test(proxy_signature_test),
		cmocka_unit_test(proxy_v2_inet_test),
		cmocka_unit_test(proxy_v2_inet6_test),
		cmocka_unit_test(proxy_v2_version_nibble_test),
		cmocka_unit_test(proxy_v2_command_nibble_test),
		cmocka_unit_test(proxy_v2_family_byte_test),
		cmocka_unit_test(proxy_v2_length_bounds_test),
		cmocka_unit_test(proxy_v2_local_test),
		cmocka_unit_test(proxy_v2_tlv_test),
	};

	return cmocka_run_group_tests_name("proxy", tests, NULL, NULL);
}
