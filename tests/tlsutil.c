/* What the TLS tests share: the certificates they make, the clients they drive (openssl, gnutls-cli, curl), the metrics they read. */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tlsutil.h"

/*
 * The whole PKI as one shell script, run with set -e in d->dir: every
 * openssl exit status is checked by the shell, and the script's by the
 * test. openssl ca (not x509 -req) because it alone sets dates in the
 * past (OpenSSL 3.0's x509 has no -not_before) and keeps the database a
 * CRL is made from.
 */
static const char pki_script[] =
    "set -e\n"
    "umask 022\n"
    "ca() {\n"
    "  mkdir -p \"$1.db\"; : > \"$1.db/index.txt\"; echo 1000 > \"$1.db/serial\"\n"
    "  cat > \"$1.cnf\" <<CNF\n"
    "[ca]\n"
    "default_ca = ca_$1\n"
    "[ca_$1]\n"
    "database = $1.db/index.txt\n"
    "serial = $1.db/serial\n"
    "new_certs_dir = $1.db\n"
    "certificate = $1.pem\n"
    "private_key = $1.key\n"
    "default_md = sha256\n"
    "default_days = 365\n"
    "default_crl_days = 30\n"
    "policy = anything\n"
    "unique_subject = no\n"
    "copy_extensions = none\n"
    "[anything]\n"
    "O = optional\n"
    "CN = supplied\n"
    "[leaf]\n"
    "basicConstraints = critical,CA:FALSE\n"
    "keyUsage = critical,digitalSignature\n"
    "extendedKeyUsage = serverAuth,clientAuth\n"
    "subjectAltName = IP:127.0.0.1,DNS:localhost\n"
    "CNF\n"
    "  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout \"$1.key\" \\\n"
    "    -out \"$1.pem\" -days 3650 -subj \"/O=test/CN=$2\" \\\n"
    "    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null\n"
    "}\n"
    /* a leaf: name, CN, its CA, then openssl ca's date options; an existing key is kept (a renewal) */
    "leaf() {\n"
    "  n=$1 cn=$2 c=$3; shift 3\n"
    "  [ -f \"$n.key\" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \"$n.key\"\n"
    "  openssl req -new -key \"$n.key\" -out \"$n.csr\" -subj \"/O=test/CN=$cn\"\n"
    "  openssl ca -batch -notext -config \"$c.cnf\" -extensions leaf -in \"$n.csr\" -out \"$n.pem\" \"$@\" 2>/dev/null\n"
    "}\n"
    "ca ca 'test CA'\n"
    "ca clientca 'client CA'\n"
    "ca otherca 'other CA'\n"
    "leaf server localhost ca -days 365\n"
    "cat server.pem ca.pem > fullchain.pem\n"
    "leaf client client clientca -days 365\n"
    "leaf other client otherca -days 365\n"
    "leaf expired client clientca -startdate 20200101000000Z -enddate 20200201000000Z\n"
    "leaf revoked client clientca -days 365\n"
    "openssl ca -config clientca.cnf -revoke revoked.pem 2>/dev/null\n"
    "openssl ca -config clientca.cnf -gencrl -out clientca.crl 2>/dev/null\n"
    "cat clientca.pem clientca.crl > client_ca.pem\n"
    "leaf server_expired localhost ca -startdate 20200101000000Z -enddate 20200201000000Z\n"
    "cat server_expired.pem ca.pem > expired_chain.pem\n"
    "leaf server_soon localhost ca -days 3\n"
    "cat server_soon.pem ca.pem > soon_chain.pem\n"
    "cp server.key server_renewed.key\n"
    "leaf server_renewed localhost ca -days 365\n"
    "cat server_renewed.pem ca.pem > renewed_chain.pem\n"
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out wrong.key\n"
    /* -t's other refusals: not valid yet, a key with a passphrase, a chain with a broken block */
    "leaf server_future localhost ca -startdate 20991201000000Z -enddate 21000101000000Z\n"
    "cat server_future.pem ca.pem > future_chain.pem\n"
    "openssl pkey -in server.key -aes256 -passout pass:secret -out encrypted.key\n"
    "{ cat server.pem; printf -- '-----BEGIN CERTIFICATE-----\\nbm90IGEgY2VydGlmaWNhdGU=\\n-----END CERTIFICATE-----\\n'; }"
    " > broken_chain.pem\n"
    /* two CAs, a CRL for one only: its certificates are refused (every CA's CRL must be there) */
    "cat clientca.pem clientca.crl otherca.pem > two_ca.pem\n";

const char *
tls_path(struct daemon *d, const char *name)
{
	static char ring[8][320];
	static int next;
	char *p = ring[next++ % 8];

	snprintf(p, sizeof(ring[0]), "%s/%s", d->dir, name);
	return p;
}

void
tls_make_pki(struct daemon *d)
{
	char script[sizeof(pki_script) + 300], out[8192];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };

#ifndef HAVE_TLS
	/* configure --disable-tls, or a tree from before TLS: the daemon refuses the key */
	print_message("skipped: netsrvd was built without TLS\n");
	skip();
#endif
	snprintf(script, sizeof(script), "cd '%s'\n%s", d->dir, pki_script);
	if (h_run(argv, out, sizeof(out), 60000) != 0)
		fail_msg("making the certificates failed:\n%s", out);
}

void
tls_conf(struct daemon *d, int port, int sport, const char *service_keys, const char *tls_keys,
    const char *globals)
{
	h_write_conf(d, "%s\n%s\n"
	    "log = { connections = true; level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"s\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; %s\n"
	    "   tls = { certificate = \"%s\"; key = \"%s\"; %s }; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\";"
	    " workers = 1; } );\n",
	    globals, strstr(globals, "shutdown_timeout") ? "" : "shutdown_timeout = 1;", port, service_keys,
	    tls_path(d, "fullchain.pem"), tls_path(d, "server.key"), tls_keys,
	    sport);
}

void
tls_start(struct daemon *d)
{
	int64_t end;

	h_start(d, NULL);
	end = h_now_ms() + h_hang_ms(20000);
	/* a master that refused the configuration is gone: say so at once, not at the bound */
	while (!h_log_contains(d, "started:")) {
		int st;

		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			h_fail_with_log(d, "netsrvd exited instead of starting");
		}
		if (h_now_ms() > end)
			h_fail_with_log(d, "netsrvd did not start");
		h_sleep_ms(20);
	}
}

void
tls_start_echo(struct daemon *d, int port, int sport, const char *tls_keys, const char *globals)
{
	tls_make_pki(d);
	tls_conf(d, port, sport, TLS_ECHO_KEYS, tls_keys, globals);
	tls_start(d);
}

const char *
tls_client_keys(struct daemon *d, const char *verify)
{
	static char keys[600];

	snprintf(keys, sizeof(keys), "client_ca = \"%s\"; verify_client = \"%s\";", tls_path(d, "client_ca.pem"),
	    verify);
	return keys;
}

/* ---- client programs ---------------------------------------------------- */

static pid_t running[64];
static size_t nrunning;

void
proc_start(struct proc *p, const char *const *argv, const char *const *env)
{
	int in[2], out[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	p->pid = fork();
	assert_true(p->pid != -1);
	if (p->pid == 0) {
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 || dup2(out[1], 2) == -1)
			_exit(127);
		for (int i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->in = in[1];
	p->out = out[0];
	assert_true(nrunning < sizeof(running) / sizeof(running[0]));
	running[nrunning++] = p->pid;
}

bool
proc_write(struct proc *p, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(p->in, s, len);
		if (n <= 0)
			return false;
		s += n;
		len -= (size_t)n;
	}
	return true;
}

/* One read into p->buf within the bound; 0 on EOF or the bound, -1 if the buffer is full. */
static int
proc_read_some(struct proc *p, int64_t end)
{
	struct pollfd pf = { p->out, POLLIN, 0 };
	int left = (int)(end - h_now_ms());
	ssize_t n;

	if (p->out < 0 || left <= 0 || poll(&pf, 1, left) != 1)
		return 0;
	if (p->got + 1 >= sizeof(p->buf))
		return -1;
	n = read(p->out, p->buf + p->got, sizeof(p->buf) - 1 - p->got);
	if (n <= 0)
		return 0;
	p->got += (size_t)n;
	p->buf[p->got] = '\0';
	return 1;
}

bool
proc_expect(struct proc *p, const char *want, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	p->buf[p->got] = '\0';
	while (strstr(p->buf, want) == NULL)
		if (proc_read_some(p, end) != 1)
			return false;
	return true;
}

static void
forget(pid_t pid)
{
	for (size_t i = 0; i < nrunning; i++)
		if (running[i] == pid)
			running[i] = running[--nrunning];
}

int
proc_finish(struct proc *p, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);
	int st;

	if (p->in >= 0)
		close(p->in);
	p->in = -1;
	while (proc_read_some(p, end) == 1)
		;
	close(p->out);
	p->out = -1;
	st = h_wait_exit(p->pid, (int)(end - h_now_ms()) > 0 ? (int)(end - h_now_ms()) : 1);
	if (st == -1) {
		kill(p->pid, SIGKILL);
		h_wait_exit(p->pid, 2000);
	}
	forget(p->pid);
	p->pid = 0;
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
proc_kill_all(void)
{
	while (nrunning > 0) {
		pid_t pid = running[--nrunning];
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

int
tls_teardown(void **state)
{
	proc_kill_all();
	return h_fixture_teardown(state);
}

void
tls_s_client(struct daemon *d, const char **argv, int max, int port, const char *const *extra)
{
	static char connect[8][32];
	static int next;
	char *c = connect[next++ % 8];
	int n = 0;

	snprintf(c, sizeof(connect[0]), "127.0.0.1:%d", port);
	argv[n++] = "openssl";
	argv[n++] = "s_client";
	argv[n++] = "-connect";
	argv[n++] = c;
	argv[n++] = "-CAfile";
	argv[n++] = tls_path(d, "ca.pem");
	argv[n++] = "-verify_return_error";
	for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
		assert_true(n < max - 1);
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
}

bool
tls_echo(struct daemon *d, struct proc *p, int port, const char *line, const char *const *extra)
{
	const char *argv[40], *words[32];
	int n = 0;
	bool back;

	/* -quiet alone would wait for the server's close after our EOF: the echo server waits for ours */
	words[n++] = "-quiet";
	words[n++] = "-no_ign_eof";
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
		words[n++] = extra[i];
	words[n] = NULL;
	tls_s_client(d, argv, 40, port, words);
	proc_start(p, argv, NULL);
	back = proc_write(p, line) && proc_expect(p, line, TLS_IO_MS);
	(void)proc_finish(p, TLS_IO_MS);
	return back;
}

bool
tls_echo_as(struct daemon *d, int port, const char *name, const char *version)
{
	char cert[64], key[64];
	struct proc p;

	if (name == NULL) {
		const char *extra[] = { version, NULL };
		return tls_echo(d, &p, port, "who am i\n", extra);
	}
	snprintf(cert, sizeof(cert), "%s.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	const char *extra[] = { version, "-cert", tls_path(d, cert), "-key", tls_path(d, key), NULL };
	return tls_echo(d, &p, port, "who am i\n", extra);
}

/* ---- metrics and the log ------------------------------------------------ */

long long
tls_metric_sum(int sport, const char *prefix)
{
	static char page[1 << 20];
	const char *req = "GET /metrics HTTP/1.0\r\n\r\n";
	int fd = h_connect("127.0.0.1", sport, 2000);
	long long sum = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = h_write_all(fd, req, strlen(req)) ? h_read_all(fd, page, sizeof(page) - 1, 3000) : -1;
	close(fd);
	if (n <= 0)
		return -1;
	page[n] = '\0';
	if (strncmp(page, "HTTP/1.0 200 ", 13) != 0)
		return -1;
	for (char *line = strstr(page, "\r\n\r\n"); line != NULL; line = strchr(line + 1, '\n'))
		if (strncmp(line + 1, prefix, strlen(prefix)) == 0) {
			char *sp = strchr(line + 1, ' ');
			if (sp != NULL)
				sum += strtoll(sp + 1, NULL, 10);
		}
	return sum;
}

long long
tls_wait_sum(int sport, const char *prefix, long long want, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);
	long long v;

	while ((v = tls_metric_sum(sport, prefix)) < want && h_now_ms() < end)
		h_sleep_ms(20);
	return v;
}

/* Every space-separated word of want is a whole word of the line. */
static bool
has_words(const char *line, size_t llen, const char *want)
{
	char w[512], *save = NULL;

	snprintf(w, sizeof(w), "%s", want);
	for (char *t = strtok_r(w, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		size_t tl = strlen(t);
		bool found = false;

		for (const char *p = line; !found && (p = memmem(p, llen - (size_t)(p - line), t, tl)) != NULL; p++)
			found = (p == line || p[-1] == ' ') && (p + tl == line + llen || p[tl] == ' ');
		if (!found)
			return false;
	}
	return true;
}

/*
 * The access-log lines (a message beginning "service=") of d's log with
 * every word of want: how many, the last in line, and the distinct pids
 * that logged them in *npids (may be NULL).
 */
static int
scan_access_pids(struct daemon *d, const char *want, char *line, size_t len, int *npids)
{
	char *log = h_read_log(d);
	int n = 0;
	long pids[256];
	int np = 0;

	for (char *l = log; l != NULL && *l != '\0';) {
		char *nl = strchr(l, '\n');
		size_t ll = nl != NULL ? (size_t)(nl - l) : strlen(l);
		const char *msg = memmem(l, ll, ": service=", 10);

		if (msg != NULL && has_words(l, ll, want)) {
			const char *at = memmem(l, ll, "netsrvd[", 8);
			long pid = at != NULL ? atol(at + 8) : 0;
			int k = 0;

			while (k < np && pids[k] != pid)
				k++;
			if (k == np && np < 256)
				pids[np++] = pid;
			n++;
			if (line != NULL)
				snprintf(line, len, "%.*s", (int)ll, l);
		}
		l = nl != NULL ? nl + 1 : NULL;
	}
	free(log);
	if (npids != NULL)
		*npids = np;
	return n;
}

static int
scan_access(struct daemon *d, const char *want, char *line, size_t len)
{
	return scan_access_pids(d, want, line, len, NULL);
}

int
tls_access_pids(struct daemon *d, const char *want)
{
	int np;

	(void)scan_access_pids(d, want, NULL, 0, &np);
	return np;
}

bool
tls_wait_access(struct daemon *d, const char *want, char *line, size_t len, int timeout_ms)
{
	int64_t end = h_now_ms() + h_hang_ms(timeout_ms);

	do {
		if (scan_access(d, want, line, len) > 0)
			return true;
		h_sleep_ms(20);
	} while (h_now_ms() < end);
	return false;
}

int
tls_count_access(struct daemon *d, const char *want)
{
	return scan_access(d, want, NULL, 0);
}

/* ---- certificate facts -------------------------------------------------- */

static void
x509_field(const char *pem, const char *opt, const char *after, char *out, size_t len)
{
	const char *argv[] = { "openssl", "x509", "-in", pem, "-noout", opt, NULL, NULL };
	char buf[512];
	const char *eq;

	if (strcmp(opt, "-fingerprint") == 0)
		argv[6] = "-sha256";
	assert_int_equal(h_run(argv, buf, sizeof(buf), 10000), 0);
	eq = strstr(buf, after);
	assert_non_null(eq);
	snprintf(out, len, "%s", eq + strlen(after));
	out[strcspn(out, "\r\n")] = '\0';
}

void
tls_serial_of(const char *pem, char *out, size_t len)
{
	x509_field(pem, "-serial", "serial=", out, len);
}

void
tls_sha256_of(const char *pem, char *out, size_t len)
{
	char raw[256];
	size_t n = 0;

	x509_field(pem, "-fingerprint", "Fingerprint=", raw, sizeof(raw));
	for (const char *p = raw; *p != '\0' && n + 1 < len; p++)
		if (*p != ':')
			out[n++] = (char)tolower((unsigned char)*p);
	out[n] = '\0';
}
