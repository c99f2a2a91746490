/* A service's `tls` block as the loader stores it, and the context the master builds from it. */
#ifndef NETSRVD_TLS_CONF_H
#define NETSRVD_TLS_CONF_H

#include <stdbool.h>

#include "config_strv.h"

struct tls_ctx;

struct tls_conf {
	bool on;			/* the service has a tls block */
	char *certificate;		/* PEM: the leaf, then its chain (absolute once loaded) */
	char *key;
	char *client_ca;		/* PEM: CAs for client certificates, and CRLs to check */
	char *verify_client;		/* "none", "optional", "require" (checked) */
	char *min_version;		/* "1.2", "1.3" (checked) */
	char *ciphers;			/* TLS 1.2 and below, OpenSSL's words; NULL: OpenSSL's default */
	char *ciphersuites;		/* TLS 1.3 */
	struct config_strv alpn;
	/*
	 * Built by the master at load (tls_ctx.c), files read as root, before
	 * any worker exists; each worker inherits it with the fork and never
	 * opens a key itself. NULL in a build without TLS.
	 */
	struct tls_ctx *ctx;
};

#endif
