/* TLS configuration over time, run for real: -t on the files, reloads (renewed certificate, wrong key, new ticket keys, a changed block), resumption across workers. */
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
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "tlsutil.h"


/* ---- -t and reloads --------------------------------------------------- */

/* netsrvd -t on an echo service with these certificate and key files: the exit status and what it said. */
static int
check_files(struct daemon *d, const char *cert, const char *key, char *out, size_t len)
{
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };

	h_write_conf(d, "services = ( { name = \"s\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d;"
	    " handler = \"echo\";\n   tls = { certificate = \"%s\"; key = \"%s\"; }; } );\n",
	    h_free_port(), tls_path(d, cert), tls_path(d, key));
	return h_run(argv, out, len, TLS_IO_MS);
}

/* -t: an expired certificate and a key not its own are errors naming the file; one expiring in 3 days a warning. */
static void
tls_check_files_test(void **state)
{
	struct daemon *d = *state;
	char out[4096];

	tls_make_pki(d);
	if (check_files(d, "fullchain.pem", "server.key", out, sizeof(out)) != 0)
		fail_msg("-t on good files said:\n%s", out);
	if (check_files(d, "expired_chain.pem", "server_expired.key", out, sizeof(out)) == 0 ||
	    strstr(out, "expired_chain.pem") == NULL)
		fail_msg("-t on an expired certificate said:\n%s", out);
	if (check_files(d, "fullchain.pem", "wrong.key", out, sizeof(out)) == 0 || strstr(out, "wrong.key") == NULL)
		fail_msg("-t on a key not the certificate's said:\n%s", out);
	if (check_files(d, "no-such.pem", "server.key", out, sizeof(out)) == 0 || strstr(out, "no-such.pem") == NULL)
		fail_msg("-t on a missing certificate said:\n%s", out);
	if (check_files(d, "future_chain.pem", "server_future.key", out, sizeof(out)) == 0 ||
	    strstr(out, "future_chain.pem") == NULL)
		fail_msg("-t on a certificate not valid yet said:\n%s", out);
	/* nobody is there to type a passphrase: an error, not a prompt (h_run's bound catches one) */
	if (check_files(d, "fullchain.pem", "encrypted.key", out, sizeof(out)) <= 0 || strstr(out, "encrypted.key") == NULL)
		fail_msg("-t on a key with a passphrase said:\n%s", out);
	if (check_files(d, "broken_chain.pem", "server.key", out, sizeof(out)) == 0 ||
	    strstr(out, "broken_chain.pem") == NULL)
		fail_msg("-t on a chain with a broken block said:\n%s", out);
	if (check_files(d, "soon_chain.pem", "server_soon.key", out, sizeof(out)) != 0 ||
	    strstr(out, "soon_chain.pem") == NULL)
		fail_msg("-t on a certificate expiring in 3 days said (want exit 0 and a warning naming it):\n%s", out);
}

/* The serial of the certificate 127.0.0.1:port serves now. */
static void
served_serial(struct daemon *d, int port, char *serial, size_t len)
{
	char cmd[600], out[8192];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd), "openssl s_client -connect 127.0.0.1:%d -CAfile '%s' -verify_return_error "
	    "-showcerts </dev/null 2>/dev/null | openssl x509 -noout -serial", port, tls_path(d, "ca.pem"));
	assert_int_equal(h_run(argv, out, sizeof(out), TLS_IO_MS), 0);
	assert_non_null(strstr(out, "serial="));
	snprintf(serial, len, "%s", strstr(out, "serial=") + 7);
	serial[strcspn(serial, "\r\n")] = '\0';
}

/* Replaces d->dir/to with a copy of d->dir/from by rename, as a renewal tool does. */
static void
replace_file(struct daemon *d, const char *from, const char *to)
{
	char cmd[800];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd), "cd '%s' && cp %s %s.new && mv %s.new %s", d->dir, from, to, to, to);
	assert_int_equal(h_run(argv, NULL, 0, TLS_IO_MS), 0);
}

/*
 * A reload with a renewed certificate in the same file serves it on the
 * next connection, while a connection of the old generation still
 * echoes; a reload with a key that is not the certificate's fails and
 * the certificate before it is still served.
 */
static void
tls_reload_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char before[64], renewed[64], now[64];
	const char *argv[40], *words[] = { "-quiet", NULL };
	struct proc open_conn;

	/* the old generation's workers may finish their connections for that long */
	tls_start_echo(d, port, sport, "", "shutdown_timeout = 30;");
	served_serial(d, port, before, sizeof(before));
	tls_serial_of(tls_path(d, "server_renewed.pem"), renewed, sizeof(renewed));
	assert_string_not_equal(before, renewed);
	/* held open across the reload */
	tls_s_client(d, argv, 40, port, words);
	proc_start(&open_conn, argv, NULL);
	assert_true(proc_write(&open_conn, "before the reload\n"));
	assert_true(proc_expect(&open_conn, "before the reload\n", TLS_IO_MS));
	replace_file(d, "renewed_chain.pem", "fullchain.pem");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "the reload did not succeed");
	served_serial(d, port, now, sizeof(now));
	assert_string_equal(now, renewed);
	assert_true(proc_write(&open_conn, "after the reload\n"));
	if (!proc_expect(&open_conn, "after the reload\n", TLS_IO_MS))
		fail_msg("the connection open across the reload stopped echoing:\n%s", open_conn.buf);
	(void)proc_finish(&open_conn, 1);
	/* a key that is not the certificate's: the reload fails, the renewed certificate is still served */
	replace_file(d, "wrong.key", "server.key");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (h_wait_metric(sport, "netsrvd_reloads_total{result=\"failed\"}", H_EQUAL, 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "a reload with a wrong key did not fail");
	if (!h_wait_log(d, "server.key", TLS_IO_MS))
		h_fail_with_log(d, "the failed reload's message does not name the key file");
	served_serial(d, port, now, sizeof(now));
	assert_string_equal(now, renewed);
	assert_true(tls_echo_as(d, port, NULL, "-tls1_3"));
	assert_int_equal(h_stop(d), 0);
}

/* ---- resumption ------------------------------------------------------- */

/* Starts an s_client whose session is read from or written to file, and has it echo a line (it stays open). */
static void
session_open(struct daemon *d, int port, const char *opt, const char *file, const char *version, struct proc *p)
{
	const char *argv[40], *words[] = { version, opt, file, NULL };

	tls_s_client(d, argv, 40, port, words);
	proc_start(p, argv, NULL);
	/* an echo first: a TLS 1.3 ticket comes after the handshake, before our line's echo */
	if (!proc_write(p, "resume\n") || !proc_expect(p, "\nresume\n", TLS_IO_MS))
		fail_msg("no echo:\n%s", p->buf);
}

/*
 * Sessions resume whichever of 4 workers takes the connection: the
 * ticket keys are the generation's. Four clients held open at once are on
 * four workers (one connection each), so most resume a session another
 * worker issued; the access lines' pids say they were four.
 */
static void
check_resumption(struct daemon *d, const char *version, const char *logged)
{
	enum { WORKERS = 4, ROUNDS = 4 };
	int port = h_free_port(), sport = h_free_port();
	char sess[320], want[64];
	static struct proc p[WORKERS];

	snprintf(sess, sizeof(sess), "%s", tls_path(d, "session.pem"));	/* tls_path's ring turns over */
	tls_make_pki(d);
	tls_conf(d, port, sport, "handler = \"echo\"; workers = 4; max_workers = 4;", "", "");
	tls_start(d);
	session_open(d, port, "-sess_out", sess, version, &p[0]);
	(void)proc_finish(&p[0], TLS_IO_MS);
	assert_null(strstr(p[0].buf, "Reused,"));
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < WORKERS; i++)
			session_open(d, port, "-sess_in", sess, version, &p[i]);
		for (int i = 0; i < WORKERS; i++) {
			(void)proc_finish(&p[i], TLS_IO_MS);
			if (strstr(p[i].buf, "Reused,") == NULL)
				fail_msg("round %d, client %d not resumed:\n%s", r + 1, i + 1, p[i].buf);
		}
	}
	if (h_wait_metric(sport, "netsrvd_tls_resumed_total{service=\"s\"}", H_EQUAL, WORKERS * ROUNDS,
	    TLS_IO_MS) != WORKERS * ROUNDS)
		h_fail_with_log(d, "netsrvd_tls_resumed_total does not count every resumption");
	snprintf(want, sizeof(want), "service=s tls=%s", logged);
	assert_int_equal(tls_count_access(d, want), WORKERS * ROUNDS + 1);
	assert_int_equal(tls_count_access(d, "service=s resumed=1"), WORKERS * ROUNDS);
	if (tls_access_pids(d, "service=s resumed=1") != WORKERS)
		h_fail_with_log(d, "the resumed connections were not served by four workers");
	assert_int_equal(h_stop(d), 0);
}

static void
tls_resumption_13_test(void **state)
{
	check_resumption(*state, "-tls1_3", "TLSv1.3");
}

static void
tls_resumption_12_test(void **state)
{
	check_resumption(*state, "-tls1_2", "TLSv1.2");
}

/* What -t refuses about tls and handshake_timeout, each at a line of the file. */
static void
tls_config_refused_test(void **state)
{
	struct daemon *d = *state;
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	char out[4096], cert[400], good[900];
	static const struct {
		const char *proto, *service, *tls, *global, *want;
	} cases[] = {
		{ "udp", "", "", "", "TCP" },	/* "on any TCP service" */
		{ "tcp", "", "verify_client = \"require\";", "", "client_ca" },
		{ "tcp", "", "verify_client = \"sometimes\";", "", "verify_client" },
		{ "tcp", "", "min_version = \"1.1\";", "", "min_version" },
		{ "tcp", "handshake_timeout = 0;", "", "", "handshake_timeout" },
		{ "tcp", "handshake_timeout = 600001;", "", "", "handshake_timeout" },
		{ "tcp", "", "", "handshake_timeout = 0;", "handshake_timeout" },
		{ "tcp", "", "ciphers = \"NO-SUCH-CIPHER\";", "", "NO-SUCH-CIPHER" },
		{ "tcp", "", "alpn = [ \"\" ];", "", "alpn" },
	};

	tls_make_pki(d);
	snprintf(cert, sizeof(cert), "certificate = \"%s\"; key = \"%s\";", tls_path(d, "fullchain.pem"),
	    tls_path(d, "server.key"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h_write_conf(d, "%s\nservices = (\n { name = \"s\"; protocol = \"%s\"; address = \"127.0.0.1\";"
		    " port = 7; handler = \"echo\"; %s\n   tls = { %s %s }; } );\n", cases[i].global, cases[i].proto,
		    cases[i].service, cert, cases[i].tls);
		if (h_run(argv, out, sizeof(out), TLS_IO_MS) == 0 || strstr(out, "netsrv.conf:") == NULL ||
		    strstr(out, cases[i].want) == NULL)
			fail_msg("case %zu (%s %s %s %s): want an error about %s at a line of the file, got: %s", i,
			    cases[i].proto, cases[i].global, cases[i].service, cases[i].tls, cases[i].want, out);
	}
	/* the bounds themselves are fine, as are the optional keys */
	snprintf(good, sizeof(good), "handshake_timeout = 600000;\nservices = (\n { name = \"s\"; protocol = \"tcp\";"
	    " address = \"127.0.0.1\"; port = 7; handler = \"echo\"; handshake_timeout = 1;\n"
	    "   tls = { %s client_ca = \"%s\"; verify_client = \"optional\"; min_version = \"1.3\";"
	    " ciphers = \"ECDHE-ECDSA-AES128-GCM-SHA256\"; ciphersuites = \"TLS_AES_128_GCM_SHA256\";"
	    " alpn = [ \"http/1.1\" ]; }; } );\n", cert, tls_path(d, "client_ca.pem"));
	h_write_conf(d, "%s", good);
	if (h_run(argv, out, sizeof(out), TLS_IO_MS) != 0)
		fail_msg("-t on every key at a good value said:\n%s", out);
}

/* A reload starts new ticket keys: a session from before it is not resumed after it, and a new one is. */
static void
tls_reload_new_ticket_keys_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char sess[320];
	struct proc p;

	snprintf(sess, sizeof(sess), "%s", tls_path(d, "session.pem"));
	tls_start_echo(d, port, sport, "", "");
	session_open(d, port, "-sess_out", sess, "-tls1_3", &p);
	(void)proc_finish(&p, TLS_IO_MS);
	session_open(d, port, "-sess_in", sess, "-tls1_3", &p);
	(void)proc_finish(&p, TLS_IO_MS);
	if (strstr(p.buf, "Reused,") == NULL)
		fail_msg("not resumed before the reload:\n%s", p.buf);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "the reload did not succeed");
	session_open(d, port, "-sess_in", sess, "-tls1_3", &p);
	(void)proc_finish(&p, TLS_IO_MS);
	if (strstr(p.buf, "Reused,") != NULL)
		fail_msg("a ticket from before the reload resumed after it:\n%s", p.buf);
	assert_int_equal(h_metric(sport, "netsrvd_tls_resumed_total{service=\"s\"}"), 1);
	assert_int_equal(h_stop(d), 0);
}

/* A reload applies a changed tls block: min_version raised to 1.3 refuses the next TLS 1.2 client. */
static void
tls_reload_min_version_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	struct proc p;
	const char *v12[] = { "-tls1_2", NULL };

	tls_start_echo(d, port, sport, "", "");
	assert_true(tls_echo(d, &p, port, "1.2 is fine\n", v12));
	tls_conf(d, port, sport, TLS_ECHO_KEYS, "min_version = \"1.3\";", "");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "the reload did not succeed");
	if (tls_echo(d, &p, port, "1.2 no more\n", v12))
		h_fail_with_log(d, "TLS 1.2 served after a reload to min_version 1.3");
	assert_int_equal(h_stop(d), 0);
}

/*
 * Workers that replace others (max_connections_per_worker = 1: one client
 * each) take the tickets of the ones before them: the keys are the
 * generation's, not a worker's.
 */
static void
tls_resumption_new_workers_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char sess[320];
	struct proc p;
	const int rounds = 6;

	snprintf(sess, sizeof(sess), "%s", tls_path(d, "session.pem"));
	tls_make_pki(d);
	tls_conf(d, port, sport, "handler = \"echo\"; workers = 1; max_workers = 1; max_connections_per_worker = 1;",
	    "", "");
	tls_start(d);
	session_open(d, port, "-sess_out", sess, "-tls1_3", &p);
	(void)proc_finish(&p, TLS_IO_MS);
	for (int i = 0; i < rounds; i++) {
		session_open(d, port, "-sess_in", sess, "-tls1_3", &p);
		(void)proc_finish(&p, TLS_IO_MS);
		if (strstr(p.buf, "Reused,") == NULL)
			h_fail_with_log(d, "a later worker did not resume the session");
	}
	/* they were other workers: the pids of the lines */
	if (tls_access_pids(d, "service=s tls=TLSv1.3") < 2)
		h_fail_with_log(d, "max_connections_per_worker = 1 and one worker served every client");
	assert_int_equal(h_wait_metric(sport, "netsrvd_tls_resumed_total{service=\"s\"}", H_EQUAL, rounds, TLS_IO_MS),
	    rounds);
	assert_int_equal(h_stop(d), 0);
}

/*
 * Workers as nobody, the key root's alone (0600): the master read it
 * before they existed, so they serve, and a reload (the master again)
 * reads the renewed file.
 */
static void
tls_unprivileged_workers_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), sport = h_free_port();
	char serial[64], renewed[64];

	if (geteuid() != 0) {
		print_message("skipped: not root: the workers cannot change user\n");
		skip();
	}
	tls_make_pki(d);
	assert_int_equal(chmod(tls_path(d, "server.key"), 0600), 0);
	tls_conf(d, port, sport, TLS_ECHO_KEYS, "", "user = \"nobody\";");
	tls_start(d);
	if (!tls_echo_as(d, port, NULL, "-tls1_3"))
		h_fail_with_log(d, "workers as nobody did not serve");
	replace_file(d, "renewed_chain.pem", "fullchain.pem");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	if (h_wait_metric(sport, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, TLS_IO_MS) != 1)
		h_fail_with_log(d, "the reload did not succeed");
	served_serial(d, port, serial, sizeof(serial));
	tls_serial_of(tls_path(d, "server_renewed.pem"), renewed, sizeof(renewed));
	assert_string_equal(serial, renewed);
	assert_int_equal(h_stop(d), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, h_fixture_setup, tls_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(tls_check_files_test),
		T(tls_config_refused_test),
		T(tls_reload_test),
		T(tls_reload_min_version_test),
		T(tls_reload_new_ticket_keys_test),
		T(tls_resumption_13_test),
		T(tls_resumption_12_test),
		T(tls_resumption_new_workers_test),
		T(tls_unprivileged_workers_test),
	};

	signal(SIGPIPE, SIG_IGN);
	h_test_filter();
	return cmocka_run_group_tests_name("tls_conf", tests, NULL, NULL);
}
