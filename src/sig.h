/* Signal dispositions: handlers only set flags; the loops do the work. */
#ifndef NETSRVD_SIG_H
#define NETSRVD_SIG_H

#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>

struct sig_flags {
	volatile sig_atomic_t chld;
	volatile sig_atomic_t hup;
	volatile sig_atomic_t term;	/* TERM or INT: graceful stop */
	volatile sig_atomic_t quit;	/* fast stop */
	volatile sig_atomic_t usr1;
	volatile sig_atomic_t usr2;	/* binary upgrade */
};

extern struct sig_flags sig_master;
extern volatile sig_atomic_t sig_worker_stop;

int sig_master_setup(sigset_t *waitmask);
/*
 * A worker's dispositions. orphan_fd: a TCP listener to shut down the
 * moment a TERM finds the master (master_pid) gone, or -1; unless
 * *handed_over says the master passed its sockets to an upgrade.
 */
int sig_worker_setup(int wake_fd, pid_t master_pid, int orphan_fd, const _Atomic int *handed_over);

#endif
