/* The PROXY protocol header (versions 1 and 2) a relay puts before a client's bytes: a pure encoder. */
#ifndef NETSRVD_PROXY_ENCODE_H
#define NETSRVD_PROXY_ENCODE_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Room for any header proxy_encode writes (v1's longest line; v2 with two IPv6 addresses is 52). */
#define PROXY_ENCODE_MAX	108

/*
 * Writes the header of version 1 or 2 that names source (the client) and
 * destination (the address it connected to) into out (cap bytes, at least
 * PROXY_ENCODE_MAX). An IPv4 and an IPv6 address together are both sent
 * as IPv6, the IPv4 one mapped (the header has one family); two mapped
 * ones as IPv4. A family the protocol cannot name (not IP) gives version
 * 1's UNKNOWN or version 2's LOCAL, as the specification says a relay
 * that does not know the client sends. Returns the header's length, or -1
 * for a version other than 1 or 2 or too little room.
 */
ssize_t proxy_encode(int version, const struct sockaddr *source, const struct sockaddr *destination,
    unsigned char *out, size_t cap);

#endif
