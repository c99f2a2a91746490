/* The worker's side of TLS: a connection's handshake under its deadline, its records, its identity. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "log.h"
#include "tls_conn.h"
#include "tls_ctx.h"
#include "util.h"

/* Why a call failed, in words: OpenSSL's reason, the verification's, or the socket's. */
static void
failure_words(SSL *ssl, int err, char *why, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	long v = SSL_get_verify_result(ssl);
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SSL && r == NULL))
		snprintf(why, len, "%s", errno != 0 && err == SSL_ERROR_SYSCALL ? strerror(errno) :
		    "the client closed the connection");
	else if (v != X509_V_OK)
		snprintf(why, len, "%s: %s", r != NULL ? r : "certificate verify failed",
		    X509_verify_cert_error_string(v));
	else
		snprintf(why, len, "%s", r != NULL ? r : "OpenSSL gave no reason");
	ERR_clear_error();
}

static void
hex(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < outlen; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * i] = '\0';
}

static void
name_words(const X509_NAME *nm, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	out[0] = '\0';
	if (b == NULL)
		return;
	/* RFC 2253 escapes control and 8-bit bytes: the text is safe for an environment and a log */
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0 && (n = BIO_read(b, out, (int)len - 1)) > 0)
		out[n] = '\0';
	BIO_free(b);
}

static void
client_words(SSL *ssl, struct tls_info *in)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	BIGNUM *bn;
	char *s;

	if (x == NULL)
		return;
	in->client_cert = true;
	name_words(X509_get_subject_name(x), in->subject, sizeof(in->subject));
	name_words(X509_get_issuer_name(x), in->issuer, sizeof(in->issuer));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) != NULL && (s = BN_bn2hex(bn)) != NULL) {
		snprintf(in->serial, sizeof(in->serial), "%s", s);
		OPENSSL_free(s);
	}
	BN_free(bn);
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1)
		hex(md, mdlen, in->sha256, sizeof(in->sha256));
}

static void
fill_info(SSL *ssl, struct tls_info *in)
{
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const SSL_CIPHER *ci = SSL_get_current_cipher(ssl);
	size_t i = 0;

	memset(in, 0, sizeof(*in));
	snprintf(in->version, sizeof(in->version), "%s", SSL_get_version(ssl));
	snprintf(in->cipher, sizeof(in->cipher), "%s", ci != NULL ? SSL_CIPHER_get_name(ci) : "");
	/* the client's words: kept to what a host name holds */
	for (; sni != NULL && sni[i] != '\0' && i + 1 < sizeof(in->sni); i++) {
		char ch = sni[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '-' || ch == '_';
		in->sni[i] = '?';
		if (ok)
			in->sni[i] = ch;
	}
	in->sni[i] = '\0';
	in->resumed = SSL_session_reused(ssl) == 1;
	client_words(ssl, in);
}

/*
 * Until fd is ready for ev or the deadline passes (0), in slices of a
 * second that mark *progress: a handshake_timeout past the service's
 * timeout is no hung worker to the master. A signal (a flag set) waits on.
 */
static int
wait_for(int fd, short ev, int64_t deadline, _Atomic int64_t *progress)
{
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = ev };
		int64_t left = deadline - util_now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&pf, 1, left > 1000 ? 1000 : (int)left);
		if (progress != NULL)
			atomic_store_explicit(progress, util_coarse_now_ms(), memory_order_relaxed);
		if (r == 1 || (r == -1 && errno != EINTR))
			return r;
	}
}

/* A handshake that will not be: the connection's OpenSSL state goes, the time it took stays. */
static enum tls_accept_result
give_up(struct tls_conn *c, int64_t start_us, enum tls_accept_result r)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->handshake_us = util_now_us() - start_us;
	return r;
}

enum tls_accept_result
tls_conn_accept(struct tls_conn *c, const struct tls_ctx *ctx, int fd, int timeout_ms,
    _Atomic int64_t *progress, char *why, size_t len)
{
	int64_t start_us = util_now_us(), deadline = util_now_ms() + timeout_ms;

	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	ERR_clear_error();
	/*
	 * Records go out whole, so Nagle's algorithm saves nothing here and
	 * costs a round trip: TLS 1.3's ticket, sent after the handshake,
	 * would hold the first reply back until the client's delayed ACK
	 * (some 40 ms). HAProxy and stunnel set it too. Not a socket: no harm.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (util_set_nonblock(fd, 1) == -1 || (c->ssl = SSL_new(tls_ctx_ssl(ctx))) == NULL ||
	    SSL_set_fd(c->ssl, fd) != 1) {
		snprintf(why, len, "cannot start a handshake: %s", c->ssl == NULL ? "out of memory" : strerror(errno));
		return give_up(c, start_us, TLS_ACCEPT_FAILED);
	}
	for (;;) {
		int r, err, w;
		short ev;

		errno = 0;
		if ((r = SSL_accept(c->ssl)) == 1)
			break;
		err = SSL_get_error(c->ssl, r);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			failure_words(c->ssl, err, why, len);
			return give_up(c, start_us, TLS_ACCEPT_FAILED);
		}
		ev = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		w = wait_for(fd, ev, deadline, progress);
		if (w == 0) {
			snprintf(why, len, "no handshake within handshake_timeout (%d ms)", timeout_ms);
			return give_up(c, start_us, TLS_ACCEPT_TIMEOUT);
		}
		if (w == -1) {
			snprintf(why, len, "poll: %s", strerror(errno));
			return give_up(c, start_us, TLS_ACCEPT_FAILED);
		}
	}
	c->handshake_us = util_now_us() - start_us;
	c->read_needs = POLLIN;
	c->write_needs = POLLOUT;
	fill_info(c->ssl, &c->info);
	return TLS_ACCEPT_OK;
}

/* A failed SSL_read or SSL_write, as recv and send fail. */
static ssize_t
failed(struct tls_conn *c, int r, short *needs, const char *what)
{
	int err = SSL_get_error(c->ssl, r);
	char why[256];

	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		*needs = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		errno = EAGAIN;
		return -1;
	}
	if (err == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		return 0;
	}
	failure_words(c->ssl, err, why, sizeof(why));
	log_debug("TLS %s: %s", what, why);
	c->broken = true;
	errno = ECONNRESET;
	return -1;
}

ssize_t
tls_conn_read(struct tls_conn *c, void *buf, size_t len)
{
	size_t n = 0;
	int r;

	ERR_clear_error();
	errno = 0;
	c->read_needs = POLLIN;
	if ((r = SSL_read_ex(c->ssl, buf, len, &n)) == 1)
		return (ssize_t)n;
	return failed(c, r, &c->read_needs, "read");
}

ssize_t
tls_conn_write(struct tls_conn *c, const void *buf, size_t len)
{
	size_t n = 0;
	int r;

	ERR_clear_error();
	errno = 0;
	c->write_needs = POLLOUT;
	if ((r = SSL_write_ex(c->ssl, buf, len, &n)) == 1)
		return (ssize_t)n;
	return failed(c, r, &c->write_needs, "write");
}

bool
tls_conn_pending(const struct tls_conn *c)
{
	return SSL_has_pending(c->ssl) == 1;
}

short
tls_conn_events(const struct tls_conn *c, short events)
{
	/* a read that needs to write (a key update's answer), or the other way round */
	int out = events & ~(POLLIN | POLLOUT);

	if (events & POLLIN)
		out |= c->read_needs;
	if (events & POLLOUT)
		out |= c->write_needs;
	return (short)out;
}

int
tls_conn_shutdown_write(struct tls_conn *c)
{
	int r, err;

	if (c->shut_sent)
		return 1;
	ERR_clear_error();
	if ((r = SSL_shutdown(c->ssl)) >= 0) {
		c->shut_sent = true;
		return 1;
	}
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
		c->write_needs = err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
		return 0;
	}
	ERR_clear_error();
	c->broken = true;
	return -1;
}

void
tls_conn_close(struct tls_conn *c)
{
	if (c->ssl == NULL)
		return;
	if (!c->broken && !c->shut_sent) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
}
