/* A pidfd for a child we started, to poll for its end. */
#ifndef NETSRVD_PIDFD_H
#define NETSRVD_PIDFD_H

#include <sys/types.h>

/*
 * A close-on-exec pidfd for pid; -1 where the kernel has none, or under
 * valgrind (3.19 does not know the call, and says so in its log each time).
 */
int pidfd_for(pid_t pid);

#endif
