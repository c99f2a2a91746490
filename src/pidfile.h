/* The pid file: locked for the daemon's whole life, so one instance per file. */
#ifndef NETSRVD_PIDFILE_H
#define NETSRVD_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

int pidfile_lock(const char *path, char *err, size_t errlen);
/* After an in-place upgrade: the lock is already ours, on fd. */
int pidfile_adopt(int fd, const char *path, char *err, size_t errlen);
int pidfile_write(pid_t pid, char *err, size_t errlen);
void pidfile_remove(void);
int pidfile_fd(void);

#endif
