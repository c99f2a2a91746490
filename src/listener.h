/* Listening sockets: bind, keep across reloads, close. */
#ifndef NETSRVD_LISTENER_H
#define NETSRVD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"

struct listener {
	int fd;
	enum proto protocol;
	struct sockaddr_storage addr;	/* as configured ("*" = ::) */
	socklen_t addrlen;
	bool any_address;
	int backlog;
	char desc[96];			/* "tcp 127.0.0.1:7", for logs */
	bool used;			/* mark for the reload's sweep */
};

struct listener *listener_open(const struct service_config *s, char *err, size_t errlen);
/* A socket someone else bound (systemd, the master before an upgrade), described by asking it. */
struct listener *listener_from_fd(int fd, const char *name, char *err, size_t errlen);
bool listener_matches(const struct listener *l, const struct service_config *s);
int listener_set_backlog(struct listener *l, int backlog);
void listener_close(struct listener *l);
void listener_describe(const struct service_config *s, char *buf, size_t len);

#endif
