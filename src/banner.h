/* banner, banner_success, banner_fail: files read whole at load (config_service.c), sent to a TCP client. */
#ifndef NETSRVD_BANNER_H
#define NETSRVD_BANNER_H

#include <stdbool.h>
#include <stddef.h>

#include "config_types.h"
#include "handler.h"

/* A banner is a greeting, not a file service: what a TCP send buffer takes at once on any Linux. */
#define BANNER_MAX 8192

/* Whether the service sends anything to a client it refuses (banner or banner_fail). */
bool banner_on_refusal(const struct service_config *svc);

/*
 * A client let in, before its handler: banner, then banner_success, sent
 * whole under the session's no-progress timeout and counted in its bytes
 * out. END_DONE: serve it; anything else ends the session so.
 */
enum session_end banner_greet(struct tcp_session *s);

/*
 * A client refused: banner, then banner_fail, as much of them as the
 * socket takes now (never waiting: a refusal must not hold a worker), then
 * a close that lets them arrive (FIN, not the silent refusal's reset).
 * Closes fd.
 */
void banner_refuse(int fd, const struct service_config *svc);

#endif
