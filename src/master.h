/* The master: binds, forks and supervises workers, reloads, stops. */
#ifndef NETSRVD_MASTER_H
#define NETSRVD_MASTER_H

#include <stdbool.h>

#include "config.h"

struct master_options {
	const char *config_path;	/* absolute */
	const char *pid_file;		/* -p, overrides pid_file; NULL if not given */
	bool foreground;
};

/* Takes ownership of cfg. Returns the process exit status. */
int master_run(struct config *cfg, const struct master_options *opt);

#endif
