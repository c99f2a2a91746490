/* The master: binds, forks and supervises workers, reloads, stops. */
#ifndef NETSRVD_MASTER_H
#define NETSRVD_MASTER_H

#include <stdbool.h>

#include "config.h"

struct inherited;

struct master_options {
	const char *config_path;	/* absolute */
	const char *pid_file;		/* -p, overrides pid_file; NULL if not given */
	bool foreground;
	const char *exe_path;		/* our binary, for SIGUSR2; NULL if unknown */
	struct inherited *inherited;	/* sockets, pid file, workers passed to us */
	const char *version;		/* what -V prints, for logs */
};

/* sysexits' EX_OSERR: the daemon could not start (no service could bind, pid file, privileges) */
#define EXIT_STARTUP	71

/* Takes ownership of cfg. Returns the process exit status. */
int master_run(struct config *cfg, const struct master_options *opt);

#endif
