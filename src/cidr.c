/* CIDR prefixes for allow/deny lists, and matching peers against them. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"

static const unsigned char v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
parse_prefix_len(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static bool
host_bits_zero(const unsigned char *addr, unsigned alen, unsigned prefix)
{
	for (unsigned bit = prefix; bit < alen * 8; bit++)
		if (addr[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

/*
 * An IPv4-mapped IPv6 rule (::ffff:a.b.c.d/96+n) is stored as the IPv4 rule
 * a.b.c.d/n, because peers are matched in that form too.
 */
static void
unmap_v4(struct cidr *c)
{
	if (c->family == AF_INET6 && c->prefix >= 96 &&
	    memcmp(c->addr, v4mapped_prefix, 12) == 0) {
		c->family = AF_INET;
		c->prefix -= 96;
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
	}
}

/*
 * Parses "ADDR/LEN" or a bare "ADDR" (a single host). Host bits set beyond
 * the prefix are an error rather than silently masked: "10.0.0.1/8" is more
 * often a typo than a network.
 */
int
cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen;
	unsigned max;

	memset(out, 0, sizeof(*out));
	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN) {
		snprintf(err, errlen, "invalid address prefix \"%s\"", text);
		return -1;
	}
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "invalid address prefix \"%s\": \"%s\" is not a numeric IPv4 or IPv6 address",
		    text, buf);
		return -1;
	}
	out->prefix = max;
	if (slash != NULL && parse_prefix_len(slash + 1, max, &out->prefix) == -1) {
		snprintf(err, errlen, "invalid address prefix \"%s\": prefix length must be 0-%u",
		    text, max);
		return -1;
	}
	if (!host_bits_zero(out->addr, max / 8, out->prefix)) {
		snprintf(err, errlen, "invalid address prefix \"%s\": bits set after the /%u prefix",
		    text, out->prefix);
		return -1;
	}
	unmap_v4(out);
	return 0;
}

static bool
prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xffu << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool
cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	const unsigned char *a;

	if (sa->sa_family == AF_INET) {
		if (c->family != AF_INET)
			return false;
		a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, v4mapped_prefix, 12) == 0) {
			if (c->family != AF_INET)
				return false;
			a += 12;
		} else if (c->family != AF_INET6)
			return false;
	} else
		return false;
	return prefix_equal(a, c->addr, c->prefix);
}

/* deny wins; an empty allow list allows everyone not denied */
bool
cidr_acl_allows(const struct cidr *allow, size_t nallow,
    const struct cidr *deny, size_t ndeny, const struct sockaddr *sa)
{
	for (size_t i = 0; i < ndeny; i++)
		if (cidr_match(&deny[i], sa))
			return false;
	if (nallow == 0)
		return true;
	for (size_t i = 0; i < nallow; i++)
		if (cidr_match(&allow[i], sa))
			return true;
	return false;
}

int
cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, a, sizeof(a)) == NULL)
		return -1;
	return snprintf(buf, len, "%s/%u", a, c->prefix) < (int)len ? 0 : -1;
}
