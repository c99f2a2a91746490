/* TLS on TCP services, run for real: real clients (openssl, gnutls-cli, curl, socat, rsync-ssl) against built-in and exec services, client certificates, versions, what the log says (-t, reloads and resumption: tls_conf_test). */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "accesslog.h"
#include "harness.h"
#include "program_filter.h"
#include "tlsutil.h"

#define SERVED(s) "netsrvd_tls_handshakes_total{service=\"" s "\",result=\"ok\""

/* One echo over TLS at a forced version, and the access line that says it. */
static void
echo_at(struct daemon *d, int port, const char *flag, const char *version, int nth)
{
	const char *extra[] = { flag, NULL };
	char want[128], line[1024];
	struct proc p;

	if (!tls_echo(d, &p, port, "hello over tls\n", extra))
		fail_msg("%s: no echo; the client said:\n%s", flag, p.buf);
	snprintf(want, sizeof(want), "service=s tls=%s", version);
	if (!tls_wait_access(d, want, line, sizeof(line), TLS_IO_MS))
		h_fail_with_log(d, want);
	assert_int_equal(tls_count_access(d, "service=s"), nth);
}

/* echo answers over TLS 1.2 and 1.3; the access log and the metrics name the version. */
static void
tls_echo_versions_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	tls_start_echo(d, port, sport, "", "");
	echo_at(d, port, "-tls1_2", "TLSv1.2", 1);
	echo_at(d, port, "-tls1_3", "TLSv1.3", 2);
	assert_int_equal(tls_wait_sum(sport, SERVED("s") ",version=\"TLSv1.2\"}", 1, TLS_IO_MS), 1);
	assert_int_equal(tls_wait_sum(sport, SERVED("s") ",version=\"TLSv1.3\"}", 1, TLS_IO_MS), 1);
	/* both handshakes were timed */
	assert_int_equal(tls_wait_sum(sport, "netsrvd_tls_handshake_duration_seconds_count{service=\"s\"}", 2,
	    TLS_IO_MS), 2);
	assert_int_equal(h_metric(sport, "netsrvd_tls_handshake_duration_seconds_bucket{service=\"s\",le=\"+Inf\"}"), 2);
	assert_int_equal(h_stop(d), 0);
}

/* Another TLS stack: gnutls-cli verifies the chain for 127.0.0.1 and echoes a line. */
static void
tls_gnutls_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char ca[400], portarg[16];
	struct proc p;

	if (access("/usr/bin/gnutls-cli", X_OK) != 0) {
		print_message("skipped: no gnutls-cli (gnutls-bin)\n");
		skip();
	}
	tls_start_echo(d, port, sport, "", "");
	snprintf(ca, sizeof(ca), "--x509cafile=%s", tls_path(d, "ca.pem"));
	snprintf(portarg, sizeof(portarg), "%d", port);
	const char *argv[] = { "gnutls-cli", ca, "-p", portarg, "127.0.0.1", NULL };
	proc_start(&p, argv, NULL);
	/* gnutls-cli does not echo stdin: the line after its handshake report is the server's */
	if (!proc_write(&p, "from gnutls\n") || !proc_expect(&p, "\nfrom gnutls\n", TLS_IO_MS))
		fail_msg("gnutls-cli said:\n%s", p.buf);
	(void)proc_finish(&p, TLS_IO_MS);
	assert_non_null(strstr(p.buf, "- Handshake was completed"));
	assert_true(tls_wait_sum(sport, SERVED("s"), 1, TLS_IO_MS) == 1);
	assert_int_equal(h_stop(d), 0);
}

/* curl https://127.0.0.1:P/metrics: the status handler speaks TLS itself, and its page counts the handshakes. */
static void
tls_curl_status_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char url[64], out[1 << 16];

	tls_make_pki(d);
	tls_conf(d, port, sport, "handler = \"status\"; workers = 1;", "", "");
	tls_start(d);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/metrics", port);
	const char *argv[] = { "curl", "-sS", "--cacert", tls_path(d, "ca.pem"), "-w", "\ncode=%{http_code}\n",
		url, NULL };
	for (int i = 1; i <= 2; i++) {
		char want[160];

		assert_int_equal(h_run(argv, out, sizeof(out), TLS_IO_MS), 0);
		if (strstr(out, "\ncode=200\n") == NULL || strstr(out, "netsrvd_tls_handshakes_total{") == NULL)
			h_fail_with_log(d, out);
		/* the second page has seen at least the first handshake */
		snprintf(want, sizeof(want), SERVED("s") ",version=\"TLSv1.3\"} ");
		if (i == 2 && (strstr(out, want) == NULL || atoll(strstr(out, want) + strlen(want)) < 1))
			fail_msg("the second page does not count the first handshake:\n%s", out);
	}
	assert_int_equal(tls_wait_sum(sport, SERVED("s"), 2, TLS_IO_MS), 2);
	assert_int_equal(h_stop(d), 0);
}

/* An exec service running a script that prints its TLS_* environment. */
static void
start_env_script(struct daemon *d, int port, int sport, const char *tls_keys)
{
	char keys[600], script[320];

	snprintf(script, sizeof(script), "%s", tls_path(d, "tlsenv.sh"));	/* tls_path's ring turns over */

	tls_make_pki(d);
	h_write_file(script, "#!/bin/sh\nenv | grep '^TLS_' | sort\necho end\n");
	assert_int_equal(chmod(script, 0755), 0);
	snprintf(keys, sizeof(keys), "handler = \"exec\"; workers = 1; command = [ \"%s\" ];", script);
	tls_conf(d, port, sport, keys, tls_keys, "");
	tls_start(d);
}

/* What the script says to one s_client with extra words (a certificate, a server name). */
static void
env_of(struct daemon *d, int port, const char *const *extra, struct proc *p)
{
	const char *argv[40], *words[20] = { "-quiet" };
	int n = 1;

	for (int i = 0; extra[i] != NULL; i++)
		words[n++] = extra[i];
	words[n] = NULL;
	tls_s_client(d, argv, 40, port, words);
	proc_start(p, argv, NULL);
	/* -quiet waits for the server's close: the script's end */
	if (!proc_expect(p, "end\n", TLS_IO_MS))
		h_fail_with_log(d, p->buf);
	(void)proc_finish(p, TLS_IO_MS);
}

static void
want_env(const struct proc *p, const char *name, const char *value)
{
	char line[600];

	snprintf(line, sizeof(line), "\n%s=%s\n", name, value);
	/* the output starts with s_client's own lines, so each variable follows a newline */
	if (strstr(p->buf, line) == NULL)
		fail_msg("want %s=%s; the program said:\n%s", name, value, p->buf);
}

/* The program learns the version, the cipher and the server name; no client certificate, no TLS_CLIENT_*. */
static void
tls_exec_env_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *sni[] = { "-tls1_3", "-servername", "localhost", NULL };
	const char *nosni[] = { "-tls1_2", "-noservername", NULL };
	struct proc p;

	start_env_script(d, port, sport, "");
	env_of(d, port, sni, &p);
	want_env(&p, "TLS_VERSION", "TLSv1.3");
	want_env(&p, "TLS_CIPHER", "TLS_AES_256_GCM_SHA384");
	want_env(&p, "TLS_SNI", "localhost");
	assert_null(strstr(p.buf, "TLS_CLIENT_"));
	env_of(d, port, nosni, &p);
	want_env(&p, "TLS_VERSION", "TLSv1.2");
	assert_null(strstr(p.buf, "TLS_SNI="));
	assert_null(strstr(p.buf, "TLS_CLIENT_"));
	assert_int_equal(h_stop(d), 0);
}

/* With a client certificate the program gets its subject, issuer, serial and fingerprint; the access log its fingerprint. */
static void
tls_exec_client_cert_env_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char keys[600], serial[64], sha[128], want[200];
	struct proc p;

	/* the paths only: start_env_script makes the files */
	snprintf(keys, sizeof(keys), "client_ca = \"%s\"; verify_client = \"require\";", tls_path(d, "client_ca.pem"));
	start_env_script(d, port, sport, keys);
	const char *cert[] = { "-cert", tls_path(d, "client.pem"), "-key", tls_path(d, "client.key"), NULL };
	env_of(d, port, cert, &p);
	tls_serial_of(tls_path(d, "client.pem"), serial, sizeof(serial));
	tls_sha256_of(tls_path(d, "client.pem"), sha, sizeof(sha));
	assert_int_equal(strlen(sha), 64);
	want_env(&p, "TLS_CLIENT_SUBJECT", "CN=client,O=test");
	want_env(&p, "TLS_CLIENT_ISSUER", "CN=client CA,O=test");
	want_env(&p, "TLS_CLIENT_SERIAL", serial);
	want_env(&p, "TLS_CLIENT_SHA256", sha);
	snprintf(want, sizeof(want), "service=s client_sha256=%s", sha);
	if (!tls_wait_access(d, want, NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, want);
	assert_int_equal(h_stop(d), 0);
}

/*
 * exec cat over TLS, the client half-closing: its close_notify is the
 * program's EOF, and everything cat wrote before exiting still comes
 * back. socat, because s_client stops reading at its own EOF; -t is
 * only a hang bound on the way back. keys: more of the service's.
 */
static void
exec_half_close(struct daemon *d, const char *keys)
{
	int port = h_free_port(), sport = h_free_port();
	char addr[600], data[8192 + 1], svc[512];
	struct proc p;

	if (access("/usr/bin/socat", X_OK) != 0) {
		print_message("skipped: no socat\n");
		skip();
	}
	tls_make_pki(d);
	snprintf(svc, sizeof(svc), "handler = \"exec\"; workers = 1; command = [ \"/bin/cat\" ]; %s", keys);
	tls_conf(d, port, sport, svc, "", "");
	tls_start(d);
	snprintf(addr, sizeof(addr), "OPENSSL:127.0.0.1:%d,cafile=%s,verify=1", port, tls_path(d, "ca.pem"));
	const char *argv[] = { "socat", "-t", "30", "-", addr, NULL };
	for (size_t i = 0; i < sizeof(data) - 1; i++)
		data[i] = (char)('a' + i % 26);
	data[sizeof(data) - 2] = '\n';
	data[sizeof(data) - 1] = '\0';
	proc_start(&p, argv, NULL);
	assert_true(proc_write(&p, data));
	/* our EOF now, before a byte came back: the data must still all arrive after it */
	assert_int_equal(proc_finish(&p, 30000), 0);
	if (p.got != strlen(data) || memcmp(p.buf, data, p.got) != 0)
		fail_msg("%zu of %zu bytes back:\n%.300s", p.got, strlen(data), p.buf);
	if (!tls_wait_access(d, "service=s tls=TLSv1.3", NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, "no access line");
	assert_int_equal(h_stop(d), 0);
}

static void
tls_exec_half_close_test(void **state)
{
	exec_half_close(*state, "");
}

/*
 * The same under syscall_filter: the worker that carries the TLS stream
 * (OpenSSL included) runs under the programs' filter it puts on itself,
 * and serves all the same.
 */
static void
tls_exec_filtered_test(void **state)
{
	const char *why = program_filter_unavailable();

	if (why != NULL) {
		print_message("skipped: %s\n", why);
		skip();
	}
	exec_half_close(*state, "syscall_filter = \"system-service\"; no_new_privileges = true;");
}

/*
 * rsync's daemon as an exec program: in inetd mode (its stdin a socket,
 * as the socket pair it gets is), behind TLS; rsync-ssl's openssl client
 * lists the module and copies a file whose bytes must come back whole.
 */
static void
tls_rsync_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char conf[1200], keys[800], portenv[40], caenv[400], url[128], dest[300], out[8192];
	FILE *f;

	if (access("/usr/bin/rsync", X_OK) != 0 || access("/usr/bin/rsync-ssl", X_OK) != 0) {
		print_message("skipped: no rsync or rsync-ssl\n");
		skip();
	}
	tls_make_pki(d);
	assert_int_equal(mkdir(tls_path(d, "mod"), 0755), 0);
	f = fopen(tls_path(d, "mod/file"), "w");
	assert_non_null(f);
	for (int i = 0; i < 100000; i++)
		fprintf(f, "line %d of the module's file\n", i);
	assert_int_equal(fclose(f), 0);
	/*
	 * No chroot; as root, stay root (rsync's daemon would be nobody);
	 * as another user, name none: rsync calls setgroups(2) for a uid or
	 * gid it is given, which only root may (check-unprivileged runs so).
	 */
	char ids[64] = "";
	if (geteuid() == 0)
		snprintf(ids, sizeof(ids), "uid = %d\ngid = %d\n", (int)getuid(), (int)getgid());
	snprintf(conf, sizeof(conf), "use chroot = no\n%slog file = %s\n[mod]\npath = %s\nread only = yes\n",
	    ids, tls_path(d, "rsyncd.log"), tls_path(d, "mod"));
	h_write_file(tls_path(d, "rsyncd.conf"), conf);
	snprintf(keys, sizeof(keys), "handler = \"exec\"; workers = 1;"
	    " command = [ \"/usr/bin/rsync\", \"--daemon\", \"--config=%s\" ];", tls_path(d, "rsyncd.conf"));
	tls_conf(d, port, sport, keys, "", "");
	tls_start(d);
	snprintf(portenv, sizeof(portenv), "RSYNC_SSL_PORT=%d", port);
	snprintf(caenv, sizeof(caenv), "RSYNC_SSL_CA_CERT=%s", tls_path(d, "ca.pem"));
	const char *env[] = { "RSYNC_SSL_TYPE=openssl", portenv, caenv, NULL };
	struct proc p;

	snprintf(url, sizeof(url), "rsync://localhost:%d/mod/", port);
	const char *list[] = { "rsync-ssl", url, NULL };
	proc_start(&p, list, env);
	if (proc_finish(&p, 30000) != 0 || strstr(p.buf, " file\n") == NULL)
		h_fail_with_log(d, p.buf);
	snprintf(url, sizeof(url), "rsync://localhost:%d/mod/file", port);
	snprintf(dest, sizeof(dest), "%s", tls_path(d, "copy"));
	const char *copy[] = { "rsync-ssl", url, dest, NULL };
	proc_start(&p, copy, env);
	if (proc_finish(&p, 30000) != 0)
		h_fail_with_log(d, p.buf);
	const char *cmp[] = { "cmp", tls_path(d, "mod/file"), dest, NULL };
	assert_int_equal(h_run(cmp, out, sizeof(out), 10000), 0);
	assert_true(tls_wait_sum(sport, SERVED("s"), 2, TLS_IO_MS) >= 2);
	assert_int_equal(h_stop(d), 0);
}

/* ---- client certificates ---------------------------------------------- */

/*
 * require: only a certificate of client_ca that is current and not on its
 * CRL is served; each refusal counted reason=tls. Over TLS 1.2 as well,
 * where the client learns of the refusal during the handshake (in 1.3
 * only at its first read, which tls_echo does).
 */
static void
tls_verify_require_test(void **state)
{
	static const char *const refused[] = { NULL, "other", "expired", "revoked" };
	static const char *const versions[] = { "-tls1_3", "-tls1_2" };
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	long long n = 0;

	tls_make_pki(d);
	tls_conf(d, port, sport, TLS_ECHO_KEYS, tls_client_keys(d, "require"), "");
	tls_start(d);
	for (size_t v = 0; v < 2; v++) {
		if (!tls_echo_as(d, port, "client", versions[v]))
			h_fail_with_log(d, "the client CA's certificate was refused");
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			if (tls_echo_as(d, port, refused[i], versions[v]))
				fail_msg("%s %s: served", versions[v], refused[i] ? refused[i] : "no certificate");
			n++;
			if (h_wait_metric(sport, TLS_REFUSED, H_EQUAL, n, TLS_IO_MS) != n)
				h_fail_with_log(d, refused[i] ? refused[i] : "no certificate: not counted reason=tls");
		}
	}
	assert_int_equal(tls_count_access(d, "service=s end=refused reason=tls"), (int)n);
	assert_int_equal(h_stop(d), 0);
}

/* optional: served with the right certificate and with none. */
static void
tls_verify_optional_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char sha[128], want[200];

	tls_make_pki(d);
	tls_conf(d, port, sport, TLS_ECHO_KEYS, tls_client_keys(d, "optional"), "");
	tls_start(d);
	assert_true(tls_echo_as(d, port, NULL, "-tls1_3"));
	assert_true(tls_echo_as(d, port, "client", "-tls1_3"));
	tls_sha256_of(tls_path(d, "client.pem"), sha, sizeof(sha));
	snprintf(want, sizeof(want), "service=s tls=TLSv1.3 client_sha256=%s", sha);
	if (!tls_wait_access(d, want, NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, want);
	assert_int_equal(tls_count_access(d, "service=s tls=TLSv1.3"), 2);
	assert_int_equal(h_metric(sport, TLS_REFUSED), 0);
	assert_int_equal(h_stop(d), 0);
}

/* optional: a certificate that does not verify is refused all the same (another CA, expired, revoked). */
static void
tls_verify_optional_bad_cert_test(void **state)
{
	static const char *const refused[] = { "other", "expired", "revoked" };
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	tls_make_pki(d);
	tls_conf(d, port, sport, TLS_ECHO_KEYS, tls_client_keys(d, "optional"), "");
	tls_start(d);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (tls_echo_as(d, port, refused[i], "-tls1_3"))
			fail_msg("optional: %s served", refused[i]);
		if (h_wait_metric(sport, TLS_REFUSED, H_EQUAL, (long long)i + 1, TLS_IO_MS) != (long long)i + 1)
			h_fail_with_log(d, refused[i]);
	}
	assert_true(tls_echo_as(d, port, NULL, "-tls1_3"));
	assert_int_equal(h_stop(d), 0);
}

/* With CRLs in client_ca, every CA's must be there: a certificate of the CA without one is refused. */
static void
tls_crl_every_ca_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char keys[600];

	tls_make_pki(d);
	snprintf(keys, sizeof(keys), "client_ca = \"%s\"; verify_client = \"require\";", tls_path(d, "two_ca.pem"));
	tls_conf(d, port, sport, TLS_ECHO_KEYS, keys, "");
	tls_start(d);
	if (!tls_echo_as(d, port, "client", "-tls1_3"))
		h_fail_with_log(d, "the CA with its CRL: refused");
	if (tls_echo_as(d, port, "other", "-tls1_3"))
		fail_msg("a certificate of the CA without a CRL was served");
	if (tls_echo_as(d, port, "revoked", "-tls1_3"))
		fail_msg("a revoked certificate was served");
	assert_int_equal(h_wait_metric(sport, TLS_REFUSED, H_EQUAL, 2, TLS_IO_MS), 2);
	assert_int_equal(h_stop(d), 0);
}

/* A client that goes without a close_notify (killed) has merely closed: end=closed, no error. */
static void
tls_close_without_notify_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[40], *words[] = { "-quiet", NULL };
	struct proc p;
	char line[1024];

	tls_start_echo(d, port, sport, "", "");
	tls_s_client(d, argv, 40, port, words);
	proc_start(&p, argv, NULL);
	assert_true(proc_write(&p, "then gone\n") && proc_expect(&p, "then gone\n", TLS_IO_MS));
	kill(p.pid, SIGKILL);
	(void)proc_finish(&p, TLS_IO_MS);
	if (!tls_wait_access(d, "service=s tls=TLSv1.3", line, sizeof(line), TLS_IO_MS))
		h_fail_with_log(d, "no access line");
	if (strstr(line, " end=closed ") == NULL)
		h_fail_with_log(d, line);
	assert_int_equal(h_stop(d), 0);
}

/*
 * What the program wrote before it exited reaches the client, and a
 * descendant that keeps the socket pair open is not waited for: the
 * client gets the line and the end while the sleep still holds it.
 */
static void
tls_exec_descendant_not_waited_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[40], *words[] = { "-quiet", NULL };
	struct proc p;

	tls_make_pki(d);
	tls_conf(d, port, sport, "handler = \"exec\"; workers = 1;"
	    " command = [ \"/bin/sh\", \"-c\", \"echo last words; sleep 300 &\" ];", "", "");
	tls_start(d);
	tls_s_client(d, argv, 40, port, words);
	proc_start(&p, argv, NULL);
	/* -quiet: s_client ends at the server's close; 30 s is only a hang bound (the sleep is 300) */
	assert_int_equal(proc_finish(&p, 30000), 0);
	if (strstr(p.buf, "last words\n") == NULL)
		h_fail_with_log(d, p.buf);
	if (!tls_wait_access(d, "service=s end=done", NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, "no end=done line");
	assert_int_equal(h_stop(d), 0);
}

/* TLS_SNI shows bytes outside A-Za-z0-9._- as '?' (a name the program may put in a path or a log). */
static void
tls_exec_sni_sanitized_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *sni[] = { "-servername", "a/b$c.example", NULL };
	struct proc p;

	start_env_script(d, port, sport, "");
	env_of(d, port, sni, &p);
	want_env(&p, "TLS_SNI", "a?b?c.example");
	assert_int_equal(h_stop(d), 0);
}

/* An exec program and its client both silent: `timeout` ends it as no progress through the relay, the program killed. */
static void
tls_exec_timeout_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[40], *words[] = { "-quiet", NULL };
	char pidfile[320], keys[800];
	struct proc p;
	long pid = 0;
	FILE *f;

	tls_make_pki(d);
	snprintf(pidfile, sizeof(pidfile), "%s", tls_path(d, "program.pid"));
	snprintf(keys, sizeof(keys), "handler = \"exec\"; workers = 1; timeout = 2;"
	    " command = [ \"/bin/sh\", \"-c\", \"echo $$ > %s; exec sleep 300\" ];", pidfile);
	tls_conf(d, port, sport, keys, "", "");
	tls_start(d);
	tls_s_client(d, argv, 40, port, words);
	proc_start(&p, argv, NULL);
	/* -quiet: s_client ends when the server closes; 30 s is only a hang bound */
	(void)proc_finish(&p, 30000);
	if (!tls_wait_access(d, "service=s end=timeout", NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, "no end=timeout line");
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_true(h_wait_gone((pid_t)pid, TLS_IO_MS));
	assert_int_equal(h_stop(d), 0);
}

/* The failing client with no certificate under require: what the log says of it, with and without the access log. */
static void
refuse_and_log(struct daemon *d, int port, int sport, bool connections)
{
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };

	h_write_conf(d, "shutdown_timeout = 1;\nlog = { connections = %s; level = \"info\"; };\n"
	    "services = ( { name = \"s\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; " TLS_ECHO_KEYS "\n"
	    "   tls = { certificate = \"%s\"; key = \"%s\"; %s }; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; } );\n",
	    connections ? "true" : "false", port, tls_path(d, "fullchain.pem"), tls_path(d, "server.key"),
	    tls_client_keys(d, "require"), sport);
	assert_true(truncate(d->log, 0) == 0 || errno == ENOENT);	/* the daemon before's lines are not this one's */
	tls_start(d);
	assert_false(tls_echo(d, &p, port, "no certificate\n", v13));
	assert_int_equal(h_wait_metric(sport, TLS_REFUSED, H_EQUAL, 1, TLS_IO_MS), 1);
}

/*
 * A failed handshake is logged at info whether or not the access log is
 * on, as the access line (netsrvd(8): end=refused reason=tls, OpenSSL's
 * reason as detail); no second line says it again.
 */
static void
tls_failed_handshake_logged_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();

	tls_make_pki(d);
	for (int connections = 1; connections >= 0; connections--) {
		refuse_and_log(d, port, sport, connections);
		if (!tls_wait_access(d, "service=s end=refused reason=tls detail=\"peer", NULL, 0, TLS_IO_MS))
			h_fail_with_log(d, connections ? "no access line for the failed handshake"
			    : "log.connections = false: the failed handshake not logged at info");
		assert_int_equal(h_stop(d), 0);
	}
}

/* ---- versions --------------------------------------------------------- */

/* A client at one version below min_version is refused, counted reason=tls; the next at min_version is served. */
static void
check_below_min(struct daemon *d, const char *min, const char *const *low, const char *ok)
{
	int port = h_free_port(), sport = h_free_port();
	char keys[64];
	const char *good[] = { ok, NULL };
	struct proc p;

	snprintf(keys, sizeof(keys), "min_version = \"%s\";", min);
	tls_start_echo(d, port, sport, keys, "");
	if (tls_echo(d, &p, port, "too old\n", low))
		fail_msg("%s served under min_version %s:\n%s", low[0], min, p.buf);
	if (h_wait_metric(sport, TLS_REFUSED, H_EQUAL, 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "the old version was not counted reason=tls");
	assert_int_equal(tls_wait_sum(sport, "netsrvd_tls_handshakes_total{service=\"s\",result=\"failed\"", 1,
	    TLS_IO_MS), 1);
	if (!tls_echo(d, &p, port, "new enough\n", good))
		fail_msg("%s not served:\n%s", ok, p.buf);
	assert_int_equal(h_stop(d), 0);
}

static void
tls_min_version_12_test(void **state)
{
	/* our own client's SECLEVEL would refuse TLS 1.0 before the server could */
	const char *low[] = { "-tls1", "-cipher", "DEFAULT@SECLEVEL=0", NULL };

	check_below_min(*state, "1.2", low, "-tls1_2");
}

static void
tls_min_version_13_test(void **state)
{
	const char *low[] = { "-tls1_2", NULL };

	check_below_min(*state, "1.3", low, "-tls1_3");
}

/* ---- the rest of the spec ---------------------------------------------- */

/* alpn: a client offering the protocol gets it; one offering none is served without ALPN. */
static void
tls_alpn_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[40], *with[] = { "-alpn", "http/1.1", NULL }, *without[] = { "-tls1_3", NULL };
	struct proc p;

	tls_start_echo(d, port, sport, "alpn = [ \"http/1.1\" ];", "");
	tls_s_client(d, argv, 40, port, with);
	proc_start(&p, argv, NULL);
	if (!proc_write(&p, "alpn\n") || !proc_expect(&p, "\nalpn\n", TLS_IO_MS))
		fail_msg("not served with ALPN http/1.1:\n%s", p.buf);
	(void)proc_finish(&p, TLS_IO_MS);
	if (strstr(p.buf, "ALPN protocol: http/1.1") == NULL)
		fail_msg("http/1.1 not negotiated:\n%s", p.buf);
	tls_s_client(d, argv, 40, port, without);
	proc_start(&p, argv, NULL);
	if (!proc_write(&p, "no alpn\n") || !proc_expect(&p, "\nno alpn\n", TLS_IO_MS))
		fail_msg("a client offering no ALPN was not served:\n%s", p.buf);
	(void)proc_finish(&p, TLS_IO_MS);
	assert_non_null(strstr(p.buf, "No ALPN negotiated"));
	assert_int_equal(h_stop(d), 0);
}

/* allow/deny come before the handshake: a denied client costs no cryptography and is refused acl, not tls. */
static void
tls_acl_before_handshake_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };

	tls_make_pki(d);
	tls_conf(d, port, sport, TLS_ECHO_KEYS " deny = [ \"127.0.0.1\" ];", "", "");
	tls_start(d);
	assert_false(tls_echo(d, &p, port, "denied\n", v13));
	if (h_wait_metric(sport, "netsrvd_refused_total{service=\"s\",reason=\"acl\"}", H_EQUAL, 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "the denied client was not refused acl");
	assert_int_equal(tls_metric_sum(sport, "netsrvd_tls_handshakes_total{service=\"s\""), 0);
	assert_int_equal(h_metric(sport, TLS_REFUSED), 0);
	assert_int_equal(h_stop(d), 0);
}

/* The banner comes after the handshake, inside TLS: the client reads it before its echo; none of it in plain text. */
static void
tls_banner_after_handshake_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port(), fd;
	char keys[600], buf[64];
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };

	tls_make_pki(d);
	h_write_file(tls_path(d, "banner.txt"), "welcome to tls\n");
	snprintf(keys, sizeof(keys), TLS_ECHO_KEYS " banner = \"%s\";", tls_path(d, "banner.txt"));
	tls_conf(d, port, sport, keys, "", "handshake_timeout = 1000;");
	tls_start(d);
	if (!tls_echo(d, &p, port, "after the banner\n", v13) || strstr(p.buf, "welcome to tls\nafter the banner\n") == NULL)
		fail_msg("want the banner, then the echo:\n%s", p.buf);
	/* a plain client saying nothing gets nothing of the banner before the handshake times out */
	fd = h_connect("127.0.0.1", port, TLS_IO_MS);
	assert_true(fd >= 0);
	{
		ssize_t n = h_read_all(fd, buf, sizeof(buf) - 1, 30000);

		/* an alert at most */
		buf[n > 0 ? n : 0] = '\0';
		assert_null(strstr(buf, "welcome"));
	}
	close(fd);
	assert_int_equal(h_stop(d), 0);
}

/* ---- more of the io path ------------------------------------------------ */

/*
 * The program half-closes first (shutdown of its socket's write side, as
 * a server that has said all it has does): the client gets its bytes and
 * the close_notify, and what the client still sends after that reaches
 * the program, which reads to its EOF and writes down the count.
 */
static void
tls_exec_program_half_close_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char keys[800], script[600], addr[600], count[32] = "";
	static char data[5001];
	struct proc p;
	FILE *f;

	if (access("/usr/bin/socat", X_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
		print_message("skipped: no socat or no /usr/bin/python3\n");
		skip();
	}
	tls_make_pki(d);
	snprintf(script, sizeof(script), "import os, socket\n"
	    "s = socket.socket(fileno=os.dup(1))\n"
	    "os.write(1, b'hello\\n')\n"
	    "s.shutdown(socket.SHUT_WR)\n"
	    "n = 0\n"
	    "while True:\n"
	    "    b = os.read(0, 65536)\n"
	    "    if not b:\n"
	    "        break\n"
	    "    n += len(b)\n"
	    "open('%s', 'w').write(str(n))\n", tls_path(d, "count"));
	h_write_file(tls_path(d, "halfclose.py"), script);
	snprintf(keys, sizeof(keys), "handler = \"exec\"; workers = 1; command = [ \"/usr/bin/python3\", \"%s\" ];",
	    tls_path(d, "halfclose.py"));
	tls_conf(d, port, sport, keys, "", "");
	tls_start(d);
	snprintf(addr, sizeof(addr), "OPENSSL:127.0.0.1:%d,cafile=%s,verify=1", port, tls_path(d, "ca.pem"));
	const char *argv[] = { "socat", "-t", "30", "-", addr, NULL };
	memset(data, 'x', sizeof(data) - 1);
	proc_start(&p, argv, NULL);
	if (!proc_expect(&p, "hello\n", TLS_IO_MS))
		h_fail_with_log(d, p.buf);
	/* after the program's EOF reached us */
	assert_true(proc_write(&p, data));
	assert_int_equal(proc_finish(&p, 30000), 0);
	assert_string_equal(p.buf, "hello\n");
	for (int64_t end = h_now_ms() + h_hang_ms(TLS_IO_MS); count[0] == '\0' && h_now_ms() < end; h_sleep_ms(20))
		if ((f = fopen(tls_path(d, "count"), "r")) != NULL) {
			if (fgets(count, sizeof(count), f) == NULL)
				count[0] = '\0';
			fclose(f);
		}
	if (strcmp(count, "5000") != 0)
		h_fail_with_log(d, count[0] ? count : "the program never wrote its count");
	assert_int_equal(h_stop(d), 0);
}

/* 8 MiB through TLS both ways at once (socat reads while it writes), to a service of these keys: back whole. */
static void
bulk_through(struct daemon *d, const char *keys)
{
	int port = h_free_port(), sport = h_free_port();
	char cmd[1600], out[4096];
	const char *sh[] = { "/bin/sh", "-c", cmd, NULL };

	tls_make_pki(d);
	tls_conf(d, port, sport, keys, "", "");
	tls_start(d);
	snprintf(cmd, sizeof(cmd), "cd '%s' && head -c 8388608 /dev/urandom > bulk.in && "
	    "socat -t 30 -b 65536 - OPENSSL:127.0.0.1:%d,cafile=ca.pem,verify=1 < bulk.in > bulk.out && "
	    "cmp bulk.in bulk.out", d->dir, port);
	if (h_run(sh, out, sizeof(out), 120000) != 0)
		h_fail_with_log(d, out);
	if (!tls_wait_access(d, "service=s in=8388608 out=8388608", NULL, 0, TLS_IO_MS) &&
	    !tls_wait_access(d, "service=s in=? out=?", NULL, 0, TLS_IO_MS))
		h_fail_with_log(d, "no access line with the bytes");
	assert_int_equal(h_stop(d), 0);
}

static void
tls_bulk_echo_test(void **state)
{
	if (access("/usr/bin/socat", X_OK) != 0) {
		print_message("skipped: no socat\n");
		skip();
	}
	bulk_through(*state, TLS_ECHO_KEYS);
}

static void
tls_bulk_exec_cat_test(void **state)
{
	if (access("/usr/bin/socat", X_OK) != 0) {
		print_message("skipped: no socat\n");
		skip();
	}
	bulk_through(*state, "handler = \"exec\"; workers = 1; command = [ \"/bin/cat\" ];");
}

/* What a built-in handler says over TLS to s_client -quiet until it closes (or, -no_ign_eof, until want). */
static void
builtin_says(struct daemon *d, const char *handler, const char *want, struct proc *p)
{
	int port = h_free_port(), sport = h_free_port();
	char keys[128];
	const char *argv[40], *words[] = { "-quiet", want != NULL ? "-no_ign_eof" : NULL, NULL };

	snprintf(keys, sizeof(keys), "handler = \"%s\"; workers = 1;", handler);
	tls_conf(d, port, sport, keys, "", "");
	tls_start(d);
	tls_s_client(d, argv, 40, port, words);
	proc_start(p, argv, NULL);
	if (want != NULL && !proc_expect(p, want, TLS_IO_MS))
		h_fail_with_log(d, p->buf);
	(void)proc_finish(p, TLS_IO_MS);
	assert_int_equal(h_stop(d), 0);
	/* the next handler's daemon in the same directory: a fresh log */
	assert_int_equal(truncate(d->log, 0), 0);
}

/* daytime, time and chargen speak TLS themselves. */
static void
tls_builtins_test(void **state)
{
	struct daemon *d = *state;
	static struct proc p;
	char year[8];
	time_t now = time(NULL);
	struct tm tm;
	uint32_t t;

	tls_make_pki(d);
	gmtime_r(&now, &tm);
	strftime(year, sizeof(year), "%Y", &tm);
	builtin_says(d, "daytime", NULL, &p);
	if (strstr(p.buf, year) == NULL)
		fail_msg("daytime over TLS said:\n%s", p.buf);
	builtin_says(d, "time", NULL, &p);
	/* stderr's chain lines and the 4 bytes share the pipe: find them */
	{
		bool found = false;

		for (size_t i = 0; i + 4 <= p.got && !found; i++) {
			t = (uint32_t)(unsigned char)p.buf[i] << 24 | (uint32_t)(unsigned char)p.buf[i + 1] << 16 |
			    (uint32_t)(unsigned char)p.buf[i + 2] << 8 | (uint32_t)(unsigned char)p.buf[i + 3];
			/* RFC 868: seconds since 1900; a day either way is no clock check, only that these are the bytes */
			found = llabs((long long)t - ((long long)now + 2208988800LL)) < 86400;
		}
		if (!found)
			fail_msg("no RFC 868 time in what time over TLS said (%zu bytes):\n%s", p.got, p.buf);
	}
	builtin_says(d, "chargen", "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg", &p);
}

/* ciphers and ciphersuites restrict what is negotiated; a client insisting on another suite is refused. */
static void
tls_ciphers_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	const char *argv[40];
	const char *v12[] = { "-tls1_2", NULL }, *v13[] = { "-tls1_3", NULL };
	const char *other[] = { "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256", NULL };
	struct proc p;

	tls_start_echo(d, port, sport, "ciphers = \"ECDHE-ECDSA-CHACHA20-POLY1305\";"
	    " ciphersuites = \"TLS_CHACHA20_POLY1305_SHA256\";", "");
	tls_s_client(d, argv, 40, port, v12);
	proc_start(&p, argv, NULL);
	(void)proc_finish(&p, TLS_IO_MS);
	if (strstr(p.buf, "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305") == NULL)
		fail_msg("TLS 1.2 with ciphers set:\n%s", p.buf);
	tls_s_client(d, argv, 40, port, v13);
	proc_start(&p, argv, NULL);
	(void)proc_finish(&p, TLS_IO_MS);
	if (strstr(p.buf, "Cipher is TLS_CHACHA20_POLY1305_SHA256") == NULL)
		fail_msg("TLS 1.3 with ciphersuites set:\n%s", p.buf);
	assert_false(tls_echo(d, &p, port, "other suite\n", other));
	assert_int_equal(h_wait_metric(sport, TLS_REFUSED, H_EQUAL, 1, TLS_IO_MS), 1);
	assert_int_equal(h_stop(d), 0);
}

/*
 * The access log's contract (tests/accesslog.c, netsrvd(8) ACCESS LOG):
 * documented keys in the documented order. A TLS connection's line, and
 * a refused handshake's, read through the one parser the other tests use.
 */
static void
tls_access_line_documented_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	struct al_line l;
	struct proc p;
	const char *v13[] = { "-tls1_3", NULL };
	const char *cert[] = { "-tls1_3", "-cert", NULL, "-key", NULL, NULL };

	tls_make_pki(d);
	tls_conf(d, port, sport, TLS_ECHO_KEYS, tls_client_keys(d, "optional"), "");
	tls_start(d);
	cert[2] = tls_path(d, "client.pem");
	cert[4] = tls_path(d, "client.key");
	assert_true(tls_echo(d, &p, port, "parsed\n", cert));
	assert_false(tls_echo(d, &p, port, "refused\n", (const char *[]){ "-tls1_3", "-cert", tls_path(d, "other.pem"),
	    "-key", tls_path(d, "other.key"), NULL }));
	assert_true(tls_echo(d, &p, port, "parsed\n", v13));
	if (!al_wait(d, "service=s end=closed", &l, TLS_IO_MS))
		h_fail_with_log(d, "no access line for the TLS connection");
	assert_string_equal(al_get(&l, "tls"), "TLSv1.3");
	assert_int_equal(strlen(al_get(&l, "client_sha256")), 64);
	if (!al_wait(d, "service=s end=refused reason=tls", NULL, TLS_IO_MS))
		h_fail_with_log(d, "no access line for the refused handshake");
	assert_int_equal(h_stop(d), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, h_fixture_setup, tls_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(tls_echo_versions_test),
		T(tls_gnutls_test),
		T(tls_curl_status_test),
		T(tls_exec_env_test),
		T(tls_exec_client_cert_env_test),
		T(tls_exec_half_close_test),
		T(tls_exec_filtered_test),
		T(tls_rsync_test),
		T(tls_verify_require_test),
		T(tls_verify_optional_test),
		T(tls_failed_handshake_logged_test),
		T(tls_verify_optional_bad_cert_test),
		T(tls_crl_every_ca_test),
		T(tls_close_without_notify_test),
		T(tls_exec_descendant_not_waited_test),
		T(tls_exec_sni_sanitized_test),
		T(tls_exec_timeout_test),
		T(tls_min_version_12_test),
		T(tls_min_version_13_test),
		T(tls_alpn_test),
		T(tls_acl_before_handshake_test),
		T(tls_banner_after_handshake_test),
		T(tls_exec_program_half_close_test),
		T(tls_bulk_echo_test),
		T(tls_bulk_exec_cat_test),
		T(tls_builtins_test),
		T(tls_ciphers_test),
		T(tls_access_line_documented_test),
	};

	signal(SIGPIPE, SIG_IGN);
	h_test_filter();
	return cmocka_run_group_tests_name("tls", tests, NULL, NULL);
}
