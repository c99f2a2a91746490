/* The PROXY protocol header (versions 1 and 2) a balancer puts before a client's bytes: a pure parser. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "proxy.h"

/*
 * The rules are HAProxy's doc/proxy-protocol.txt (2020/03/05), which
 * every balancer that speaks the protocol follows. Where it lets a
 * receiver choose, we take the strict side: a header that is not exactly
 * right closes the connection, since the bytes come before anything else
 * and decide who the client is.
 */

static const char v1_sig[] = "PROXY ";
#define V1_SIG_LEN	6
static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* Version 2: the command, the families and their address blocks. */
#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1
#define V2_AF_UNSPEC	0x0
#define V2_AF_INET	0x1
#define V2_AF_INET6	0x2
#define V2_AF_UNIX	0x3
#define V2_PROTO_UNSPEC	0x0
#define V2_PROTO_DGRAM	0x2
#define V2_INET_LEN	12	/* 2 x 4 address bytes, 2 x 2 port bytes */
#define V2_INET6_LEN	36	/* 2 x 16, 2 x 2 */
#define V2_UNIX_LEN	216	/* 2 x 108 */
#define V2_TLV_HEAD	3	/* type, length (2 bytes) */

static enum proxy_status
refuse(struct proxy_result *out, const char *reason)
{
	out->reason = reason;
	return PROXY_ERROR;
}

static size_t
min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* --- version 1: one line of text ------------------------------------- */

/* A decimal number of at most maxdigits digits, no leading zero, at most max. */
static bool
v1_number(const char *s, size_t len, size_t maxdigits, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > maxdigits || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Four numbers 0-255 without leading zeros, one dot between each: no inet_pton, which takes "01". */
static bool
v1_ipv4(const char *s, size_t len, struct in_addr *out)
{
	unsigned char b[4];
	size_t at = 0;

	for (int i = 0; i < 4; i++) {
		size_t n = 0;
		unsigned v;

		while (at + n < len && s[at + n] != '.')
			n++;
		if (!v1_number(s + at, n, 3, 255, &v))
			return false;
		b[i] = (unsigned char)v;
		at += n;
		if (i < 3) {
			if (at >= len)
				return false;
			at++;	/* the dot */
		}
	}
	if (at != len)
		return false;
	memcpy(out, b, 4);
	return true;
}

/* Hex groups and colons (a sender's inet_ntop may end a v4-mapped one in dotted form). */
static bool
v1_ipv6(const char *s, size_t len, struct in6_addr *out)
{
	char text[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(text))
		return false;
	for (size_t i = 0; i < len; i++)
		if (strchr("0123456789abcdefABCDEF:.", s[i]) == NULL)
			return false;
	memcpy(text, s, len);
	text[len] = '\0';
	return inet_pton(AF_INET6, text, out) == 1;
}

static bool
v1_address(int family, const char *s, size_t len, unsigned port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)out;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return v1_ipv4(s, len, &s4->sin_addr);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)out;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)port);
	return v1_ipv6(s, len, &s6->sin6_addr);
}

/*
 * After "PROXY TCP4" or "TCP6": exactly four fields, each after exactly
 * one space: source and destination address, source and destination
 * port. p..end is the rest of the line without its CRLF.
 */
static enum proxy_status
v1_fields(const char *p, const char *end, int family, struct proxy_result *out)
{
	const char *f[4];
	size_t n[4];
	unsigned sport, dport;

	for (int i = 0; i < 4; i++) {
		if (p >= end)
			return refuse(out, "version 1: fewer than four fields after the protocol");
		if (*p != ' ')
			return refuse(out, "version 1: a field not separated by a space");
		p++;
		if (p >= end || *p == ' ')
			return refuse(out, "version 1: not exactly one space between fields");
		f[i] = p;
		while (p < end && *p != ' ')
			p++;
		n[i] = (size_t)(p - f[i]);
	}
	if (p != end)
		return refuse(out, "version 1: more than four fields after the protocol");
	if (!v1_number(f[2], n[2], 5, 65535, &sport) || !v1_number(f[3], n[3], 5, 65535, &dport))
		return refuse(out, "version 1: a port that is not 0-65535 in decimal without leading zeros");
	if (!v1_address(family, f[0], n[0], sport, &out->source) ||
	    !v1_address(family, f[1], n[1], dport, &out->destination))
		return refuse(out, family == AF_INET ?
		    "version 1: an address that is not IPv4 in dotted decimal without leading zeros" :
		    "version 1: an address that is not IPv6");
	out->relayed = true;
	return PROXY_DONE;
}

/* The whole line is there: buf[0..linelen) then CRLF. */
static enum proxy_status
v1_line(const unsigned char *buf, size_t linelen, struct proxy_result *out)
{
	const char *p = (const char *)buf + V1_SIG_LEN, *end = (const char *)buf + linelen;
	const char *proto = p;
	size_t plen;

	if (linelen < V1_SIG_LEN)
		return refuse(out, "version 1: no \"PROXY \" before the line's end");
	while (p < end && *p != ' ')
		p++;
	plen = (size_t)(p - proto);
	out->consumed = linelen + 2;
	/* the sender could not tell: whatever follows is to be ignored, the real peer stands */
	if (plen == 7 && memcmp(proto, "UNKNOWN", 7) == 0)
		return PROXY_DONE;
	if (plen == 4 && memcmp(proto, "TCP4", 4) == 0)
		return v1_fields(p, end, AF_INET, out);
	if (plen == 4 && memcmp(proto, "TCP6", 4) == 0)
		return v1_fields(p, end, AF_INET6, out);
	if (plen == 0)
		return refuse(out, "version 1: not exactly one space after \"PROXY\"");
	return refuse(out, "version 1: a protocol other than TCP4, TCP6 or UNKNOWN");
}

/*
 * Text up to a CRLF within the first 107 bytes: a CR must be followed by
 * LF, a LF preceded by CR, and nothing else below a space or above '~'.
 */
static enum proxy_status
v1_parse(const unsigned char *buf, size_t len, struct proxy_result *out)
{
	size_t scan = min_size(len, PROXY_V1_MAX);

	if (memcmp(buf, v1_sig, min_size(len, V1_SIG_LEN)) != 0)
		return refuse(out, "version 1: no \"PROXY \" at the start");
	for (size_t i = 0; i < scan; i++) {
		unsigned char c = buf[i];

		if (c == '\r') {
			if (i + 1 >= PROXY_V1_MAX)
				break;	/* its LF would be the 108th byte */
			if (i + 1 >= len)
				return PROXY_NEED_MORE;
			if (buf[i + 1] != '\n')
				return refuse(out, "version 1: a CR not followed by LF");
			return v1_line(buf, i, out);
		}
		if (c == '\n')
			return refuse(out, "version 1: a LF without its CR");
		if (c < 0x20 || c > 0x7e)
			return refuse(out, "version 1: a byte that is not printable US-ASCII");
	}
	if (len >= PROXY_V1_MAX)
		return refuse(out, "version 1: no CRLF within 107 bytes");
	return PROXY_NEED_MORE;
}

/* --- version 2: binary ------------------------------------------------ */

/* The address block a family needs; 0 for unspecified. */
static size_t
v2_address_len(unsigned family)
{
	switch (family) {
	case V2_AF_INET: return V2_INET_LEN;
	case V2_AF_INET6: return V2_INET6_LEN;
	case V2_AF_UNIX: return V2_UNIX_LEN;
	default: return 0;
	}
}

/* What follows the addresses: type-length-value entries, skipped, but each must fit. */
static bool
v2_tlvs_fit(const unsigned char *p, size_t len)
{
	while (len > 0) {
		size_t vlen;

		if (len < V2_TLV_HEAD)
			return false;
		vlen = (size_t)p[1] << 8 | p[2];
		if (vlen > len - V2_TLV_HEAD)
			return false;
		p += V2_TLV_HEAD + vlen;
		len -= V2_TLV_HEAD + vlen;
	}
	return true;
}

static void
v2_addresses(const unsigned char *a, unsigned family, struct proxy_result *out)
{
	memset(&out->source, 0, sizeof(out->source));
	memset(&out->destination, 0, sizeof(out->destination));
	if (family == V2_AF_INET) {
		struct sockaddr_in *src = (struct sockaddr_in *)(void *)&out->source;
		struct sockaddr_in *dst = (struct sockaddr_in *)(void *)&out->destination;
		src->sin_family = dst->sin_family = AF_INET;
		memcpy(&src->sin_addr, a, 4);
		memcpy(&dst->sin_addr, a + 4, 4);
		memcpy(&src->sin_port, a + 8, 2);	/* both in network order */
		memcpy(&dst->sin_port, a + 10, 2);
	} else {
		struct sockaddr_in6 *src = (struct sockaddr_in6 *)(void *)&out->source;
		struct sockaddr_in6 *dst = (struct sockaddr_in6 *)(void *)&out->destination;
		src->sin6_family = dst->sin6_family = AF_INET6;
		memcpy(&src->sin6_addr, a, 16);
		memcpy(&dst->sin6_addr, a + 16, 16);
		memcpy(&src->sin6_port, a + 32, 2);
		memcpy(&dst->sin6_port, a + 34, 2);
	}
	out->relayed = true;
}

/*
 * 12 signature bytes, version and command, family and protocol, the
 * length of the rest; each is checked as soon as it is there.
 */
static enum proxy_status
v2_parse(const unsigned char *buf, size_t len, struct proxy_result *out)
{
	unsigned cmd, family, proto;
	size_t rest, need;

	if (memcmp(buf, v2_sig, min_size(len, sizeof(v2_sig))) != 0)
		return refuse(out, "version 2: a wrong signature");
	if (len <= 12)
		return PROXY_NEED_MORE;
	if (buf[12] >> 4 != 2)
		return refuse(out, "version 2: a version other than 2");
	cmd = buf[12] & 0x0f;
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
		return refuse(out, "version 2: a command other than LOCAL or PROXY");
	if (len <= 13)
		return PROXY_NEED_MORE;
	family = buf[13] >> 4;
	proto = buf[13] & 0x0f;
	if (family > V2_AF_UNIX)
		return refuse(out, "version 2: an unknown address family");
	if (proto > V2_PROTO_DGRAM)
		return refuse(out, "version 2: an unknown transport protocol");
	if (len < PROXY_V2_FIXED)
		return PROXY_NEED_MORE;
	rest = (size_t)buf[14] << 8 | buf[15];
	if (rest > PROXY_V2_MAX - PROXY_V2_FIXED)
		return refuse(out, "version 2: longer than 4096 bytes");
	need = cmd == V2_CMD_PROXY ? v2_address_len(family) : 0;
	if (rest < need)
		return refuse(out, "version 2: an address block too short for its family");
	if (len < PROXY_V2_FIXED + rest)
		return PROXY_NEED_MORE;
	out->consumed = PROXY_V2_FIXED + rest;
	/* LOCAL: the balancer's own connection, whatever the block says */
	if (cmd == V2_CMD_LOCAL)
		return PROXY_DONE;
	if (family != V2_AF_UNSPEC &&
	    !v2_tlvs_fit(buf + PROXY_V2_FIXED + need, rest - need))
		return refuse(out, "version 2: a TLV that does not fit the header");
	if ((family == V2_AF_INET || family == V2_AF_INET6) && proto != V2_PROTO_UNSPEC)
		v2_addresses(buf + PROXY_V2_FIXED, family, out);
	return PROXY_DONE;
}

enum proxy_status
proxy_parse(const unsigned char *buf, size_t len, struct proxy_result *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return PROXY_NEED_MORE;
	/* the two versions differ from the first byte on: 'P' or CR */
	if (buf[0] == (unsigned char)v1_sig[0]) {
		out->version = 1;
		return v1_parse(buf, len, out);
	}
	if (buf[0] == v2_sig[0]) {
		out->version = 2;
		return v2_parse(buf, len, out);
	}
	return refuse(out, "not a PROXY protocol header");
}
