/* The worker's side of TLS: one connection's handshake, its reads and writes, what it says about itself. */
#ifndef NETSRVD_TLS_CONN_H
#define NETSRVD_TLS_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct tls_ctx;

/* What a handshake made, for the access log, the metrics and an exec program's environment. */
struct tls_info {
	char version[16];		/* "TLSv1.3" */
	char cipher[64];
	char sni[256];			/* "" without one; bytes outside [A-Za-z0-9._-] shown as '?' */
	bool resumed;
	bool client_cert;		/* the fields below are filled */
	char subject[512];		/* RFC 2253 */
	char issuer[512];
	char serial[128];		/* hex, upper case */
	char sha256[65];		/* of the DER, lower-case hex */
};

struct tls_conn {
	SSL *ssl;
	int fd;
	/* what a read, and a write, waits for: POLLIN or POLLOUT (a record may need the other way) */
	short read_needs, write_needs;
	bool broken;			/* a fatal error: no close_notify is owed */
	bool shut_sent;			/* our close_notify went */
	int64_t handshake_us;
	struct tls_info info;
};

enum tls_accept_result { TLS_ACCEPT_OK, TLS_ACCEPT_FAILED, TLS_ACCEPT_TIMEOUT };

/*
 * The server's handshake on fd (made non-blocking) within timeout_ms of
 * the call, marking *progress (may be NULL) at each step. OK fills c's
 * info; FAILED and TIMEOUT say why ("unsupported protocol", "certificate
 * verify failed: certificate has expired") and leave c freed. Either way
 * c->handshake_us says how long it took.
 */
enum tls_accept_result tls_conn_accept(struct tls_conn *c, const struct tls_ctx *ctx, int fd,
    int timeout_ms, _Atomic int64_t *progress, char *why, size_t len);
/*
 * As recv and send on a non-blocking socket: bytes moved, 0 at the
 * client's close_notify or FIN (read), -1 with errno EAGAIN while the
 * record layer waits (tls_conn_events says for what) or ECONNRESET once the
 * connection is broken (the reason logged at debug).
 */
ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t len);
ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t len);
/* Bytes already decrypted and not read yet: a poll on the socket would not see them. */
bool tls_conn_pending(const struct tls_conn *c);
/* What to poll the socket for so that what the caller waits for (events) can happen. */
short tls_conn_events(const struct tls_conn *c, short events);
/*
 * Our close_notify, the client still free to send (a half-close): 1 sent,
 * 0 not yet (tls_conn_events says what to wait for), -1 broken.
 */
int tls_conn_shutdown_write(struct tls_conn *c);
/* Ends it: our close_notify (unless broken; one try, no wait for the client's), then frees. */
void tls_conn_close(struct tls_conn *c);

#endif
