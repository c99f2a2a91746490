/* A worker: accepts (or receives) on one service's socket, serves one client at a time. */
#ifndef NETSRVD_WORKER_H
#define NETSRVD_WORKER_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "worker_shared.h"

/* exit statuses a worker reports to the master */
#define WORKER_EXIT_OK		0
#define WORKER_EXIT_SETUP	70	/* could not start serving: counts as a start failure */


void worker_run(const struct worker_args *a) __attribute__((noreturn));

#endif
