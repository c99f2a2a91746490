/* The in-place upgrade's safety net: a child that keeps the sockets until the new image says it serves, and brings the old binary back if it does not. */
#ifndef NETSRVD_UPGRADE_GUARD_H
#define NETSRVD_UPGRADE_GUARD_H

#include <sys/types.h>

/*
 * Forks the guard just before the master execs the new image; argv is
 * how the old binary is to be run should it have to take over. Returns
 * the guard's pid and in *ready_fd the fd the new image writes to once
 * it serves (it must cross the exec), or -1.
 */
pid_t upgrade_guard_start(char *const *argv, int *ready_fd);
/* The exec did not happen: the guard goes. */
void upgrade_guard_cancel(pid_t pid, int ready_fd);
/* In the new image, once it serves: the guard exits. */
void upgrade_guard_release(int ready_fd);

#endif
