/* What the tests and the bench both read from the system: processes in /proc, free loopback ports. */
#ifndef NETSRVD_PROCUTIL_H
#define NETSRVD_PROCUTIL_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * No cmocka here: bench/netsrvd-bench links this file too. Failures are
 * return values; the harness turns them into test failures.
 */

/* A process's state letter and parent, from /proc/PID/stat; false if it is gone. */
bool pu_stat(pid_t pid, char *state, pid_t *ppid);

enum pu_which { PU_ALL, PU_LIVE, PU_ZOMBIES };
/*
 * The children of ppid (all, live, or zombies only): how many there are,
 * the first max of them in out (out may be NULL); -1 without /proc.
 */
int pu_children(pid_t ppid, enum pu_which which, pid_t *out, int max);

/* A socket of type bound to 127.0.0.1:port (0: the kernel picks), close-on-exec; -1. */
int pu_bind_loopback(int type, int port);
/*
 * port (0: the kernel's pick) on 127.0.0.1 for TCP and UDP at once, both
 * sockets kept open in fds[0] and fds[1] so no one else takes it while
 * more are chosen: the port, or -1 (nothing left open).
 */
int pu_hold_port(int port, int fds[2]);

#endif
