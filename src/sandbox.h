/* Worker confinement: an optional chroot and a seccomp-bpf allow list. */
#ifndef NETSRVD_SANDBOX_H
#define NETSRVD_SANDBOX_H

#include <stdatomic.h>
#include <stdbool.h>

int sandbox_chroot(const char *dir);
/*
 * Installs the worker's syscall allow list; anything else kills the
 * process with SIGSYS, after storing the refused call's number plus one
 * in *report (when report is not NULL). connects_out (the redirect
 * handler's workers): also AF_INET and AF_INET6 sockets and splice(2).
 */
int sandbox_seccomp(_Atomic int *report, bool connects_out);
bool sandbox_seccomp_supported(void);
/* valgrind runs us (it preloads its vgpreload_*.so): no filter, no call it does not know */
bool sandbox_under_valgrind(void);
/* The name of system call nr on this architecture, or NULL. */
const char *sandbox_syscall_name(int nr);
/* One past the highest number sandbox_syscall_name knows (the table may have holes). */
int sandbox_syscall_count(void);

#endif
