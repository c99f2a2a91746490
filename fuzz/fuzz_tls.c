/*
 * libFuzzer target: the worker's TLS path with arbitrary bytes where a
 * client would be. Not OpenSSL itself, but what we built on it: the
 * handshake's error paths and deadline (tls_conn_accept), the record reads
 * and writes as io.c does them, and the relay to an exec program
 * (tls_relay.c) with its half-closes.
 *
 * The first byte picks the client:
 *   even: the rest is the whole client, raw, then its FIN (a hostile
 *         ClientHello, garbage, a handshake cut short);
 *   odd:  a real OpenSSL client handshakes, then sends the first half of
 *         the rest as application data and the second half raw (records
 *         that are not records), and half-closes; meanwhile the relay
 *         carries it to a "program" that says the first bytes back.
 * Whatever comes, every call must return, the session must end, and
 * nothing may leak. The certificate is made at start, in memory.
 */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config_error.h"
#include "config_types.h"
#include "handler.h"
#include "tls_conn.h"
#include "tls_ctx.h"
#include "tls_relay.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TLS_MAX 65536

static struct tls_ctx *server;
static SSL_CTX *client;
static char dir[] = "/tmp/fuzz-tls-XXXXXX";

static void
write_pem(const char *path, EVP_PKEY *k, X509 *x)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || (k != NULL && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1) ||
	    (x != NULL && PEM_write_X509(f, x) != 1))
		abort();
	fclose(f);
}

/* A self-signed P-256 certificate, its own CA for client certificates too. */
static void
make_identity(const char *cert, const char *key)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;

	if (k == NULL || x == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (X509_sign(x, k, EVP_sha256()) <= 0)
		abort();
	write_pem(cert, NULL, x);
	write_pem(key, k, NULL);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
remove_files(void)
{
	char p[64];

	snprintf(p, sizeof(p), "%s/cert.pem", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/key.pem", dir);
	unlink(p);
	rmdir(dir);
	tls_ctx_free(server);
	SSL_CTX_free(client);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char cert[64], key[64];
	char verify[] = "optional", version[] = "1.2";
	struct tls_conf t = { .on = true, .certificate = cert, .key = key, .client_ca = cert,
	    .verify_client = verify, .min_version = version };
	struct config_warnings warn = { .v = NULL };
	char why[512];

	(void)argc, (void)argv;
	/* as in a worker (sig.c): a client gone mid-write is an error return, not a death */
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	make_identity(cert, key);
	if ((server = tls_ctx_build(&t, "fuzz", &warn, why, sizeof(why))) == NULL) {
		fprintf(stderr, "fuzz_tls: %s\n", why);
		abort();
	}
	config_warnings_free(&warn);
	if ((client = SSL_CTX_new(TLS_client_method())) == NULL)
		abort();
	SSL_CTX_set_verify(client, SSL_VERIFY_NONE, NULL);
	atexit(remove_files);
	return 0;
}

struct client_job {
	int fd;
	const uint8_t *data;
	size_t len;
};

/* The odd case's client: a real handshake, then what the input says, then it reads to the end. */
static void *
client_run(void *arg)
{
	struct client_job *j = arg;
	SSL *ssl = SSL_new(client);
	size_t half = j->len / 2, n;
	unsigned char sink[4096];

	if (ssl != NULL && SSL_set_fd(ssl, j->fd) == 1 && SSL_connect(ssl) == 1) {
		if (half > 0)
			(void)SSL_write_ex(ssl, j->data, half, &n);
		if (j->len > half && write(j->fd, j->data + half, j->len - half) < 0)
			(void)0;	/* the server may be gone already */
	}
	shutdown(j->fd, SHUT_WR);
	while (read(j->fd, sink, sizeof(sink)) > 0)
		;
	SSL_free(ssl);
	ERR_clear_error();
	return NULL;
}

/* The relay to a "program" that says the input's first bytes and reads what comes. */
static void
relay_session(struct tls_conn *c, int fd, const uint8_t *say, size_t saylen)
{
	unsigned char buf[4096];
	struct tcp_session s = { .fd = fd, .tls = c, .timeout_ms = 200, .buf = buf, .bufsize = sizeof(buf) };
	struct tls_relay *r = malloc(sizeof(*r));
	int pp[2];

	if (r == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pp) == -1)
		abort();
	if (saylen > 0 && write(pp[1], say, saylen) < 0)
		abort();
	shutdown(pp[1], SHUT_WR);
	util_set_nonblock(pp[0], 1);
	util_set_nonblock(pp[1], 1);
	tls_relay_init(r, &s, pp[0]);
	for (int turn = 0; turn < 200 && !r->broken && !(r->in.passed && r->out.passed); turn++) {
		struct pollfd pf[3];

		if (tls_relay_step(r))
			continue;
		tls_relay_events(r, pf);
		pf[2] = (struct pollfd){ .fd = pp[1], .events = POLLIN };
		if (poll(pf, 3, 10) == 0)
			break;
		while (read(pp[1], buf, sizeof(buf)) > 0)
			;
	}
	tls_relay_drain(r, 10);
	close(pp[0]);
	close(pp[1]);
	free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_job job;
	struct tls_conn c;
	pthread_t th;
	char why[256];
	int sp[2];
	bool real = size > 0 && (data[0] & 1);

	if (size == 0 || size > FUZZ_TLS_MAX)
		return 0;
	data++, size--;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		abort();
	if (real) {
		job = (struct client_job){ .fd = sp[1], .data = data, .len = size };
		if (pthread_create(&th, NULL, client_run, &job) != 0)
			abort();
	} else {
		/* the whole client at once: the socket pair holds 64 KiB and more */
		if (size > 0 && write(sp[1], data, size) != (ssize_t)size)
			abort();
		shutdown(sp[1], SHUT_WR);
	}
	if (tls_conn_accept(&c, server, sp[0], 2000, NULL, why, sizeof(why)) == TLS_ACCEPT_OK) {
		relay_session(&c, sp[0], data, size < 64 ? size : 64);
		tls_conn_close(&c);
	} else if (c.ssl != NULL)
		abort();	/* a failed handshake leaves nothing behind */
	close(sp[0]);
	if (real)
		pthread_join(th, NULL);
	close(sp[1]);
	ERR_clear_error();
	return 0;
}
