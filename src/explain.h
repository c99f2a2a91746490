/* netsrvd -t --explain SERVICE: the sandbox a service's workers and programs will run in, before it starts. */
#ifndef NETSRVD_EXPLAIN_H
#define NETSRVD_EXPLAIN_H

#include <stdio.h>

struct config;

/* Prints the service named name of cfg to out; -1 (nothing printed) when cfg has none of that name. */
int explain_service(const struct config *cfg, const char *name, FILE *out);

#endif
