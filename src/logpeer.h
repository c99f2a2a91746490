/* log_peer: how much of a client's address the access log, the status table and the log keep. */
#ifndef NETSRVD_LOGPEER_H
#define NETSRVD_LOGPEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The values of log_peer = "full" | "prefix" | "none", in that order. */
enum log_peer { LOG_PEER_FULL, LOG_PEER_PREFIX, LOG_PEER_NONE };

/* The words the schema accepts (NULL-terminated), and how a message lists them. */
extern const char *const logpeer_choices[];
#define LOGPEER_EXPECTS "one of \"full\", \"prefix\", \"none\""

/* A checked value's mode; NULL or anything else: none (what shows least). */
enum log_peer logpeer_mode(const char *name);
/* A mode read back from shared memory, untrusted: anything out of range is none. */
enum log_peer logpeer_mode_of(int v);
/*
 * A 16-byte address (IPv6, or v4-mapped, as scoreboard_peer_key gives it)
 * and its port cut down to what mode keeps: prefix, the /24 (IPv4) or
 * the /48 (IPv6) and no port; none, all zeros.
 */
void logpeer_mask_key(enum log_peer mode, unsigned char addr[16], uint16_t *port);
/*
 * The text for an address as mode shows it: full "192.0.2.7:40000" or
 * "[2001:db8::1]:40000", prefix "192.0.2.0/24" or "2001:db8:1::/48",
 * none "-". Never holds a space, a quote or '=' (an access-log value).
 */
void logpeer_format_key(enum log_peer mode, const unsigned char addr[16], unsigned port,
    char *buf, size_t len);
void logpeer_format(enum log_peer mode, const struct sockaddr *sa, char *buf, size_t len);

#endif
