/* Processes exec programs leave behind: the master adopts them (a child subreaper) and ends them at its stop; a worker takes their connection back. */
#ifndef NETSRVD_ORPHANS_H
#define NETSRVD_ORPHANS_H

#include <stddef.h>

/* From now on, orphaned descendants become our children, not init's. */
int orphans_adopt(void);
/*
 * At the end of a stop, when every worker is gone: SIGKILL to whatever
 * children are left (descendants of programs that left their process
 * group, or outlived it), until none is left or bound_ms passed. Returns
 * how many were killed.
 */
size_t orphans_end_all(int bound_ms);

/*
 * In a worker, once its program exited: the processes it left that still
 * hold the socket whose inode is ino lose it: shutdown(2) through a copy
 * taken with pidfd_getfd, or, where the kernel refuses us that copy,
 * SIGKILL. Returns how many holders were found.
 */
size_t orphans_release_socket(const char *service, pid_t program, unsigned long ino);

#endif
