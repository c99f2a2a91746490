/* tlsload: the TLS bench's load generator: handshakes per second (full and resumed), bulk MB/s, held sessions */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/*
 * usage: tlsload --mode full|resumed|bulk|hold|probe --port P [options]
 *
 *   full      every connection: connect, a new TLS handshake, write --size
 *             bytes (64; 0: none), read them back, close_notify, close.
 *   resumed   each client thread first makes one full handshake (not
 *             counted) to get a session, then offers a session on every
 *             connection (SSL_set_session); SSL_session_reused() says
 *             whether the server really resumed it, and `resumed=` counts
 *             those. --session latest (the default) offers the newest
 *             session the server gave (a TLS 1.3 server sends a fresh
 *             ticket on each resumption, and a server whose tickets are
 *             single-use resumes nothing otherwise); --session fixed
 *             offers the first session every time. Exit 1 when fewer than
 *             all the counted connections resumed.
 *   bulk      one connection: a stream through the echo, written and read
 *             at once from one thread (non-blocking), every byte compared
 *             with a pattern; MB/s (10^6 B) of verified echoed bytes.
 *             --mb N stops after N MB (else at --seconds).
 *   hold      open --clients sessions (handshake and one echo each), print
 *             the line, keep them open --seconds, then close them: for
 *             measuring what a held session costs the server.
 *   probe     retry one full handshake and echo until it works (bounded by
 *             --seconds); exit 0 when it did.
 *
 * Options: --host (127.0.0.1; loopback only), --port, --seconds (3),
 * --clients C threads (4), --tls 1.2|1.3 (1.3), --cafile F (verify the
 * chain and that the certificate names --host as an IP address, or
 * --servername as a DNS name; without it nothing is verified),
 * --servername NAME (SNI), --size B (64), --timeout-ms (2000).
 *
 * One line of key=value pairs on stdout, e.g.
 *   mode=full target=127.0.0.1:4433 tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384
 *   clients=4 seconds=3.00 ops=6000 rate=2000.0 unit=hs/s resumed=0 ...
 *   failures=0 p50_us=.. p99_us=.. client_cpu_s=1.23 client_cpu_us_per_op=205.0
 * An operation still in flight when the time is up is neither counted nor
 * failed. Exit status: 0 at least one operation succeeded (resumed: and all
 * resumed), 1 otherwise, 64 usage.
 */

enum mode { M_FULL, M_RESUMED, M_BULK, M_HOLD, M_PROBE };
static const char *const mode_names[] = { "full", "resumed", "bulk", "hold", "probe" };

enum fail { F_CONNECT, F_HANDSHAKE, F_VERIFY, F_IO, F_SHORT, F_TIMEOUT, NFAIL_ };
static const char *const fail_names[] = { "connect", "handshake", "verify", "io", "short", "timeout" };

#define MAX_CLIENTS	512
#define MAX_SIZE	16384
#define PERIOD		65521		/* prime: a shifted stream never matches */
#define CHUNK		16384		/* one TLS record */
#define H_SUB_BITS	5
#define H_SUB		(1u << H_SUB_BITS)
#define H_BUCKETS	(H_SUB + (40 - H_SUB_BITS) * H_SUB)

static struct {
	enum mode mode;
	const char *host;
	int port;
	double seconds;
	int clients;
	int version;		/* TLS1_2_VERSION or TLS1_3_VERSION */
	const char *cafile;
	const char *servername;
	int size;
	int timeout_ms;
	double mb;
	int fixed_session;
	struct sockaddr_storage sa;
	socklen_t salen;
} opt;

struct stats {
	uint64_t ops, resumed, bytes;
	uint64_t fail[NFAIL_];
	uint64_t hist[H_BUCKETS];
	char cipher[64], version[16];
	char first_error[160];
};

struct client {
	pthread_t tid;
	int idx;
	struct stats st;
	SSL_SESSION *sess;
	unsigned char tx[MAX_SIZE], rx[MAX_SIZE];
};

static SSL_CTX *ctx;
static unsigned char *pattern;		/* PERIOD + CHUNK bytes */
static pthread_barrier_t ready_barrier, go_barrier;
static int64_t run_start, run_deadline;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static unsigned
hist_index(uint64_t v)
{
	unsigned e, idx;

	if (v < H_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	idx = H_SUB + (e - H_SUB_BITS) * H_SUB + (unsigned)((v >> (e - H_SUB_BITS)) - H_SUB);
	return idx < H_BUCKETS ? idx : H_BUCKETS - 1;
}

static double
hist_value(unsigned idx)
{
	unsigned k, sub;
	double width;

	if (idx < H_SUB)
		return idx;
	k = (idx - H_SUB) / H_SUB;
	sub = (idx - H_SUB) % H_SUB;
	width = (double)(1ull << k);
	return (double)(H_SUB + sub) * width + width / 2;
}

static double
hist_pct_us(const struct stats *st, double p)
{
	uint64_t total = 0, rank, cum = 0;
	unsigned i;

	for (i = 0; i < H_BUCKETS; i++)
		total += st->hist[i];
	if (total == 0)
		return 0;
	rank = (uint64_t)(p * (double)total + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < H_BUCKETS; i++) {
		cum += st->hist[i];
		if (cum >= rank)
			return hist_value(i) / 1000.0;
	}
	return hist_value(H_BUCKETS - 1) / 1000.0;
}

/* Count a failure; keep the first one's reason for stderr. */
static void
fail(struct stats *st, enum fail f, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char ebuf[120] = "";
	int saved = errno;

	st->fail[f]++;
	errno = saved;
	if (st->first_error[0] == '\0') {
		if (e != 0)
			ERR_error_string_n(e, ebuf, sizeof(ebuf));
		snprintf(st->first_error, sizeof(st->first_error), "%s: %s: %s", fail_names[f],
		    what, ebuf[0] ? ebuf : (errno ? strerror(errno) : "-"));
	}
	ERR_clear_error();
}

static int
is_timeout(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT;
}

/* A blocking TCP connection with send and receive timeouts; -1 on failure. */
static int
tcp_open(struct stats *st)
{
	struct timeval tv = { opt.timeout_ms / 1000, (opt.timeout_ms % 1000) * 1000 };
	int fd, one = 1;

	fd = socket(opt.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		fail(st, F_CONNECT, "socket");
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&opt.sa, opt.salen) == -1) {
		fail(st, is_timeout(errno) ? F_TIMEOUT : F_CONNECT, "connect");
		close(fd);
		if (errno == ECONNREFUSED) {
			struct timespec ms = { 0, 1000000 };

			nanosleep(&ms, NULL);	/* a dead target is not spun on */
		}
		return -1;
	}
	return fd;
}

/* Start TLS on fd, offering sess (may be NULL); NULL on failure (counted). */
static SSL *
tls_open(struct stats *st, int fd, SSL_SESSION *sess)
{
	SSL *ssl;
	int r, e;
	long v;

	if ((ssl = SSL_new(ctx)) == NULL) {
		fail(st, F_HANDSHAKE, "SSL_new");
		return NULL;
	}
	SSL_set_fd(ssl, fd);
	if (opt.servername != NULL) {
		SSL_set_tlsext_host_name(ssl, opt.servername);
		if (opt.cafile != NULL)
			SSL_set1_host(ssl, opt.servername);
	} else if (opt.cafile != NULL) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), opt.host);
	}
	if (sess != NULL)
		SSL_set_session(ssl, sess);
	errno = 0;
	if ((r = SSL_connect(ssl)) != 1) {
		e = SSL_get_error(ssl, r);
		v = SSL_get_verify_result(ssl);
		if (v != X509_V_OK)
			fail(st, F_VERIFY, X509_verify_cert_error_string(v));
		else if (e == SSL_ERROR_SYSCALL && is_timeout(errno))
			fail(st, F_TIMEOUT, "handshake");
		else
			fail(st, F_HANDSHAKE, "SSL_connect");
		SSL_free(ssl);
		return NULL;
	}
	if (st->cipher[0] == '\0') {
		snprintf(st->cipher, sizeof(st->cipher), "%s", SSL_get_cipher_name(ssl));
		snprintf(st->version, sizeof(st->version), "%s", SSL_get_version(ssl));
	}
	return ssl;
}

/* Write the request and read its echo back; 0 when it came back intact. */
static int
echo_once(struct client *c, SSL *ssl, uint64_t seq)
{
	int r, got = 0, e;

	if (opt.size == 0)
		return 0;
	memcpy(c->tx, &seq, sizeof(seq) < (size_t)opt.size ? sizeof(seq) : (size_t)opt.size);
	errno = 0;
	if ((r = SSL_write(ssl, c->tx, opt.size)) != opt.size) {
		e = SSL_get_error(ssl, r);
		fail(&c->st, e == SSL_ERROR_SYSCALL && is_timeout(errno) ? F_TIMEOUT : F_IO, "write");
		return -1;
	}
	while (got < opt.size) {
		errno = 0;
		r = SSL_read(ssl, c->rx + got, opt.size - got);
		if (r <= 0) {
			e = SSL_get_error(ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN)
				fail(&c->st, F_SHORT, "EOF before the echo");
			else
				fail(&c->st, e == SSL_ERROR_SYSCALL && is_timeout(errno) ?
				    F_TIMEOUT : F_IO, "read");
			return -1;
		}
		got += r;
	}
	if (memcmp(c->tx, c->rx, (size_t)opt.size) != 0) {
		fail(&c->st, F_SHORT, "the echo differs from what was sent");
		return -1;
	}
	return 0;
}

static void
tls_close(SSL *ssl, int fd)
{
	if (ssl != NULL) {
		SSL_shutdown(ssl);	/* our close_notify; we do not wait for theirs */
		SSL_free(ssl);
	}
	close(fd);
}

/*
 * One connection: connect, handshake (offering sess), echo, close.
 * 1 ok, 0 failed (counted). *reused says whether the session was resumed;
 * *newsess gets the newest resumable session when newsess is not NULL.
 */
static int
one_conn(struct client *c, SSL_SESSION *sess, uint64_t seq, int *reused, SSL_SESSION **newsess)
{
	SSL_SESSION *s;
	SSL *ssl;
	int fd;

	*reused = 0;
	if ((fd = tcp_open(&c->st)) == -1)
		return 0;
	if ((ssl = tls_open(&c->st, fd, sess)) == NULL) {
		close(fd);
		return 0;
	}
	if (echo_once(c, ssl, seq) != 0) {
		SSL_free(ssl);
		close(fd);
		return 0;
	}
	*reused = SSL_session_reused(ssl);
	if (newsess != NULL && (s = SSL_get1_session(ssl)) != NULL) {
		if (SSL_SESSION_is_resumable(s)) {
			SSL_SESSION_free(*newsess);
			*newsess = s;
		} else {
			SSL_SESSION_free(s);
		}
	}
	tls_close(ssl, fd);
	return 1;
}

static void *
handshake_client(void *arg)
{
	struct client *c = arg;
	uint64_t seq = (uint64_t)c->idx << 40;
	int64_t t0, t1;
	int reused, ok;

	memset(c->tx, 'A' + c->idx % 26, sizeof(c->tx));
	if (opt.mode == M_RESUMED) {
		/* the session to offer: one full handshake, not counted */
		for (int i = 0; i < 5 && c->sess == NULL; i++)
			one_conn(c, NULL, seq++, &reused, &c->sess);
		if (c->sess == NULL && c->st.first_error[0] == '\0')
			snprintf(c->st.first_error, sizeof(c->st.first_error),
			    "the server gave no resumable session (with --size 0 a TLS 1.3 ticket is never read)");
	}
	pthread_barrier_wait(&ready_barrier);
	pthread_barrier_wait(&go_barrier);
	if (opt.mode == M_RESUMED && c->sess == NULL)
		return NULL;
	while ((t0 = now_ns()) < run_deadline) {
		ok = one_conn(c, opt.mode == M_RESUMED ? c->sess : NULL, seq++, &reused,
		    opt.mode == M_RESUMED && !opt.fixed_session ? &c->sess : NULL);
		t1 = now_ns();
		if (t1 > run_deadline)
			break;	/* in flight at the end: neither counted nor failed */
		if (!ok)
			continue;
		c->st.ops++;
		c->st.resumed += (uint64_t)reused;
		c->st.hist[hist_index((uint64_t)(t1 - t0))]++;
	}
	return NULL;
}

/* --- bulk ------------------------------------------------------------------- */

static void
pattern_init(void)
{
	uint32_t x = 2463534242u;
	size_t i;

	if ((pattern = malloc(PERIOD + CHUNK)) == NULL) {
		perror("tlsload: malloc");
		exit(1);
	}
	for (i = 0; i < PERIOD; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[i] = (unsigned char)x;
	}
	memcpy(pattern + PERIOD, pattern, CHUNK);
}

static int
run_bulk(struct stats *st, double *elapsed)
{
	const uint64_t window = 1u << 20;	/* bytes in flight at most */
	uint64_t total = opt.mb > 0 ? (uint64_t)(opt.mb * 1e6) : UINT64_MAX, tx = 0, rx = 0;
	unsigned char buf[CHUNK];
	struct pollfd pfd;
	SSL *ssl;
	int fd, fl, r, e, progressed;
	int64_t now, t_end;

	pattern_init();
	if ((fd = tcp_open(st)) == -1)
		return -1;
	if ((ssl = tls_open(st, fd, NULL)) == NULL) {
		close(fd);
		return -1;
	}
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	run_start = now_ns();
	run_deadline = run_start + (int64_t)(opt.seconds * 1e9);
	pfd.fd = fd;
	while ((now = now_ns()) < run_deadline && rx < total) {
		progressed = 0;
		pfd.events = POLLIN;
		if (tx < total && tx - rx < window) {
			size_t n = (size_t)(total - tx < CHUNK ? total - tx : CHUNK);

			r = SSL_write(ssl, pattern + tx % PERIOD, (int)n);
			if (r > 0) {
				tx += (uint64_t)r;
				progressed = 1;
			} else if ((e = SSL_get_error(ssl, r)) == SSL_ERROR_WANT_WRITE) {
				pfd.events |= POLLOUT;
			} else if (e != SSL_ERROR_WANT_READ) {
				fail(st, F_IO, "bulk write");
				break;
			}
		}
		r = SSL_read(ssl, buf, sizeof(buf));
		if (r > 0) {
			if (memcmp(buf, pattern + rx % PERIOD, (size_t)r) != 0) {
				fail(st, F_SHORT, "bulk: the echo differs from what was sent");
				break;
			}
			rx += (uint64_t)r;
			progressed = 1;
		} else if ((e = SSL_get_error(ssl, r)) == SSL_ERROR_WANT_WRITE) {
			pfd.events |= POLLOUT;
		} else if (e != SSL_ERROR_WANT_READ) {
			fail(st, e == SSL_ERROR_ZERO_RETURN ? F_SHORT : F_IO, "bulk read");
			break;
		}
		if (!progressed) {
			int ms = (int)((run_deadline - now) / 1000000) + 1;

			if (ms > opt.timeout_ms)
				ms = opt.timeout_ms;
			r = poll(&pfd, 1, ms);
			if (r == 0 && now_ns() < run_deadline) {
				fail(st, F_TIMEOUT, "bulk: no progress");
				break;
			}
		}
	}
	t_end = now_ns();
	if (t_end > run_deadline)
		t_end = run_deadline;
	*elapsed = (double)(t_end - run_start) / 1e9;
	st->bytes = rx;
	st->ops = rx;
	fcntl(fd, F_SETFL, fl);
	tls_close(ssl, fd);
	return 0;
}

/* --- hold ------------------------------------------------------------------- */

static int
run_hold(struct client *c)
{
	SSL *ssls[MAX_CLIENTS];
	int fds[MAX_CLIENTS], n = 0, i;
	struct timespec ts;
	uint64_t seq = 1;

	memset(c->tx, 'H', sizeof(c->tx));
	for (i = 0; i < opt.clients; i++) {
		if ((fds[n] = tcp_open(&c->st)) == -1)
			continue;
		if ((ssls[n] = tls_open(&c->st, fds[n], NULL)) == NULL) {
			close(fds[n]);
			continue;
		}
		if (echo_once(c, ssls[n], seq++) != 0) {
			tls_close(ssls[n], fds[n]);
			continue;
		}
		n++;
	}
	c->st.ops = (uint64_t)n;
	printf("mode=hold target=%s:%d tls=%s cipher=%s held=%d wanted=%d failures=%" PRIu64 "\n",
	    opt.host, opt.port, c->st.version[0] ? c->st.version : "-",
	    c->st.cipher[0] ? c->st.cipher : "-", n, opt.clients,
	    (uint64_t)(opt.clients - n));
	fflush(stdout);
	ts.tv_sec = (time_t)opt.seconds;
	ts.tv_nsec = (long)((opt.seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	for (i = 0; i < n; i++)
		tls_close(ssls[i], fds[i]);
	if (c->st.first_error[0])
		fprintf(stderr, "tlsload: first failure: %s\n", c->st.first_error);
	return n == opt.clients ? 0 : 1;
}

/* --- main ------------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: tlsload --mode full|resumed|bulk|hold|probe --port P [--host 127.0.0.1]\n"
	    "  [--seconds 3] [--clients 4] [--tls 1.2|1.3] [--cafile F] [--servername N]\n"
	    "  [--size 64] [--mb N] [--timeout-ms 2000] [--session latest|fixed]\n");
	exit(64);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' }, { "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' }, { "seconds", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'c' }, { "tls", required_argument, NULL, 't' },
		{ "cafile", required_argument, NULL, 'a' }, { "servername", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'z' }, { "timeout-ms", required_argument, NULL, 'T' },
		{ "mb", required_argument, NULL, 'M' }, { "session", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_in *sin = (struct sockaddr_in *)&opt.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&opt.sa;
	int ch, m;

	opt.mode = M_FULL;
	opt.host = "127.0.0.1";
	opt.seconds = 3;
	opt.clients = 4;
	opt.version = TLS1_3_VERSION;
	opt.size = 64;
	opt.timeout_ms = 2000;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'm':
			for (m = 0; m < (int)(sizeof(mode_names) / sizeof(mode_names[0])); m++)
				if (strcmp(optarg, mode_names[m]) == 0)
					break;
			if (m == (int)(sizeof(mode_names) / sizeof(mode_names[0])))
				usage();
			opt.mode = (enum mode)m;
			break;
		case 'H': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 's': opt.seconds = atof(optarg); break;
		case 'c': opt.clients = atoi(optarg); break;
		case 't':
			if (strcmp(optarg, "1.2") == 0)
				opt.version = TLS1_2_VERSION;
			else if (strcmp(optarg, "1.3") == 0)
				opt.version = TLS1_3_VERSION;
			else
				usage();
			break;
		case 'a': opt.cafile = optarg; break;
		case 'n': opt.servername = optarg; break;
		case 'z': opt.size = atoi(optarg); break;
		case 'T': opt.timeout_ms = atoi(optarg); break;
		case 'M': opt.mb = atof(optarg); break;
		case 'S':
			if (strcmp(optarg, "fixed") == 0)
				opt.fixed_session = 1;
			else if (strcmp(optarg, "latest") != 0)
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc || opt.port <= 0 || opt.port > 65535 || opt.seconds <= 0 ||
	    opt.clients < 1 || opt.clients > MAX_CLIENTS || opt.size < 0 || opt.size > MAX_SIZE ||
	    opt.timeout_ms < 1)
		usage();
	memset(&opt.sa, 0, sizeof(opt.sa));
	if (inet_pton(AF_INET, opt.host, &sin->sin_addr) == 1) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
			fprintf(stderr, "tlsload: %s is not a loopback address\n", opt.host);
			exit(64);
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)opt.port);
		opt.salen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, opt.host, &sin6->sin6_addr) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)opt.port);
		opt.salen = sizeof(*sin6);
	} else {
		fprintf(stderr, "tlsload: --host must be a loopback address\n");
		exit(64);
	}
}

static void
ctx_init(void)
{
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		fprintf(stderr, "tlsload: SSL_CTX_new failed\n");
		exit(1);
	}
	SSL_CTX_set_min_proto_version(ctx, opt.version);
	SSL_CTX_set_max_proto_version(ctx, opt.version);
	/* sessions are kept by hand (SSL_get1_session), never by the context */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (opt.cafile != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, opt.cafile, NULL) != 1) {
			fprintf(stderr, "tlsload: cannot load %s\n", opt.cafile);
			ERR_print_errors_fp(stderr);
			exit(1);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
}

static void
print_line(const struct stats *t, double secs, double cpu, int exitcode)
{
	uint64_t failures = 0;
	unsigned i;

	for (i = 0; i < NFAIL_; i++)
		failures += t->fail[i];
	printf("mode=%s target=%s:%d tls=%s cipher=%s clients=%d seconds=%.2f ops=%" PRIu64,
	    mode_names[opt.mode], opt.host, opt.port, t->version[0] ? t->version : "-",
	    t->cipher[0] ? t->cipher : "-", opt.mode == M_BULK ? 1 : opt.clients, secs, t->ops);
	if (opt.mode == M_BULK)
		printf(" bytes=%" PRIu64 " rate=%.1f unit=MB/s", t->bytes,
		    secs > 0 ? (double)t->bytes / 1e6 / secs : 0.0);
	else
		printf(" rate=%.1f unit=hs/s resumed=%" PRIu64 " p50_us=%.1f p99_us=%.1f",
		    secs > 0 ? (double)t->ops / secs : 0.0, t->resumed,
		    hist_pct_us(t, 0.50), hist_pct_us(t, 0.99));
	printf(" failures=%" PRIu64, failures);
	for (i = 0; i < NFAIL_; i++)
		printf(" fail_%s=%" PRIu64, fail_names[i], t->fail[i]);
	printf(" client_cpu_s=%.3f", cpu);
	if (t->ops > 0 && opt.mode != M_BULK)
		printf(" client_cpu_us_per_op=%.1f", cpu * 1e6 / (double)t->ops);
	else if (t->bytes > 0)
		printf(" client_cpu_us_per_mb=%.1f", cpu * 1e6 / ((double)t->bytes / 1e6));
	printf(" status=%s\n", exitcode == 0 ? "ok" : "failed");
}

int
main(int argc, char **argv)
{
	static struct client cl[MAX_CLIENTS];
	struct stats total;
	double cpu0, cpu1, secs;
	int i, j, rc;

	parse(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	ctx_init();
	memset(&total, 0, sizeof(total));

	if (opt.mode == M_HOLD) {
		cl[0].idx = 0;
		return run_hold(&cl[0]);
	}
	if (opt.mode == M_PROBE) {
		int64_t dl = now_ns() + (int64_t)(opt.seconds * 1e9);
		int reused;

		opt.mode = M_FULL;
		do {
			if (one_conn(&cl[0], NULL, 1, &reused, NULL)) {
				printf("mode=probe target=%s:%d tls=%s ok=1\n", opt.host, opt.port,
				    cl[0].st.version);
				return 0;
			}
			struct timespec ts = { 0, 20000000 };
			nanosleep(&ts, NULL);
		} while (now_ns() < dl);
		printf("mode=probe target=%s:%d ok=0 error=\"%s\"\n", opt.host, opt.port,
		    cl[0].st.first_error);
		return 1;
	}
	if (opt.mode == M_BULK) {
		cpu0 = cpu_seconds();
		rc = run_bulk(&total, &secs);
		cpu1 = cpu_seconds();
		if (rc != 0)
			secs = 0;
		rc = total.bytes > 0 ? 0 : 1;
		print_line(&total, secs, cpu1 - cpu0, rc);
		if (total.first_error[0])
			fprintf(stderr, "tlsload: first failure: %s\n", total.first_error);
		return rc;
	}

	pthread_barrier_init(&ready_barrier, NULL, (unsigned)opt.clients + 1);
	pthread_barrier_init(&go_barrier, NULL, (unsigned)opt.clients + 1);
	for (i = 0; i < opt.clients; i++) {
		cl[i].idx = i;
		if (pthread_create(&cl[i].tid, NULL, handshake_client, &cl[i]) != 0) {
			fprintf(stderr, "tlsload: pthread_create failed\n");
			return 1;
		}
	}
	pthread_barrier_wait(&ready_barrier);
	cpu0 = cpu_seconds();
	run_start = now_ns();
	run_deadline = run_start + (int64_t)(opt.seconds * 1e9);
	pthread_barrier_wait(&go_barrier);
	for (i = 0; i < opt.clients; i++)
		pthread_join(cl[i].tid, NULL);
	cpu1 = cpu_seconds();
	secs = opt.seconds;
	for (i = 0; i < opt.clients; i++) {
		total.ops += cl[i].st.ops;
		total.resumed += cl[i].st.resumed;
		for (j = 0; j < NFAIL_; j++)
			total.fail[j] += cl[i].st.fail[j];
		for (j = 0; j < (int)H_BUCKETS; j++)
			total.hist[j] += cl[i].st.hist[j];
		if (total.cipher[0] == '\0' && cl[i].st.cipher[0] != '\0') {
			memcpy(total.cipher, cl[i].st.cipher, sizeof(total.cipher));
			memcpy(total.version, cl[i].st.version, sizeof(total.version));
		}
		if (total.first_error[0] == '\0' && cl[i].st.first_error[0] != '\0')
			memcpy(total.first_error, cl[i].st.first_error, sizeof(total.first_error));
		SSL_SESSION_free(cl[i].sess);
	}
	rc = total.ops > 0 ? 0 : 1;
	if (opt.mode == M_RESUMED && total.resumed < total.ops)
		rc = 1;	/* a resumption row where some did not resume is not a number */
	print_line(&total, secs, cpu1 - cpu0, rc);
	if (total.first_error[0])
		fprintf(stderr, "tlsload: first failure: %s\n", total.first_error);
	if (opt.mode == M_RESUMED && total.resumed < total.ops)
		fprintf(stderr, "tlsload: %" PRIu64 " of %" PRIu64 " connections were not resumed\n",
		    total.ops - total.resumed, total.ops);
	SSL_CTX_free(ctx);
	return rc;
}
