/* log_peer: how much of a client's address the access log, the status table and the log keep. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "logpeer.h"
#include "util.h"

const char *const logpeer_choices[] = { "full", "prefix", "none", NULL };

enum log_peer
logpeer_mode(const char *name)
{
	if (name != NULL && strcmp(name, "full") == 0)
		return LOG_PEER_FULL;
	if (name != NULL && strcmp(name, "prefix") == 0)
		return LOG_PEER_PREFIX;
	return LOG_PEER_NONE;
}

enum log_peer
logpeer_mode_of(int v)
{
	return v == LOG_PEER_FULL || v == LOG_PEER_PREFIX ? (enum log_peer)v : LOG_PEER_NONE;
}

static bool
v4mapped(const unsigned char addr[16])
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(addr, prefix, sizeof(prefix)) == 0;
}

void
logpeer_mask_key(enum log_peer mode, unsigned char addr[16], uint16_t *port)
{
	if (mode == LOG_PEER_FULL)
		return;
	*port = 0;
	if (mode == LOG_PEER_PREFIX)
		memset(addr + (v4mapped(addr) ? 15 : 6), 0, v4mapped(addr) ? 1 : 10);
	else
		memset(addr, 0, 16);
}

void
logpeer_format_key(enum log_peer mode, const unsigned char addr[16], unsigned port,
    char *buf, size_t len)
{
	unsigned char a[16];
	uint16_t p = (uint16_t)port;
	char text[INET6_ADDRSTRLEN] = "?";

	if (mode == LOG_PEER_FULL) {
		util_format_peer_key(addr, port, buf, len);
		return;
	}
	if (mode != LOG_PEER_PREFIX) {
		snprintf(buf, len, "-");
		return;
	}
	/* masked again here: a caller's unmasked key still shows only its prefix */
	memcpy(a, addr, sizeof(a));
	logpeer_mask_key(mode, a, &p);
	if (v4mapped(a))
		inet_ntop(AF_INET, a + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, a, text, sizeof(text));
	snprintf(buf, len, "%s/%d", text, v4mapped(a) ? 24 : 48);
}

void
logpeer_format(enum log_peer mode, const struct sockaddr *sa, char *buf, size_t len)
{
	unsigned char key[16];
	uint16_t port;

	if (mode == LOG_PEER_FULL) {
		util_format_sockaddr(sa, buf, len);
		return;
	}
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		snprintf(buf, len, "-");
		return;
	}
	memset(key, 0, sizeof(key));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &s4->sin_addr, 4);
		port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(key, &s6->sin6_addr, 16);
		port = ntohs(s6->sin6_port);
	}
	logpeer_format_key(mode, key, port, buf, len);
}
