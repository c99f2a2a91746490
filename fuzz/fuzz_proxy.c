/*
 * libFuzzer target: proxy_parse on the input as the first bytes of a
 * connection. Whatever it says must hold on the bytes: a header it takes
 * ends where the specification says (CRLF within 107 bytes, or 16 plus
 * the declared length), a TCP4 line prints back as itself, version 2
 * addresses are the header's own bytes; and it must say the same of
 * every prefix, as a worker reading byte by byte sees them: waiting
 * until the header is whole, then the same end, or refused from the
 * same byte on.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_v1(const uint8_t *data, const struct proxy_result *r)
{
	char line[PROXY_V1_MAX + 1], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)&r->source;
	const struct sockaddr_in *d4 = (const struct sockaddr_in *)(const void *)&r->destination;

	if (r->consumed < 15 || r->consumed > PROXY_V1_MAX ||
	    memcmp(data, "PROXY ", 6) != 0 || data[r->consumed - 2] != '\r' ||
	    data[r->consumed - 1] != '\n')
		abort();
	for (size_t i = 0; i < r->consumed - 2; i++)
		if (data[i] < 0x20 || data[i] > 0x7e)
			abort();
	if (!r->relayed)
		return;
	if (r->source.ss_family != r->destination.ss_family ||
	    (r->source.ss_family != AF_INET && r->source.ss_family != AF_INET6))
		abort();
	if (r->source.ss_family != AF_INET)
		return;
	/* an IPv4 line has one way to be written: it prints back as itself */
	inet_ntop(AF_INET, &s4->sin_addr, src, sizeof(src));
	inet_ntop(AF_INET, &d4->sin_addr, dst, sizeof(dst));
	snprintf(line, sizeof(line), "PROXY TCP4 %s %s %u %u\r\n", src, dst,
	    ntohs(s4->sin_port), ntohs(d4->sin_port));
	if (strlen(line) != r->consumed || memcmp(line, data, r->consumed) != 0)
		abort();
}

static void
check_v2(const uint8_t *data, const struct proxy_result *r)
{
	size_t declared;

	if (r->consumed < PROXY_V2_FIXED || r->consumed > PROXY_V2_MAX)
		abort();
	declared = (size_t)data[14] << 8 | data[15];
	if (r->consumed != PROXY_V2_FIXED + declared || data[12] >> 4 != 2 || (data[12] & 0xf) > 1)
		abort();
	if (!r->relayed)
		return;
	if ((data[12] & 0xf) != 1)
		abort();	/* LOCAL never names a client */
	if (r->source.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)&r->source;
		if (data[13] >> 4 != 1 || memcmp(&s4->sin_addr, data + 16, 4) != 0 ||
		    memcmp(&s4->sin_port, data + 24, 2) != 0)
			abort();
	} else if (r->source.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)&r->source;
		if (data[13] >> 4 != 2 || memcmp(&s6->sin6_addr, data + 16, 16) != 0 ||
		    memcmp(&s6->sin6_port, data + 48, 2) != 0)
			abort();
	} else
		abort();
}

/* The answer for data[0..k) from the answer for all of it. */
static void
check_prefix(const uint8_t *data, size_t k, enum proxy_status whole, const struct proxy_result *w)
{
	struct proxy_result r;
	enum proxy_status st = proxy_parse(data, k, &r);

	if (whole == PROXY_DONE) {
		/* before its end: waiting; from its end on: the same header */
		if (k < w->consumed ? st != PROXY_NEED_MORE :
		    (st != PROXY_DONE || r.consumed != w->consumed || r.relayed != w->relayed))
			abort();
	} else if (whole == PROXY_NEED_MORE) {
		if (st != PROXY_NEED_MORE)
			abort();	/* refused bytes cannot become a valid start */
	} else if (st == PROXY_DONE) {
		abort();		/* a header that ended cannot be refused by what follows it */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_result r;
	enum proxy_status st;

	if (size > PROXY_MAX + 64)
		return -1;
	st = proxy_parse(data, size, &r);
	switch (st) {
	case PROXY_ERROR:
		if (r.reason == NULL || r.reason[0] == '\0' || size == 0)
			abort();
		break;
	case PROXY_NEED_MORE:
		if (r.reason != NULL)
			abort();
		break;
	case PROXY_DONE:
		if (r.consumed > size || r.reason != NULL)
			abort();
		if (r.version == 1)
			check_v1(data, &r);
		else if (r.version == 2)
			check_v2(data, &r);
		else
			abort();
		break;
	default:
		abort();
	}
	/* every prefix of a short input, a sample of a long one */
	for (size_t k = 0; k <= size; k += size <= 512 ? 1 : 1 + size / 64)
		check_prefix(data, k, st, &r);
	return 0;
}
