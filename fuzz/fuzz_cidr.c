/*
 * libFuzzer target: cidr_parse on the input as a string. A prefix that
 * parses must format, parse back to the same struct, and match its own
 * network address; and it is matched against fixed IPv4, IPv6 and
 * IPv4-mapped peers, where a v4 peer and its v4-mapped form must agree.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
make_v4(struct sockaddr_in *s4, const unsigned char a[4])
{
	memset(s4, 0, sizeof(*s4));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(7);
	memcpy(&s4->sin_addr, a, 4);
}

static void
make_v6(struct sockaddr_in6 *s6, const unsigned char a[16])
{
	memset(s6, 0, sizeof(*s6));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(7);
	memcpy(&s6->sin6_addr, a, 16);
}

static void
make_mapped(struct sockaddr_in6 *s6, const unsigned char a[4])
{
	unsigned char m[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memcpy(m + 12, a, 4);
	make_v6(s6, m);
}

static const unsigned char v4s[][4] = {
	{ 127, 0, 0, 1 }, { 10, 1, 2, 3 }, { 192, 168, 0, 255 }, { 0, 0, 0, 0 },
	{ 255, 255, 255, 255 },
};

static const unsigned char v6s[][16] = {
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },	/* ::1 */
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	{ 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55 },
	{ 0 },							/* :: */
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], buf[64];
	struct cidr c, c2;
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char *text;

	if (size > 256)
		return -1;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cidr_parse(text, &c, err, sizeof(err)) == -1) {
		free(text);
		if (err[0] == '\0')
			abort();
		return 0;
	}
	free(text);

	if (!((c.family == AF_INET && c.prefix <= 32) ||
	    (c.family == AF_INET6 && c.prefix <= 128)))
		abort();
	/* round trip: format, parse, same struct (host bits are zero) */
	if (cidr_format(&c, buf, sizeof(buf)) == -1)
		abort();
	if (cidr_parse(buf, &c2, err, sizeof(err)) == -1)
		abort();
	if (memcmp(&c, &c2, sizeof(c)) != 0)
		abort();

	/* its own network address matches, in every form a peer can take */
	if (c.family == AF_INET) {
		make_v4(&s4, c.addr);
		if (!cidr_match(&c, (struct sockaddr *)&s4))
			abort();
		make_mapped(&s6, c.addr);
		if (!cidr_match(&c, (struct sockaddr *)&s6))
			abort();
	} else {
		make_v6(&s6, c.addr);
		if (!cidr_match(&c, (struct sockaddr *)&s6))
			abort();
	}

	for (size_t i = 0; i < sizeof(v4s) / sizeof(v4s[0]); i++) {
		bool m4, mm;

		make_v4(&s4, v4s[i]);
		m4 = cidr_match(&c, (struct sockaddr *)&s4);
		make_mapped(&s6, v4s[i]);
		mm = cidr_match(&c, (struct sockaddr *)&s6);
		if (m4 != mm || (m4 && c.family != AF_INET))
			abort();
		if (c.prefix == 0 && c.family == AF_INET && !m4)
			abort();
	}
	for (size_t i = 0; i < sizeof(v6s) / sizeof(v6s[0]); i++) {
		bool m6;

		make_v6(&s6, v6s[i]);
		m6 = cidr_match(&c, (struct sockaddr *)&s6);
		if (m6 && c.family != AF_INET6)
			abort();
		if (c.prefix == 0 && c.family == AF_INET6 && !m6)
			abort();
	}
	/* an unknown family never matches */
	s4.sin_family = AF_UNIX;
	if (cidr_match(&c, (struct sockaddr *)&s4))
		abort();
	return 0;
}
