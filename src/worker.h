/* A worker: accepts (or receives) on one service's socket, serves one client at a time. */
#ifndef NETSRVD_WORKER_H
#define NETSRVD_WORKER_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "ratelimit.h"
#include "scoreboard.h"
#include "stats.h"

/* exit statuses a worker reports to the master */
#define WORKER_EXIT_OK		0
#define WORKER_EXIT_SETUP	70	/* could not start serving: counts as a start failure */

struct worker_args {
	const struct config *cfg;
	const struct service_config *svc;
	int listen_fd;
	pid_t master_pid;
	unsigned generation;
	struct scoreboard *sb;		/* to count a client's other connections */
	struct sb_slot *slot;		/* this worker's line */
	int slot_index;			/* its number in sb */
	struct ratelimit *rl;		/* UDP replies per source */
	uint32_t service_id;
	struct svc_stats *st;		/* this worker's counters, in its line */
	struct stats *stats;		/* everything, for the status handler */
};

void worker_run(const struct worker_args *a) __attribute__((noreturn));
/* A datagram from sa may be answered: no privileged port, no source that cannot be one host (worker_udp.c). */
bool worker_udp_source_ok(const struct sockaddr *sa);

#endif
