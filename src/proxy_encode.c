/* The PROXY protocol header (versions 1 and 2) a relay puts before a client's bytes: a pure encoder. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxy_encode.h"

/* HAProxy's doc/proxy-protocol.txt, as the parser in proxy.c reads it. */
static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define V2_VER_LOCAL	0x20
#define V2_VER_PROXY	0x21
#define V2_TCP4		0x11
#define V2_TCP6		0x21
#define V2_UNSPEC	0x00

/* One end of the connection: an IPv4 or an IPv6 address (16 bytes, mapped if need be) and a port. */
struct end {
	bool v4;
	unsigned char a[16];	/* v4: the first 4 bytes */
	uint16_t port;		/* host order */
};

static bool
end_of(const struct sockaddr *sa, struct end *e)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(e, 0, sizeof(*e));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		e->v4 = true;
		memcpy(e->a, &in->sin_addr, 4);
		e->port = ntohs(in->sin_port);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		/* a dual-stack socket's IPv4 client is an IPv4 client */
		e->v4 = memcmp(&in6->sin6_addr, mapped, sizeof(mapped)) == 0;
		memcpy(e->a, e->v4 ? in6->sin6_addr.s6_addr + 12 : in6->sin6_addr.s6_addr, e->v4 ? 4 : 16);
		e->port = ntohs(in6->sin6_port);
		return true;
	}
	return false;
}

/* An IPv4 end as its mapped IPv6 address, for a header whose other end is IPv6. */
static void
end_map6(struct end *e)
{
	unsigned char v4[4];

	if (!e->v4)
		return;
	memcpy(v4, e->a, 4);
	memset(e->a, 0, 10);
	e->a[10] = e->a[11] = 0xff;
	memcpy(e->a + 12, v4, 4);
	e->v4 = false;
}

static ssize_t
encode_v1(const struct end *src, const struct end *dst, bool known, unsigned char *out, size_t cap)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = src->v4 ? AF_INET : AF_INET6;
	int n;

	if (!known)
		n = snprintf((char *)out, cap, "PROXY UNKNOWN\r\n");
	else if (inet_ntop(af, src->a, s, sizeof(s)) == NULL || inet_ntop(af, dst->a, d, sizeof(d)) == NULL)
		return -1;
	else
		n = snprintf((char *)out, cap, "PROXY %s %s %s %u %u\r\n", src->v4 ? "TCP4" : "TCP6",
		    s, d, (unsigned)src->port, (unsigned)dst->port);
	/* the terminating NUL is not sent, but snprintf needs its room */
	return n < 0 || (size_t)n >= cap ? -1 : (ssize_t)n;
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)(v & 0xff);
}

static ssize_t
encode_v2(const struct end *src, const struct end *dst, bool known, unsigned char *out, size_t cap)
{
	size_t alen = !known ? 0 : src->v4 ? 4 : 16;
	size_t len = sizeof(v2_sig) + 4 + 2 * alen + (known ? 4 : 0);
	unsigned char *p = out + sizeof(v2_sig) + 4;

	if (len > cap)
		return -1;
	memcpy(out, v2_sig, sizeof(v2_sig));
	out[12] = known ? V2_VER_PROXY : V2_VER_LOCAL;
	out[13] = !known ? V2_UNSPEC : src->v4 ? V2_TCP4 : V2_TCP6;
	put16(out + 14, (uint16_t)(len - sizeof(v2_sig) - 4));
	if (known) {
		memcpy(p, src->a, alen);
		memcpy(p + alen, dst->a, alen);
		put16(p + 2 * alen, src->port);
		put16(p + 2 * alen + 2, dst->port);
	}
	return (ssize_t)len;
}

ssize_t
proxy_encode(int version, const struct sockaddr *source, const struct sockaddr *destination,
    unsigned char *out, size_t cap)
{
	struct end src, dst;
	bool known = end_of(source, &src) && end_of(destination, &dst);

	if (known && src.v4 != dst.v4) {
		end_map6(&src);
		end_map6(&dst);
	}
	if (version == 1)
		return encode_v1(&src, &dst, known, out, cap);
	if (version == 2)
		return encode_v2(&src, &dst, known, out, cap);
	return -1;
}
