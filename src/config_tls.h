/* A service's `tls` block: its keys, its checks, and the context the master builds from it. */
#ifndef NETSRVD_CONFIG_TLS_H
#define NETSRVD_CONFIG_TLS_H

#include <stddef.h>

#include "config_schema.h"

struct service_config;
struct config_warnings;

/*
 * Once the service is loaded (its handler's check included): the block's
 * keys together, then the files, read now by the master as a handshake
 * would need them (tls_ctx.c): readable, the key matching the
 * certificate, the chain parsing, none of it expired (expiring within 14
 * days: a warning into warn). -1: *key is the key at fault and why says
 * what is wrong, with the file's name. Nothing to do without a block.
 */
int config_tls_check(struct service_config *s, struct config_warnings *warn, const char **key,
    char *why, size_t len);
/* Frees the block's strings and its context. */
void config_tls_free(struct service_config *s);

#endif
