/* cgroup v2: a cgroup per service and one per exec connection, killed whole when the connection ends. */
#ifndef NETSRVD_CGROUP_H
#define NETSRVD_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup_check.h"

struct config;
struct service_config;
struct stats;

/* After cgroup.kill, how long the worker waits for "populated 0" before it logs and moves on. */
#define CGROUP_KILL_WAIT_MS 1000

/*
 * The layout, under C, the cgroup the master found itself in
 * (/proc/self/cgroup's "0::" line under the cgroup2 mount):
 *   C/netsrvd.<masterpid>/                   the instance (I)
 *   I/master/                                the master, once a limit key needs
 *                                            controllers in C (no process may stay in C)
 *   I/svc.<service>/                         memory.max, pids.max, cpu.weight
 *   I/svc.<service>/workers/                 its workers
 *   I/svc.<service>/conn.<workerpid>.<n>/    one exec connection's processes
 * "svc." keeps a service named master, cgroup.procs or ".." from meeting
 * another name there.
 */

/* --- the master ---------------------------------------------------------- */

/*
 * After a configuration loaded (start, after the detach; each reload):
 * the instance and each cgroup.on service's directories, their limits,
 * and their owner for a service whose user is not root. Nothing when no
 * service has a cgroup group. -1 with why.
 */
int cgroup_setup(const struct config *cfg, char *why, size_t len);
/* The instance directory I; "" until cgroup_setup made it. */
const char *cgroup_instance_path(void);
/* A worker was reaped: the connection cgroups it left (a SIGKILL) are killed, removed when empty. */
void cgroup_worker_reaped(pid_t pid);
/* Once a second: removals that waited for a cgroup to empty, and each service's sample into st. */
void cgroup_tick(struct stats *st);
/* At the master's exit: every connection killed, the master moved back, I's directories removed. */
void cgroup_finish(void);

/* --- a worker -------------------------------------------------------------- */

/* While still root: into I/svc.<service>/workers. 0 (also when svc has no cgroup), or -1 logged. */
int cgroup_join_workers(const struct service_config *svc);

/* One exec connection's cgroup, made by the worker before the program starts. */
struct cgroup_conn {
	int dir_fd;			/* -1: none (the service has no cgroup group) */
	int procs_fd;			/* its cgroup.procs, for the program to write "0" to (exec_prep) */
	int events_fd;			/* its cgroup.events */
	char name[48];			/* conn.<workerpid>.<n> */
};

/* What an exec worker keeps for its connections' cgroups (its handler state holds it). */
struct cgroup_worker {
	int svc_fd;			/* I/svc.<service>, opened before the worker's view of the files changes */
	unsigned long made;		/* connection cgroups made: the <n> of the next name */
	struct cgroup_conn spare;	/* the last connection's, emptied: the next one's */
};

/*
 * In the worker's handler init, still root and seeing the host's files:
 * svc's directory opened into cw. 0 (also when svc has no cgroup group:
 * cw holds nothing), or -1 logged.
 */
int cgroup_worker_open(const struct service_config *svc, struct cgroup_worker *cw);
/*
 * 0 with cc ready, empty (made, or cw's spare, the one the worker's last
 * connection emptied), or with cc->dir_fd -1 when svc has no cgroup; -1
 * logged (the program must not start).
 */
int cgroup_conn_open(const struct service_config *svc, struct cgroup_worker *cw, struct cgroup_conn *cc);
/*
 * The connection ended: everything in its cgroup is killed (cgroup.kill)
 * and waited for (cgroup.events, CGROUP_KILL_WAIT_MS); once empty it is
 * cw's spare, for the worker's next connection. One that does not empty
 * is left: the master sweeps it when this worker is reaped. Returns the
 * microseconds it took to empty (-1: it did not, or none).
 */
long long cgroup_conn_close(const struct service_config *svc, struct cgroup_worker *cw, struct cgroup_conn *cc);

#endif
