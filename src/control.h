/* The master's words to its workers, apart from the statistics: a shared page the master writes and workers only read. */
#ifndef NETSRVD_CONTROL_H
#define NETSRVD_CONTROL_H

#include <stdatomic.h>

#include "shm.h"

/* What a worker reads, and handlers through handler_env.control. */
struct control {
	/* the running generation's number: what the status table heads with */
	_Atomic unsigned generation;
	/* set before the workers get SIGTERM for a stop (not a reload): exec programs must end */
	_Atomic int stopping;
	/* the master passed its sockets on (SIGUSR2): orphans must leave them listening */
	_Atomic int sockets_handed_over;
};

/* The handle, in each process's private memory (a worker has its copy from the fork). */
struct control_block {
	struct shm shm;
	struct control *words;	/* shared: the master writes, workers read */
};

/* NULL, logged, when the page cannot be made. */
struct control_block *control_create(void);
void control_destroy(struct control_block *cb);
/* In a worker: the page becomes read-only for good. */
int control_confine(struct control_block *cb);
void control_set_generation(struct control_block *cb, unsigned id);
/* A stop, not a reload: said before the workers are told. */
void control_set_stopping(struct control_block *cb);
/* The word an upgrade raises while its sockets belong to the exec (upgrade.c writes it, sig.c reads it). */
_Atomic int *control_handed_over(struct control_block *cb);

#endif
