/* The master's side of TLS: one OpenSSL context per service per generation, and its checks. */
#ifndef NETSRVD_TLS_CTX_H
#define NETSRVD_TLS_CTX_H

#include <stddef.h>
#include <openssl/ssl.h>

struct tls_conf;
struct config_warnings;

/* A certificate expiring within this many days loads with a warning. */
#define TLS_EXPIRY_WARN_DAYS 14
/*
 * Session tickets: their keys change every TLS_TICKET_ROTATE_S; a ticket
 * made with the keys before is still taken (and replaced), so one lives
 * at most twice that, and its lifetime hint says one period.
 */
#define TLS_TICKET_ROTATE_S 3600

struct tls_ctx;

/*
 * Reads the block's files and builds the context the handshakes use:
 * certificate chain, key (which must match), client CAs and CRLs, the
 * verify mode, versions, ciphers, ALPN, no renegotiation, and session
 * tickets whose keys derive from a secret drawn now: every worker forked
 * from this configuration shares them, and the next generation draws
 * another. NULL with why (naming the file) on any failure.
 */
struct tls_ctx *tls_ctx_build(const struct tls_conf *t, const char *service, struct config_warnings *warn,
    char *why, size_t len);
void tls_ctx_free(struct tls_ctx *c);
SSL_CTX *tls_ctx_ssl(const struct tls_ctx *c);

#endif
