/* A TCP connection's state asked of the kernel by its addresses (NETLINK_SOCK_DIAG): no descriptor held. */
#ifndef NETSRVD_SOCKDIAG_H
#define NETSRVD_SOCKDIAG_H

#include <linux/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* What the kernel says of one connection. */
struct sockdiag_tcp {
	bool found;		/* false: no such connection (any more) */
	uint32_t inode;		/* its socket's inode; 0 once no process holds it */
	uint8_t state;		/* TCP_ESTABLISHED ... (include/net/tcp_states.h) */
	bool have_info;		/* a full socket: info is filled */
	struct tcp_info info;
};

/* A NETLINK_SOCK_DIAG socket (close-on-exec), or -1 (errno set). */
int sockdiag_open(void);
/*
 * Looks up the connection between local and remote (as getsockname and
 * getpeername give them, IPv4 or IPv6). 0 with *out filled, found or not;
 * -1 (errno set) when the kernel could not be asked.
 */
int sockdiag_tcp_query(int nl, const struct sockaddr *local, const struct sockaddr *remote,
    struct sockdiag_tcp *out);

#endif
