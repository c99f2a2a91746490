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
	config_inetd_translate_fn *translate;	/* inetd_conf's, at each reload */
};

/* The exit status of a start that failed after the configuration loaded (sysexits.h: EX_OSERR). */
#define EXIT_STARTUP	71

/* Takes ownership of cfg. Returns the process exit status. */
int master_run(struct config *cfg, const struct master_options *opt);

#endif
