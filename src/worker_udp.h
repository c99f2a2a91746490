/* A UDP worker's engine: batches of datagrams in, checked, answered, out. */
#ifndef NETSRVD_WORKER_UDP_H
#define NETSRVD_WORKER_UDP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "worker_shared.h"

/* A datagram from sa may be answered: no privileged port, no source that cannot be one host. */
bool worker_udp_source_ok(const struct sockaddr *sa);

struct worker_udp;

/* Setup phase, before the sandbox (it reads the host's addresses); NULL: logged, exit. */
struct worker_udp *worker_udp_new(const struct worker_args *a);
/* Serve phase: returns when the worker is to stop, or its socket broke (logged). */
void worker_udp_run(struct worker_udp *u, struct worker_shortage *sh);

#endif
