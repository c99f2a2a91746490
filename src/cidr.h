/* CIDR prefixes for allow/deny lists, and matching peers against them. */
#ifndef NETSRVD_CIDR_H
#define NETSRVD_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned prefix;	/* 0..32 or 0..128 */
	unsigned char addr[16];	/* network order; host bits are zero */
};

int cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen);
bool cidr_match(const struct cidr *c, const struct sockaddr *sa);
bool cidr_acl_allows(const struct cidr *allow, size_t nallow,
    const struct cidr *deny, size_t ndeny, const struct sockaddr *sa);
int cidr_format(const struct cidr *c, char *buf, size_t len);

#endif
