/* What the outside is told of the master's state: STATUS=, READY=1 once workers really serve, WATCHDOG=1, the starting process and an upgrade's guard. */
#ifndef NETSRVD_READINESS_H
#define NETSRVD_READINESS_H

#include <stdbool.h>
#include <stdint.h>

struct generation;
struct worker_table;

struct readiness {
	bool ready;		/* READY=1 sent: a worker of each service came up */
	bool failing_told;	/* every service's workers fail at start, and we said so */
	int ready_fd;		/* tells the waiting parent we are up (daemon mode); -1: none */
	int guard_fd;		/* after an upgrade: tells the old image's guard we are up; -1: none */
	int64_t watchdog_ms;	/* systemd's keep-alive period / 2; -1: none */
	int64_t next_watchdog_ms;
};

/* Nothing told yet; guard_fd: the old image's guard after an upgrade, or -1. */
struct readiness readiness_make(int guard_fd);
/* In a new worker: the descriptors are the master's alone. */
void readiness_close(struct readiness *r);
/* STATUS=WHAT: how many services and workers g has, and which are down. */
void readiness_status(const struct generation *g, const char *config_path, const char *what);
/*
 * Once every service of g serves (workers_readiness): READY=1, the
 * starting process let go, the guard released; or, once, that every
 * service's workers fail at start. Only while the master runs.
 */
void readiness_check(struct readiness *r, const struct worker_table *t, const struct generation *g,
    const char *config_path);
/* t (ms, -1: none) shortened to how often the loop must look while not ready. */
int readiness_wait_ms(const struct readiness *r, int t);
/* The keep-alive from now on, if systemd asks for one (WatchdogSec). */
void readiness_start_watchdog(struct readiness *r);
/* WATCHDOG=1 when it is due. */
void readiness_feed_watchdog(struct readiness *r);
/* next (ms since boot) or the next keep-alive, whichever is sooner. */
int64_t readiness_next_ms(const struct readiness *r, int64_t next);

#endif
