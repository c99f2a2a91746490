/* Worker confinement: an optional chroot and a seccomp-bpf allow list. */
#ifndef NETSRVD_SANDBOX_H
#define NETSRVD_SANDBOX_H

#include <stdbool.h>

int sandbox_chroot(const char *dir);
/* Installs the worker's syscall allow list; anything else kills the process. */
int sandbox_seccomp(void);
bool sandbox_seccomp_supported(void);

#endif
