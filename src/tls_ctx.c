/*
 * The master's side of TLS: a service's context, built from its files at
 * load (as root, before any worker), checked as -t and a reload must, and
 * inherited by the workers with the fork: a worker never opens a key.
 *
 * OpenSSL 3, the library Debian's daemons (and stunnel, HAProxy) use:
 * certificate chains, client verification with CRLs, tickets and ALPN
 * are its own, and its errors name what is wrong.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "config_error.h"
#include "config_types.h"
#include "tls_ctx.h"

/* one period's ticket keys, derived from the generation's secret */
struct ticket_keys {
	long long period;		/* time / TLS_TICKET_ROTATE_S; -1: not derived yet */
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
};

struct tls_ctx {
	SSL_CTX *ssl;
	/*
	 * Drawn at build: the workers of this generation hold the same bytes
	 * (the fork copied them) and so make and take the same tickets with
	 * no word between them; the next generation draws its own.
	 */
	unsigned char secret[32];
	struct ticket_keys cur, prev;	/* each process's own cache of the derivation */
	unsigned char *alpn;		/* wire format: length-prefixed names */
	size_t alpn_len;
};

/* OpenSSL's last error, in words, into why after what; the queue is emptied. */
static void
ossl_why(char *why, size_t len, const char *what)
{
	/* the first error is the cause ("no start line"); the last, its caller's ("PEM lib") */
	unsigned long e = ERR_peek_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		r = "no PEM block in it (a certificate or key in PEM was expected)";
	else if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ)
		r = "the key is encrypted, and nobody is there to type its passphrase";
	snprintf(why, len, "%s: %s", what, r != NULL ? r : "OpenSSL gave no reason");
	ERR_clear_error();
}

/* An encrypted key would ask for its passphrase on a terminal: refuse instead. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int
readable(const char *key, const char *path, char *why, size_t len)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(why, len, "tls %s %s: %s", key, path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static void
format_time(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "(an unreadable date)");
}

/* Expired or not yet valid: -1; expiring soon: a warning. */
static int
check_dates(X509 *x, const char *path, const char *which, const char *service,
    struct config_warnings *warn, char *why, size_t len)
{
	int days, secs;
	char when[64];

	format_time(X509_get0_notAfter(x), when, sizeof(when));
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) != 1) {
		snprintf(why, len, "tls certificate %s: %s has an unreadable expiry date", path, which);
		return -1;
	}
	if (days < 0 || secs < 0 || (days == 0 && secs == 0)) {
		snprintf(why, len, "tls certificate %s: %s expired on %s", path, which, when);
		return -1;
	}
	if (days < TLS_EXPIRY_WARN_DAYS)
		config_warn(warn, "service \"%s\": tls certificate %s: %s expires on %s, in %d day%s", service,
		    path, which, when, days, days == 1 ? "" : "s");
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		format_time(X509_get0_notBefore(x), when, sizeof(when));
		snprintf(why, len, "tls certificate %s: %s is not valid before %s", path, which, when);
		return -1;
	}
	return 0;
}

/* The leaf and every certificate of its chain. */
static int
check_chain_dates(SSL_CTX *ssl, const char *path, const char *service, struct config_warnings *warn,
    char *why, size_t len)
{
	STACK_OF(X509) *chain = NULL;
	char which[48];

	if (check_dates(SSL_CTX_get0_certificate(ssl), path, "the certificate", service, warn, why, len) == -1)
		return -1;
	if (SSL_CTX_get0_chain_certs(ssl, &chain) != 1 || chain == NULL)
		return 0;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		snprintf(which, sizeof(which), "chain certificate %d", i + 1);
		if (check_dates(sk_X509_value(chain, i), path, which, service, warn, why, len) == -1)
			return -1;
	}
	return 0;
}

static int
load_identity(SSL_CTX *ssl, const struct tls_conf *t, const char *service, struct config_warnings *warn,
    char *why, size_t len)
{
	char what[600];

	if (readable("certificate", t->certificate, why, len) == -1 || readable("key", t->key, why, len) == -1)
		return -1;
	snprintf(what, sizeof(what), "tls certificate %s", t->certificate);
	if (SSL_CTX_use_certificate_chain_file(ssl, t->certificate) != 1) {
		ossl_why(why, len, what);
		return -1;
	}
	snprintf(what, sizeof(what), "tls key %s", t->key);
	if (SSL_CTX_use_PrivateKey_file(ssl, t->key, SSL_FILETYPE_PEM) != 1) {
		unsigned long e = ERR_peek_error();
		if (ERR_GET_LIB(e) != ERR_LIB_X509 || ERR_GET_REASON(e) != X509_R_KEY_VALUES_MISMATCH) {
			ossl_why(why, len, what);
			return -1;
		}
		ERR_clear_error();
		snprintf(why, len, "tls key %s does not match the certificate %s", t->key, t->certificate);
		return -1;
	}
	if (SSL_CTX_check_private_key(ssl) != 1) {
		ERR_clear_error();
		snprintf(why, len, "tls key %s does not match the certificate %s", t->key, t->certificate);
		return -1;
	}
	return check_chain_dates(ssl, t->certificate, service, warn, why, len);
}

static size_t
count_crls(X509_STORE *store)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
	size_t n = 0;

	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++)
		n += X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_CRL;
	return n;
}

/*
 * client_ca: its CAs verify client certificates and are named to the
 * client; CRLs in the same file are checked (then every CA's must be
 * there: OpenSSL refuses a certificate whose issuer has none).
 */
static int
load_client_ca(SSL_CTX *ssl, const struct tls_conf *t, char *why, size_t len)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ssl);
	X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
	STACK_OF(X509_NAME) *names;
	char what[600];
	int mode = SSL_VERIFY_PEER;

	if (t->client_ca == NULL)
		return 0;
	if (readable("client_ca", t->client_ca, why, len) == -1)
		return -1;
	snprintf(what, sizeof(what), "tls client_ca %s", t->client_ca);
	if (lookup == NULL || X509_load_cert_crl_file(lookup, t->client_ca, X509_FILETYPE_PEM) <= 0 ||
	    (names = SSL_load_client_CA_file(t->client_ca)) == NULL) {
		ossl_why(why, len, what);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ssl, names);
	if (count_crls(store) > 0)
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	if (strcmp(t->verify_client, "none") == 0)
		mode = SSL_VERIFY_NONE;
	else if (strcmp(t->verify_client, "require") == 0)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ssl, mode, NULL);
	return 0;
}

static int
set_protocol(SSL_CTX *ssl, const struct tls_conf *t, char *why, size_t len)
{
	int min = strcmp(t->min_version, "1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;

	if (SSL_CTX_set_min_proto_version(ssl, min) != 1) {
		ossl_why(why, len, "tls min_version");
		return -1;
	}
	if (t->ciphers != NULL && SSL_CTX_set_cipher_list(ssl, t->ciphers) != 1) {
		snprintf(why, len, "tls ciphers \"%s\": OpenSSL knows none of them", t->ciphers);
		ERR_clear_error();
		return -1;
	}
	if (t->ciphersuites != NULL && SSL_CTX_set_ciphersuites(ssl, t->ciphersuites) != 1) {
		snprintf(why, len, "tls ciphersuites \"%s\": OpenSSL knows none of them", t->ciphersuites);
		ERR_clear_error();
		return -1;
	}
	/*
	 * No renegotiation (a client's costs us a handshake each time it asks);
	 * a client that closes without close_notify has merely closed; the
	 * read and write buffers go while a connection is idle.
	 */
	SSL_CTX_set_options(ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_dh_auto(ssl, 1);
	SSL_CTX_set_default_passwd_cb(ssl, no_passphrase);
	return 0;
}

/* --- session tickets ------------------------------------------------------- */

/* The MAC's message: which key (a letter: n, a, h), then the period's number, 8 bytes big-endian. */
static int
derive_one(const struct tls_ctx *c, unsigned char which, long long period, unsigned char *out, size_t outlen)
{
	unsigned char msg[9], mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;

	msg[0] = which;
	for (int i = 0; i < 8; i++)
		msg[1 + i] = (unsigned char)((unsigned long long)period >> (56 - 8 * i));
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, c->secret, sizeof(c->secret), msg, sizeof(msg),
	    mac, sizeof(mac), &maclen) == NULL || maclen < outlen)
		return -1;
	memcpy(out, mac, outlen);
	return 0;
}

/* The keys of one period: HMAC-SHA256 of the secret over a key's letter and the period's number. */
static const struct ticket_keys *
keys_for(struct tls_ctx *c, long long period)
{
	struct ticket_keys *slot;

	if (period == c->cur.period)
		return &c->cur;
	if (period == c->prev.period)
		return &c->prev;
	/* a new period moves the current keys back; an older one takes the back seat */
	if (period > c->cur.period) {
		c->prev = c->cur;
		slot = &c->cur;
	} else
		slot = &c->prev;
	slot->period = -1;
	if (derive_one(c, 'n', period, slot->name, sizeof(slot->name)) == -1 ||
	    derive_one(c, 'a', period, slot->aes, sizeof(slot->aes)) == -1 ||
	    derive_one(c, 'h', period, slot->hmac, sizeof(slot->hmac)) == -1)
		return NULL;
	slot->period = period;
	return slot;
}

static int
set_mac_key(EVP_MAC_CTX *hctx, const struct ticket_keys *k)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string("key", (void *)k->hmac, sizeof(k->hmac)),
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

/*
 * OpenSSL's ticket callback: make with this period's keys; take this
 * period's, or the last one's and ask for a new ticket (2); an unknown
 * name is a full handshake (0), never an error.
 */
static int
ticket_keys_cb(SSL *s, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
    EVP_MAC_CTX *hctx, int enc)
{
	struct tls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(s));
	long long now = (long long)time(NULL) / TLS_TICKET_ROTATE_S;
	const struct ticket_keys *k;

	if (enc) {
		if ((k = keys_for(c, now)) == NULL || RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1 || set_mac_key(hctx, k) == -1)
			return -1;
		memcpy(name, k->name, 16);
		return 1;
	}
	for (long long back = 0; back < 2; back++) {
		if ((k = keys_for(c, now - back)) == NULL)
			return -1;
		if (memcmp(name, k->name, 16) != 0)
			continue;
		if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1 || set_mac_key(hctx, k) == -1)
			return -1;
		return back == 0 ? 1 : 2;
	}
	return 0;
}

static int
set_sessions(struct tls_ctx *c, const char *service, char *why, size_t len)
{
	unsigned char sid[EVP_MAX_MD_SIZE];
	unsigned int sidlen = 0;

	if (RAND_priv_bytes(c->secret, sizeof(c->secret)) != 1 ||
	    EVP_Digest(service, strlen(service), sid, &sidlen, EVP_sha256(), NULL) != 1) {
		ossl_why(why, len, "tls session tickets");
		return -1;
	}
	c->cur.period = c->prev.period = -1;
	/* tickets only: a server-side cache would be each worker's own */
	SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_id_context(c->ssl, sid, sidlen > SSL_MAX_SID_CTX_LENGTH ? SSL_MAX_SID_CTX_LENGTH : sidlen);
	SSL_CTX_set_timeout(c->ssl, TLS_TICKET_ROTATE_S);
	SSL_CTX_set_num_tickets(c->ssl, 1);
	SSL_CTX_set_app_data(c->ssl, c);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(c->ssl, ticket_keys_cb);
	return 0;
}

/* --- ALPN -------------------------------------------------------------------- */

/* The first of ours the client offers; none in common: served without ALPN. */
static int
alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
    unsigned int inlen, void *arg)
{
	const struct tls_ctx *c = arg;

	(void)s;
	if (SSL_select_next_proto((unsigned char **)(void *)out, outlen, c->alpn, (unsigned)c->alpn_len,
	    in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

static int
set_alpn(struct tls_ctx *c, const struct tls_conf *t, char *why, size_t len)
{
	size_t n = 0;

	if (t->alpn.n == 0)
		return 0;
	for (size_t i = 0; i < t->alpn.n; i++)
		n += 1 + strlen(t->alpn.v[i]);
	if ((c->alpn = malloc(n)) == NULL) {
		snprintf(why, len, "tls alpn: out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->alpn.n; i++) {
		size_t l = strlen(t->alpn.v[i]);	/* 1-255: config_tls.c */
		c->alpn[c->alpn_len++] = (unsigned char)l;
		memcpy(c->alpn + c->alpn_len, t->alpn.v[i], l);
		c->alpn_len += l;
	}
	SSL_CTX_set_alpn_select_cb(c->ssl, alpn_select, c);
	return 0;
}

/* Whether an SSL object's last call merely waits for the other side. */
static bool
waiting(SSL *s, int r)
{
	int e = SSL_get_error(s, r);

	return r == 1 || e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/*
 * One handshake in memory, our context against a client of OpenSSL's
 * defaults, at load: settings that cannot make a handshake (ciphers the
 * key cannot sign for) are an error now, not at the first client's; and
 * what OpenSSL builds on first use is built here, in the master, shared
 * by every worker forked after, rather than copied into each one's own
 * pages (an idle worker that served one client: 372 KiB private against
 * 88 before).
 */
static int
rehearse(struct tls_ctx *c, char *why, size_t len)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *cl = NULL, *sv = SSL_new(c->ssl);
	BIO *bc = NULL, *bs = NULL;
	int ok = -1;

	/* a client that offers everything: a failure is then the settings', not one client's taste */
	if (cctx != NULL && (SSL_CTX_set_cipher_list(cctx, "ALL:@SECLEVEL=0") != 1 ||
	    SSL_CTX_set_ciphersuites(cctx, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
	    "TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256") != 1))
		ERR_clear_error();	/* then OpenSSL's defaults */
	if (cctx != NULL)
		cl = SSL_new(cctx);
	if (cl == NULL || sv == NULL || BIO_new_bio_pair(&bc, 0, &bs, 0) != 1) {
		ossl_why(why, len, "tls: a handshake at load");
		goto out;
	}
	SSL_set_bio(cl, bc, bc);
	SSL_set_bio(sv, bs, bs);
	SSL_set_verify(sv, SSL_VERIFY_NONE, NULL);	/* our client has no certificate */
	SSL_set_connect_state(cl);
	SSL_set_accept_state(sv);
	for (int turn = 0; turn < 16; turn++) {
		int rc = SSL_do_handshake(cl), rs = SSL_do_handshake(sv);

		if (rc == 1 && rs == 1) {
			ok = 0;
			break;
		}
		if (!waiting(sv, rs) || !waiting(cl, rc))
			break;
	}
	if (ok == -1)
		ossl_why(why, len, "tls: these settings make no handshake (an OpenSSL client tried one at load)");
out:
	SSL_free(cl);
	SSL_free(sv);
	SSL_CTX_free(cctx);
	ERR_clear_error();
	return ok;
}

struct tls_ctx *
tls_ctx_build(const struct tls_conf *t, const char *service, struct config_warnings *warn,
    char *why, size_t len)
{
	struct tls_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->ssl = SSL_CTX_new(TLS_server_method())) == NULL) {
		if (c != NULL)
			ossl_why(why, len, "tls");
		else
			snprintf(why, len, "tls: out of memory");
		free(c);
		return NULL;
	}
	SSL_CTX_set_default_passwd_cb(c->ssl, no_passphrase);
	if (load_identity(c->ssl, t, service, warn, why, len) == -1 || load_client_ca(c->ssl, t, why, len) == -1 ||
	    set_protocol(c->ssl, t, why, len) == -1 || set_sessions(c, service, why, len) == -1 ||
	    set_alpn(c, t, why, len) == -1 || rehearse(c, why, len) == -1) {
		tls_ctx_free(c);
		return NULL;
	}
	return c;
}

void
tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl);
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	OPENSSL_cleanse(&c->cur, sizeof(c->cur));
	OPENSSL_cleanse(&c->prev, sizeof(c->prev));
	free(c->alpn);
	free(c);
}

SSL_CTX *
tls_ctx_ssl(const struct tls_ctx *c)
{
	return c->ssl;
}
