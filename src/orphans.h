/* Processes exec programs leave behind: the master adopts them (a child subreaper) and ends them at its stop. */
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

#endif
