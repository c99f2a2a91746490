/* Becoming a daemon: detach after binding, and let the starting process go only once we serve. */
#ifndef NETSRVD_DAEMON_H
#define NETSRVD_DAEMON_H

#include <stdbool.h>

/*
 * Forks into the background in a new session, cwd /, umask 027, standard
 * streams on /dev/null (stderr kept when it is the log target). The
 * starting process waits, and exits 0 once daemon_ready() is called,
 * exit_failed if the daemon dies first. *ready_fd: what daemon_ready()
 * takes.
 */
int daemon_detach(bool keep_stderr, int exit_failed, int *ready_fd);
/* Tells the starting process we serve; *ready_fd becomes -1. No-op for -1. */
void daemon_ready(int *ready_fd);
/* Tells it we cannot serve (it exits exit_failed); *ready_fd becomes -1. */
void daemon_not_ready(int *ready_fd);

#endif
