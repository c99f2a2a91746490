/* What the TLS tests share: the certificates they make, the clients they drive (openssl, gnutls-cli, curl), the metrics they read. */
#ifndef NETSRVD_TEST_TLSUTIL_H
#define NETSRVD_TEST_TLSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

/* A hang bound for one client's talk; never a speed assertion. */
#define TLS_IO_MS 10000
/* The service most cases run, and its refusals by a failed handshake. */
#define TLS_ECHO_KEYS "handler = \"echo\"; workers = 2;"
#define TLS_REFUSED "netsrvd_refused_total{service=\"s\",reason=\"tls\"}"

/*
 * Makes every certificate the tests use in d->dir (file names relative to
 * it, see tlsutil.c): ca.pem (server CA), fullchain.pem + server.key
 * (127.0.0.1 and localhost), client_ca.pem (client CA with its CRL
 * appended), client/other/expired/revoked .pem+.key, server_expired,
 * server_soon (3 days), server_renewed (same key, new serial), wrong.key,
 * future_chain.pem (not valid yet), encrypted.key (a passphrase),
 * broken_chain.pem, two_ca.pem (client CA with CRL, other CA without).
 */
void tls_make_pki(struct daemon *d);
/* d->dir/name, in a static buffer of a ring of 8. */
const char *tls_path(struct daemon *d, const char *name);

/*
 * One TLS service "s" on 127.0.0.1:port (handler and its keys in
 * service_keys, e.g. "handler = \"echo\";"), with tls = { certificate,
 * key, tls_keys }, and a plain status service "status" on sport for the
 * metrics; globals are put first.
 */
void tls_conf(struct daemon *d, int port, int sport, const char *service_keys, const char *tls_keys,
    const char *globals);
/* Starts it and waits for "started:" (not by connecting: a TLS test counts its handshakes). */
void tls_start(struct daemon *d);
/* The certificates, an echo service "s" (TLS_ECHO_KEYS) with tls_keys, started. */
void tls_start_echo(struct daemon *d, int port, int sport, const char *tls_keys, const char *globals);
/* client_ca (with its CRL) and verify_client for tls_conf's tls_keys; a static buffer. */
const char *tls_client_keys(struct daemon *d, const char *verify);

/* A client program run with its stdin and stdout (stderr merged) on pipes. */
struct proc {
	pid_t pid;
	int in, out;
	char buf[65536];
	size_t got;
};
/* env: NULL or "NAME=value" strings put in the child's environment. */
void proc_start(struct proc *p, const char *const *argv, const char *const *env);
bool proc_write(struct proc *p, const char *s);
/* Reads (a hang bound) until want is in what the program said; false on EOF or the bound. */
bool proc_expect(struct proc *p, const char *want, int timeout_ms);
/* Closes its stdin, reads to EOF, reaps it: its exit status, or -1 (killed at the bound). */
int proc_finish(struct proc *p, int timeout_ms);
/* Kills what proc_start started and a test left running (a teardown's). */
void proc_kill_all(void);
int tls_teardown(void **state);

/* openssl s_client argv against 127.0.0.1:port verifying ca.pem, then the extra words, NULL-ended. */
void tls_s_client(struct daemon *d, const char **argv, int max, int port, const char *const *extra);
/*
 * Sends line through `openssl s_client -quiet -no_ign_eof EXTRA` and waits
 * for it back; the client's output stays in p (finished). True if the line came back.
 */
bool tls_echo(struct daemon *d, struct proc *p, int port, const char *line, const char *const *extra);

/* An echo as the holder of name.pem/name.key (NULL: no certificate) at a version flag: served or not. */
bool tls_echo_as(struct daemon *d, int port, const char *name, const char *version);

/* The sum of every /metrics series of the plain status service on sport that begins with prefix; -1: no answer. */
long long tls_metric_sum(int sport, const char *prefix);
/* Waits (a hang bound) until that sum is at least want; returns the last read. */
long long tls_wait_sum(int sport, const char *prefix, long long want, int timeout_ms);

/* Waits for an access-log line (raw text) that has every one of the space-separated words of want. */
bool tls_wait_access(struct daemon *d, const char *want, char *line, size_t len, int timeout_ms);
/* Access-log lines of d's log that have every word of want. */
int tls_count_access(struct daemon *d, const char *want);
/* How many processes (the netsrvd[PID] of each line) logged those lines. */
int tls_access_pids(struct daemon *d, const char *want);

/* `openssl x509 -noout -serial` of a file: the hex after "serial=". */
void tls_serial_of(const char *pem, char *out, size_t len);
/* The SHA-256 of a certificate's DER, lowercase hex without colons. */
void tls_sha256_of(const char *pem, char *out, size_t len);

#endif
