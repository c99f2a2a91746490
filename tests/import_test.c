/* Unit tests of --import: format detection, the inetd and xinetd parsers, the checks across services, the emitter. */
#include "autoconfig.h"

#include <errno.h>
#include <libconfig.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "handler.h"
#include "import/import.h"
#include "import/import_addr.h"
#include "import/import_emit.h"
#include "import/import_to.h"

/* --- a machine of our own: what the import asks, answered the same everywhere --- */

static bool keys_of_later_netsrvd;	/* keepalive and interface are in the schema */

static int
fake_port(const char *name, const char *proto)
{
	static const struct {
		const char *name, *proto;
		int port;
	} services[] = {
		{ "echo", "tcp", 7 }, { "echo", "udp", 7 }, { "discard", "tcp", 9 },
		{ "discard", "udp", 9 }, { "daytime", "tcp", 13 }, { "daytime", "udp", 13 },
		{ "qotd", "tcp", 17 }, { "chargen", "tcp", 19 }, { "chargen", "udp", 19 },
		{ "ftp", "tcp", 21 }, { "time", "tcp", 37 }, { "time", "udp", 37 },
		{ "tftp", "udp", 69 }, { "talk", "udp", 517 }, { "rsync", "tcp", 873 },
		{ "nrpe", "tcp", 5666 }, { "git", "tcp", 9418 }, { "amanda", "tcp", 10080 },
		{ "tcpmux", "tcp", 1 }, { "telnet", "tcp", 23 }, { "finger", "tcp", 79 },
	};

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strcmp(services[i].name, name) == 0 && strcmp(services[i].proto, proto) == 0)
			return services[i].port;
	return -1;
}

static bool
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static bool
fake_user(const char *name)
{
	static const char *const users[] = { "root", "nobody", "backup", "nagios", NULL };
	return in_list(name, users);
}

static bool
fake_group(const char *name)
{
	static const char *const groups[] = { "root", "nogroup", "disk", "nagios", "tty", NULL };
	return in_list(name, groups);
}

static int
fake_program(const char *path, const char *user, const char *group)
{
	static const char *const programs[] = {
		"/usr/sbin/in.tftpd", "/usr/bin/rsync", "/usr/bin/git", "/usr/sbin/nrpe",
		"/usr/lib/amanda/amandad", "/usr/sbin/in.ftpd", "/usr/sbin/in.talkd",
		"/usr/sbin/tcpd", "/usr/games/fortune", "/bin/busybox", "/usr/bin/cat",
		"/usr/sbin/in.rlogind", "/usr/sbin/in.telnetd", "/usr/sbin/in.identd", NULL,
	};
	(void)group;
	/* a program only root may run */
	if (strcmp(path, "/usr/sbin/root-only") == 0)
		return user == NULL || strcmp(user, "root") == 0 ? 0 : EACCES;
	return in_list(path, programs) ? 0 : ENOENT;
}

static int
fake_resolve(const char *host, char *out, size_t len)
{
	if (strcmp(host, "localhost") != 0)
		return -1;
	snprintf(out, len, "127.0.0.1");
	return 0;
}

static bool
fake_interface(const char *name)
{
	return strcmp(name, "lo") == 0 || strcmp(name, "eth0") == 0;
}

static bool
fake_quotes(const char *path)
{
	return strcmp(path, "/usr/share/games/fortunes/short") == 0;
}

static bool
fake_banner(const char *path)
{
	return strcmp(path, "/etc/issue") == 0 || strcmp(path, "/etc/issue.net") == 0;
}

static bool
fake_key_known(const char *key)
{
	return keys_of_later_netsrvd && (strcmp(key, "keepalive") == 0 || strcmp(key, "interface") == 0);
}

static const struct import_host fake = {
	.service_port = fake_port,
	.user_exists = fake_user,
	.group_exists = fake_group,
	.program_usable = fake_program,
	.resolve = fake_resolve,
	.is_interface = fake_interface,
	.quotes_ok = fake_quotes,
	.banner_ok = fake_banner,
	.key_known = fake_key_known,
};

/* --- helpers --- */

static struct import_result r;

static int
import(const char *text)
{
	import_result_free(&r);
	return import_text(&r, "test.conf", text, NULL, &fake);
}

static void
import_ok(const char *text)
{
	if (import(text) != 0)
		fail_msg("not recognized as inetd or xinetd:\n%s", text);
}

static const struct import_service *
svc(const char *name)
{
	for (size_t i = 0; i < r.nsvc; i++)
		if (strcmp(r.svc[i].name, name) == 0)
			return &r.svc[i];
	fail_msg("no service \"%s\" among %zu", name, r.nsvc);
	return NULL;
}

static bool
notes_mention(const struct import_notes *ns, const char *needle)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strstr(ns->v[i].what, needle) != NULL || strstr(ns->v[i].why, needle) != NULL)
			return true;
	return false;
}

static void
assert_note(const struct import_service *s, const char *needle)
{
	if (!notes_mention(&s->notes, needle))
		fail_msg("service %s: no note mentions \"%s\" (%zu notes%s%s)", s->name, needle,
		    s->notes.n, s->notes.n > 0 ? ", first: " : "", s->notes.n > 0 ? s->notes.v[0].why : "");
}

/* tcp_wrappers = name and nothing lost; a build without libwrap keeps none and says why. */
static void
assert_wrapped(const struct import_service *s, const char *name)
{
#ifdef HAVE_LIBWRAP
	if (s->tcp_wrappers == NULL || strcmp(s->tcp_wrappers, name) != 0)
		fail_msg("service %s: tcp_wrappers %s, not %s", s->name,
		    s->tcp_wrappers != NULL ? s->tcp_wrappers : "(none)", name);
	assert_int_equal(s->notes.n, 0);
#else
	assert_null(s->tcp_wrappers);
	(void)name;
	assert_note(s, "built without libwrap");
#endif
}

static void
assert_strv(const struct import_strv *v, const char *const *want)
{
	size_t n = 0;

	for (; want[n] != NULL; n++) {
		if (n >= v->n)
			fail_msg("list has %zu elements, wanted \"%s\" at %zu", v->n, want[n], n);
		assert_string_equal(v->v[n], want[n]);
	}
	assert_int_equal(v->n, n);
}

static void
assert_served(const struct import_service *s)
{
	if (s->unservable != NULL)
		fail_msg("service %s is not served: %s", s->name, s->unservable);
}

static void
assert_unservable(const struct import_service *s, const char *needle)
{
	if (s->unservable == NULL || strstr(s->unservable, needle) == NULL)
		fail_msg("service %s: wanted unservable for \"%s\", got %s", s->name, needle,
		    s->unservable != NULL ? s->unservable : "served");
}

static char *
emit(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	import_emit_config(&r, &fake, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int
teardown(void **state)
{
	(void)state;
	import_result_free(&r);
	keys_of_later_netsrvd = false;
	return 0;
}

/* --- detection --- */

static void
import_detect_test(void **state)
{
	(void)state;
	assert_int_equal(import_detect("# xinetd\n\ndefaults\n{\n}\n"), IMPORT_XINETD);
	assert_int_equal(import_detect("service echo\n{\n\ttype = INTERNAL\n}\n"), IMPORT_XINETD);
	assert_int_equal(import_detect("  includedir /etc/xinetd.d\n"), IMPORT_XINETD);
	assert_int_equal(import_detect("echo stream tcp nowait root internal\n"), IMPORT_INETD);
	assert_int_equal(import_detect("#<off># echo stream tcp nowait root internal\n"), IMPORT_INETD);
	assert_int_equal(import_detect("127.0.0.1:\necho stream tcp nowait root internal\n"), IMPORT_INETD);
	/* Debian's inetd.conf as openbsd-inetd creates it: comments only */
	assert_int_equal(import_detect("# /etc/inetd.conf\n#:INTERNAL: Internal services\n"
	    "#echo\t\tstream\ttcp\tnowait\troot\tinternal\n"), IMPORT_INETD);
	assert_int_equal(import_detect(""), IMPORT_NEITHER);
	assert_int_equal(import_detect("# nothing\n\n"), IMPORT_NEITHER);
	assert_int_equal(import_detect("services = ( { name = \"echo\"; } );\n"), IMPORT_NEITHER);
	assert_int_equal(import_detect("[global]\nfoo = bar\n"), IMPORT_NEITHER);
	assert_int_equal(import(" hello world\n"), -1);
}

/* --- inetd.conf --- */

static void
import_inetd_internal_test(void **state)
{
	(void)state;
	import_ok("echo\tstream\ttcp\tnowait\troot\tinternal\n"
	    "echo\tdgram\tudp\twait\troot\tinternal\n"
	    "#<off># daytime\tstream\ttcp\tnowait\troot\tinternal\n"
	    "tcpmux\tstream\ttcp\tnowait\troot\tinternal\n");
	assert_int_equal(r.nsvc, 4);
	assert_string_equal(svc("echo")->handler, "echo");
	assert_int_equal(svc("echo")->protocol, PROTO_TCP);
	assert_int_equal(svc("echo")->port, 7);
	assert_string_equal(svc("echo-udp")->handler, "echo");
	assert_int_equal(svc("echo-udp")->protocol, PROTO_UDP);
	assert_false(svc("echo-udp")->wait);	/* a built-in handler: wait means nothing */
	assert_true(notes_mention(&svc("echo-udp")->remarks, "also the service"));
	assert_false(svc("daytime")->enabled);
	assert_served(svc("daytime"));
	assert_unservable(svc("tcpmux"), "no such handler");
	assert_true(svc("echo")->enabled);
	assert_true(import_result_lost(&r));
}

static void
import_inetd_addresses_test(void **state)
{
	(void)state;
	import_ok("127.0.0.1:time\tstream\ttcp4\tnowait\troot\tinternal\n"
	    "[::1]:chargen\tstream\ttcp6\tnowait\troot\tinternal\n"
	    "discard\tstream\ttcp6\tnowait\troot\tinternal\n"
	    "discard\tdgram\tudp4\twait\troot\tinternal\n"
	    "127.0.0.2:\n"
	    "daytime\tstream\ttcp\tnowait\troot\tinternal\n"
	    "127.0.0.3,::1:echo\tstream\ttcp\tnowait\troot\tinternal\n"
	    "localhost:daytime\tdgram\tudp\twait\troot\tinternal\n"
	    "*:\n"
	    "[::1]:time\tstream\ttcp4\tnowait\troot\tinternal\n"
	    "nowhere.invalid:chargen\tdgram\tudp\twait\troot\tinternal\n");
	assert_string_equal(svc("time")->address, "127.0.0.1");
	assert_string_equal(svc("chargen")->address, "::1");
	assert_string_equal(svc("discard")->address, "::");
	assert_string_equal(svc("discard-udp")->address, "0.0.0.0");
	assert_string_equal(svc("daytime")->address, "127.0.0.2");	/* the "host:" line */
	/* one line, two addresses: two services */
	assert_string_equal(svc("echo")->address, "127.0.0.3");
	assert_string_equal(svc("echo-tcp")->address, "::1");
	assert_int_equal(svc("echo-tcp")->port, 7);
	/* a name resolves as inetd resolved it */
	assert_string_equal(svc("daytime-udp")->address, "127.0.0.1");
	assert_int_equal(svc("daytime-udp")->port, 13);
	assert_true(notes_mention(&svc("daytime-udp")->remarks, "resolved"));
	assert_unservable(svc("time-tcp"), "not an IPv4 address");
	assert_unservable(svc("chargen-udp"), "neither numeric nor a name");
}

/* An internal service becomes the handler of its name when the table says it is one, and only then. */
static void
import_internal_asks_the_table_test(void **state)
{
	(void)state;
	for (size_t i = 0; i < handler_count(); i++) {
		const struct handler *h = handler_at(i);
		char *text = import_xprintf("service %s\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n"
		    "\twait = no\n\tport = 7000\n}\n", h->name);

		import_ok(text);
		free(text);
		assert_int_equal(r.nsvc, 1);
		if (handler_is_internal(h)) {
			assert_served(&r.svc[0]);
			assert_string_equal(r.svc[0].handler, h->name);
		} else
			assert_unservable(&r.svc[0], "(it has echo, discard, chargen, daytime, time)");
	}
}

static void
import_inetd_ports_test(void **state)
{
	(void)state;
	import_ok("8080\tstream\ttcp\tnowait\troot\tinternal\n"
	    "nosuch\tstream\ttcp\tnowait\troot\tinternal\n"
	    "rstatd/1-3\tdgram\trpc/udp\twait\troot\t/usr/sbin/rpc.rstatd\trpc.rstatd\n"
	    "tftp\tstream\ttcp\tnowait\troot\tinternal\n"
	    "/run/x.sock\tstream\tunix\tnowait\troot\tinternal\n"
	    "echo\traw\ttcp\tnowait\troot\tinternal\n"
	    "99999\tstream\ttcp\tnowait\troot\tinternal\n");
	assert_int_equal(svc("8080")->port, 8080);
	assert_unservable(svc("8080"), "no such handler");	/* internal needs the real name */
	assert_unservable(svc("nosuch"), "no tcp port in /etc/services");
	assert_unservable(svc("rstatd-1-3"), "no RPC");
	assert_unservable(svc("tftp"), "no tcp port");	/* tftp is udp only */
	assert_unservable(svc("-run-x.sock"), "UNIX-domain");
	assert_unservable(svc("echo"), "socket type \"raw\"");
	assert_unservable(svc("99999"), "no tcp port");
}

static void
import_inetd_wait_and_caps_test(void **state)
{
	(void)state;
	import_ok("ftp\tstream\ttcp\tnowait.400\troot\t/usr/sbin/in.ftpd\tin.ftpd -l\n"
	    "rsync\tstream\ttcp\tnowait.2\troot\t/usr/bin/rsync\trsync --daemon\n"
	    "git\tstream\ttcp\tnowait/5/10/2\tnobody\t/usr/bin/git\tgit daemon --inetd /srv\n"
	    "nrpe\tstream\ttcp\twait\tnagios\t/usr/sbin/nrpe\tnrpe --inetd\n"
	    "talk\tdgram\tudp\tnowait\tnobody.tty\t/usr/sbin/in.talkd\tin.talkd\n"
	    "tftp\tdgram\tudp\twait.5\troot\t/usr/sbin/in.tftpd\tin.tftpd -s /srv/tftp\n"
	    "amanda\tstream\ttcp\tnowait.9999\tbackup\t/usr/lib/amanda/amandad\tamandad\n");
	assert_int_equal(svc("ftp")->max_workers, 400);
	assert_int_equal(svc("ftp")->workers, 0);	/* above the default pool: as is */
	assert_int_equal(svc("rsync")->max_workers, 2);
	assert_int_equal(svc("rsync")->workers, 2);	/* below it: the pool starts at the cap */
	assert_int_equal(svc("git")->max_workers, 5);
	assert_int_equal(svc("git")->max_per_source, 2);
	assert_note(svc("git"), "per minute");
	/* inetd's tcp wait: the program gets the listener, alone; no cap of ours applies */
	assert_served(svc("nrpe"));
	assert_true(svc("nrpe")->wait);
	assert_int_equal(svc("nrpe")->max_workers, 0);
	assert_int_equal(svc("nrpe")->max_per_source, -1);
	assert_int_equal(svc("nrpe")->notes.n, 0);
	assert_true(svc("talk")->wait);
	assert_note(svc("talk"), "one program at a time");
	assert_true(svc("tftp")->wait);
	assert_int_equal(svc("tftp")->max_workers, 0);	/* one UDP program: no cap to set */
	assert_int_equal(svc("tftp")->notes.n, 0);
	assert_int_equal(svc("amanda")->max_workers, 4096);
	assert_note(svc("amanda"), "at most 4096");
	/* neither word (fuzz_import_inetd read past a field shorter than "nowait"): the line is not served */
	import_ok("echo\tstream\ttcp\tnowait\troot\tinternal\n"
	    "finger\tstream\ttcp\tno\tnobody\t/usr/sbin/in.fingerd\tin.fingerd\n"
	    "daytime\tstream\ttcp\tsometimes\tnobody\t/bin/date\tdate\n");
	assert_unservable(svc("finger"), "wait/nowait field \"no\" is neither");
	assert_unservable(svc("daytime"), "wait/nowait field \"sometimes\" is neither");
}

static void
import_inetd_user_group_test(void **state)
{
	(void)state;
	import_ok("talk\tdgram\tudp\twait\tnobody.tty\t/usr/sbin/in.talkd\tin.talkd\n"
	    "git\tstream\ttcp\tnowait\tnobody:nogroup\t/usr/bin/git\tgit daemon --inetd\n"
	    "rsync\tstream\ttcp\tnowait\tmallory\t/usr/bin/rsync\trsync --daemon\n"
	    "ftp\tstream\ttcp\tnowait\troot:wheel\t/usr/sbin/in.ftpd\tin.ftpd\n"
	    "nrpe\tstream\ttcp\tnowait\tnagios/daemon\t/usr/sbin/nrpe\tnrpe --inetd\n"
	    "echo\tstream\ttcp\tnowait\tmallory\tinternal\n");
	assert_string_equal(svc("talk")->user, "nobody");
	assert_string_equal(svc("talk")->group, "tty");
	assert_string_equal(svc("git")->user, "nobody");
	assert_string_equal(svc("git")->group, "nogroup");
	assert_unservable(svc("rsync"), "user \"mallory\" does not exist");
	assert_unservable(svc("ftp"), "group \"wheel\" does not exist");
	assert_string_equal(svc("nrpe")->user, "nagios");
	assert_note(svc("nrpe"), "login classes");
	/* built-in handlers run in netsrvd's own workers: their user is not used */
	assert_served(svc("echo"));
	assert_null(svc("echo")->user);
}

static void
import_inetd_program_test(void **state)
{
	static const char *const rsync[] = { "/usr/bin/rsync", "--daemon", NULL };
	static const char *const git[] = { "/usr/bin/git", "daemon", "--inetd", "--export-all", "/pub", NULL };
	static const char *const tftp[] = { "/usr/sbin/in.tftpd", "-s", "/srv/tftp", NULL };
	static const char *const wrapped[] = { "/usr/sbin/in.tftpd", "-s", "/tftpboot", "-r", "blksize", NULL };

	(void)state;
	import_ok("rsync\tstream\ttcp\tnowait\troot\t/usr/bin/rsync rsyncd --daemon\n"
	    "git\tstream\ttcp\tnowait\tnobody\t/usr/bin/git git daemon --inetd --export-all /pub\n"
	    "tftp\tdgram\tudp\twait\troot\t/usr/sbin/in.tftpd /usr/sbin/in.tftpd -s /srv/tftp\n"
	    "127.0.0.2:tftp\tdgram\tudp\twait\troot\t/usr/sbin/tcpd /usr/sbin/in.tftpd -s /tftpboot -r blksize\n"
	    "127.0.0.3:tftp\tdgram\tudp\twait\troot\t/usr/sbin/tcpd in.tftpd -s /tftpboot -r blksize\n"
	    "ftp\tstream\ttcp\tnowait\troot\t/usr/sbin/in.ftpd\n"
	    "telnet\tstream\ttcp\tnowait\troot\t/bin/busybox telnetd -i\n"
	    "finger\tstream\ttcp\tnowait\tnobody\t/usr/sbin/in.fingerd in.fingerd\n"
	    "qotd\tstream\ttcp\tnowait\tnobody\t/usr/games/fortune fortune /usr/share/games/fortunes/short\n"
	    "17\tstream\ttcp\tnowait\tnobody\t/usr/games/fortune fortune -s\n"
	    "daytime\tstream\ttcp\tnowait\tnobody\tbin/date date\n");
	/* rsync's own doc line: argv[0] "rsyncd" is not its name, and is lost */
	assert_strv(&svc("rsync")->command, rsync);
	assert_note(svc("rsync"), "argv[0] \"rsyncd\"");
	/* git-daemon(1)'s line: argv[0] "git" is dropped */
	assert_strv(&svc("git")->command, git);
	assert_int_equal(svc("git")->notes.n, 0);
	assert_strv(&svc("tftp")->command, tftp);
	assert_int_equal(svc("tftp")->notes.n, 0);
	/* tftpd-hpa's README.security lines through tcpd: the daemon, and a note */
	assert_strv(&svc("tftp-udp")->command, wrapped);
	assert_note(svc("tftp-udp"), "hosts.allow");
	assert_strv(&svc("tftp-2")->command, wrapped);	/* a name: tcpd's daemon directory */
	assert_note(svc("tftp-2"), "hosts.deny");
	assert_int_equal(svc("ftp")->command.n, 1);	/* no argv[0] at all */
	assert_note(svc("telnet"), "argv[0] \"telnetd\"");
	assert_unservable(svc("finger"), "No such file");
	assert_string_equal(svc("qotd")->handler, "qotd");
	assert_string_equal(svc("qotd")->quotes, "/usr/share/games/fortunes/short");
	assert_int_equal(svc("qotd")->command.n, 0);
	assert_string_equal(svc("17")->handler, "exec");	/* fortune without a file stays a program */
	assert_unservable(svc("daytime"), "not an absolute path");
}

static void
import_inetd_options_test(void **state)
{
	(void)state;
	import_ok("ftp\tstream\ttcp,rcvbuf=64k,sndbuf=1m\tnowait\troot\t/usr/sbin/in.ftpd\tin.ftpd\n"
	    "echo\tstream\tudp\tnowait\troot\tinternal\n"
	    "time\tstream\ttcp5\tnowait\troot\tinternal\n"
	    "daytime\tdgram\tud\twait\troot\tinternal\n"
	    "bogus line\n");
	assert_served(svc("ftp"));
	assert_note(svc("ftp"), "rcvbuf=64k");
	assert_note(svc("ftp"), "sndbuf=1m");
	assert_unservable(svc("echo"), "with socket type stream");
	assert_unservable(svc("time"), "unknown protocol \"tcp5\"");
	/* shorter than "udp": read no further than it goes (the fuzzer found it) */
	assert_unservable(svc("daytime"), "protocol \"ud\" with socket type dgram");
	assert_int_equal(r.notes.n, 1);
	assert_int_equal(r.notes.v[0].line, 5);
}

/* --- xinetd --- */

static void
import_xinetd_internal_test(void **state)
{
	(void)state;
	import_ok("service echo\n{\n\tdisable\t= yes\n\ttype\t= INTERNAL\n\tid\t= echo-stream\n"
	    "\tsocket_type\t= stream\n\tprotocol\t= tcp\n\tuser\t= root\n\twait\t= no\n}\n"
	    "service echo\n{\n\ttype\t= INTERNAL UNLISTED\n\tid\t= echo-dgram\n\tsocket_type\t= dgram\n"
	    "\tprotocol\t= udp\n\tuser\t= root\n\twait\t= yes\n\tport\t= 7\n}\n"
	    "service tcpmux\n{\n\ttype = INTERNAL\n\tid = tcpmux\n\tsocket_type = stream\n\twait = no\n}\n"
	    "service servers\n{\n\ttype = INTERNAL UNLISTED\n\tport = 9099\n\tsocket_type = stream\n"
	    "\twait = no\n\tonly_from = 127.0.0.1\n}\n"
	    "service myorg\n{\n\ttype = TCPMUX\n\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/bin/cat\n}\n");
	assert_string_equal(svc("echo-stream")->handler, "echo");
	assert_false(svc("echo-stream")->enabled);
	assert_null(svc("echo-stream")->user);
	assert_string_equal(svc("echo-dgram")->handler, "echo");
	assert_int_equal(svc("echo-dgram")->protocol, PROTO_UDP);
	assert_true(svc("echo-dgram")->enabled);
	assert_int_equal(svc("echo-dgram")->port, 7);
	assert_string_equal(svc("echo-dgram")->origin, "service echo (id echo-dgram)");
	assert_unservable(svc("tcpmux"), "no such handler");
	assert_unservable(svc("servers"), "no such handler");
	assert_unservable(svc("myorg"), "no tcpmux");
}

static void
import_xinetd_exec_test(void **state)
{
	static const char *const git[] = { "/usr/bin/git", "daemon", "--inetd", "--export-all",
		"--base-path=/pub/git", NULL };
	static const char *const env[] = { "HOME=/srv/git", "LANG=C", NULL };
	static const char *const passenv[] = { "TZ", NULL };

	(void)state;
	import_ok("service git\n{\n\tdisable = no\n\ttype = UNLISTED\n\tport = 9418\n"
	    "\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tgroup = nogroup\n"
	    "\tserver = /usr/bin/git\n\tserver_args = daemon --inetd --export-all --base-path=/pub/git\n"
	    "\tenv = HOME=/srv/git\n\tenv += LANG=C\n\tpassenv = TZ\n"
	    "\trlimit_as = 8M\n\trlimit_cpu = 60\n\trlimit_files = 256\n\tinstances = 3\n"
	    "\tper_source = UNLIMITED\n}\n");
	assert_served(svc("git"));
	assert_string_equal(svc("git")->handler, "exec");
	assert_strv(&svc("git")->command, git);
	assert_string_equal(svc("git")->user, "nobody");
	assert_string_equal(svc("git")->group, "nogroup");
	assert_strv(&svc("git")->env, env);
	assert_strv(&svc("git")->passenv, passenv);
	assert_true(svc("git")->limits.memory == 8LL * 1024 * 1024);
	assert_true(svc("git")->limits.cpu == 60);
	assert_true(svc("git")->limits.files == 256);
	assert_int_equal(svc("git")->max_workers, 3);
	assert_int_equal(svc("git")->workers, 3);
	assert_int_equal(svc("git")->max_per_source, 0);
	assert_int_equal(svc("git")->notes.n, 0);
	assert_false(import_result_lost(&r));
}

static void
import_xinetd_nameinargs_test(void **state)
{
	static const char *const ftpd[] = { "/usr/sbin/in.ftpd", "-l", NULL };

	(void)state;
	import_ok("service ftp\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tflags = NAMEINARGS\n\tserver = /usr/sbin/tcpd\n\tserver_args = /usr/sbin/in.ftpd -l\n}\n"
	    "service telnet\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tport = 23\n"
	    "\tflags = NAMEINARGS\n\tserver = /bin/busybox\n\tserver_args = telnetd -i\n}\n");
	/* tcpd's rules kept: tcp_wrappers under the name tcpd gives the daemon */
	assert_strv(&svc("ftp")->command, ftpd);
	assert_wrapped(svc("ftp"), "in.ftpd");
	assert_note(svc("telnet"), "argv[0] \"telnetd\"");
	assert_null(svc("telnet")->tcp_wrappers);
}

/*
 * Debian's postinst lines through tcpd: the real program runs, with
 * tcp_wrappers = the base name of tcpd's argv[0], as tcpd asks the
 * tables; a UDP one (talk) cannot keep them and says so.
 */
static void
import_inetd_tcpd_test(void **state)
{
	static const char *const login[] = { "/usr/sbin/in.rlogind", NULL };
	static const char *const telnet[] = { "/usr/sbin/in.telnetd", "-h", NULL };
	static const char *const ident[] = { "/usr/sbin/in.identd", NULL };

	(void)state;
	import_ok("login\tstream\ttcp\tnowait\troot\t/usr/sbin/tcpd\t/usr/sbin/in.rlogind\n"
	    "telnet\tstream\ttcp\tnowait\troot\t/usr/sbin/tcpd\t/usr/sbin/in.telnetd -h\n"
	    "ident\tstream\ttcp\tnowait\tnobody\t/usr/sbin/tcpd\tin.identd\n"
	    "talk\tdgram\tudp\twait\tnobody.tty\t/usr/sbin/tcpd\t/usr/sbin/in.talkd\n");
	assert_strv(&svc("login")->command, login);
	assert_wrapped(svc("login"), "in.rlogind");
	assert_strv(&svc("telnet")->command, telnet);
	assert_wrapped(svc("telnet"), "in.telnetd");
	/* a name without a path: tcpd's daemon directory, the name as given */
	assert_strv(&svc("ident")->command, ident);
	assert_wrapped(svc("ident"), "in.identd");
	assert_null(svc("talk")->tcp_wrappers);
	assert_note(svc("talk"), "/etc/hosts.allow and /etc/hosts.deny are not consulted for in.talkd "
	    "(tcp_wrappers checks TCP clients only)");
}

/* xinetd's libwrap = name: the tables for that name; NOLIBWRAP, or a built-in handler, keeps none. */
static void
import_xinetd_libwrap_test(void **state)
{
	(void)state;
	import_ok("service ftp\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.ftpd\n\tlibwrap = ftpd\n}\n"
	    "service login\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.rlogind\n\tflags = NOLIBWRAP\n\tlibwrap = rlogind\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tlibwrap = daytime\n}\n");
	assert_wrapped(svc("ftp"), "ftpd");
	assert_null(svc("login")->tcp_wrappers);
	assert_note(svc("login"), "NOLIBWRAP");
	assert_null(svc("daytime")->tcp_wrappers);
	assert_note(svc("daytime"), "needs seccomp = false");
}

static void
import_xinetd_defaults_test(void **state)
{
	static const char *const allow_added[] = { "10.0.0.0/8", "192.168.1.0/24", "127.0.0.1/32", NULL };
	static const char *const allow_set[] = { "127.0.0.1/32", NULL };
	static const char *const allow_removed[] = { "10.0.0.0/8", NULL };

	(void)state;
	import_ok("defaults\n{\n\tlog_type = SYSLOG local3\n\tlog_on_success = HOST PID\n"
	    "\tonly_from = 10.0.0.0\n\tonly_from = 192.168.1.0\n\tinstances = 60\n\tper_source = 5\n"
	    "\tcps = 50 10\n\tbind = 127.0.0.1\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tonly_from += 127.0.0.1\n}\n"
	    "service time\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tonly_from = 127.0.0.1\n\tinstances = 2\n\tbind = 127.0.0.5\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tonly_from -= 192.168.1.0\n}\n");
	assert_string_equal(r.log_target, "syslog");
	assert_string_equal(r.log_facility, "local3");
	assert_true(r.log_connections);
	/* defaults' "=" accumulates; a service's += adds, = replaces, -= removes */
	assert_strv(&svc("daytime")->allow, allow_added);
	assert_strv(&svc("time")->allow, allow_set);
	assert_strv(&svc("echo")->allow, allow_removed);
	assert_int_equal(svc("daytime")->max_workers, 60);
	assert_int_equal(svc("time")->max_workers, 2);
	assert_int_equal(svc("daytime")->max_per_source, 5);
	assert_string_equal(svc("daytime")->address, "127.0.0.1");
	assert_string_equal(svc("time")->address, "127.0.0.5");
	/* the defaults' cps is each service's connection_rate, and nothing is lost */
	assert_int_equal(svc("daytime")->connection_rate, 50);
	assert_int_equal(svc("time")->connection_rate, 50);
	assert_false(notes_mention(&r.notes, "cps"));
	assert_int_equal(svc("daytime")->notes.n, 0);
}

static void
import_xinetd_acl_test(void **state)
{
	static const char *const allow[] = { "128.138.12.0/24", "0.0.0.0/0", "::/0",
		"1.2.3.0/24", "1.2.4.0/24", "10.1.0.0/16", "2001:db8::1/128", "2001:db8::/32",
		"192.168.0.0/16", "10.2.3.4/32", NULL };
	static const char *const deny[] = { "10.1.2.0/24", "10.2.0.0/16", NULL };
	static const char *const nobody[] = { "0.0.0.0/0", "::/0", NULL };

	(void)state;
	import_ok("service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tonly_from = 128.138.12.0 0.0.0.0 1.2.{3,4} 10.1.0.0 2001:db8::1 2001:db8::/32\n"
	    "\tonly_from += 192.168.7.9/16 10.2.3.4 host.example.org .example.com\n"
	    "\tno_access = 10.1.2.0/24 badhost 10.2.0.0/16\n}\n"
	    "service time\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n\tonly_from =\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tonly_from = trusted.example.org\n}\n");
	assert_strv(&svc("daytime")->allow, allow);
	assert_strv(&svc("daytime")->deny, deny);
	assert_note(svc("daytime"), "only_from host.example.org");
	assert_note(svc("daytime"), "only_from .example.com");
	assert_note(svc("daytime"), "no_access badhost");
	/* xinetd's closer match: 10.2.3.4 was let in despite no_access 10.2.0.0/16 */
	assert_note(svc("daytime"), "only_from 10.2.3.4/32 inside no_access 10.2.0.0/16");
	/* an empty only_from admits nobody; so does one whose names are all lost */
	assert_int_equal(svc("time")->allow.n, 0);
	assert_strv(&svc("time")->deny, nobody);
	assert_int_equal(svc("time")->notes.n, 0);
	assert_strv(&svc("echo")->deny, nobody);
	assert_note(svc("echo"), "trusted.example.org");
}

static void
import_xinetd_address_forms_test(void **state)
{
	struct import_strv out = { NULL, 0 };

	(void)state;
	assert_int_equal(import_addr_xinetd("10.0.0.0", &out), 0);
	assert_int_equal(import_addr_xinetd("10.1.2.3/8", &out), 0);	/* host bits cleared */
	assert_int_equal(import_addr_xinetd("1.2.3.{4,5}", &out), 0);
	assert_int_equal(import_addr_xinetd("::1", &out), 0);
	assert_int_equal(import_addr_xinetd("fe80::1/10", &out), 0);
	assert_int_equal(out.n, 6);
	assert_string_equal(out.v[0], "10.0.0.0/8");
	assert_string_equal(out.v[1], "10.0.0.0/8");
	assert_string_equal(out.v[2], "1.2.3.4/32");
	assert_string_equal(out.v[3], "1.2.3.5/32");
	assert_string_equal(out.v[4], "::1/128");
	assert_string_equal(out.v[5], "fe80::/10");
	assert_int_equal(import_addr_xinetd("localhost", &out), -1);
	assert_int_equal(import_addr_xinetd("1.2.{3,x}", &out), -1);
	assert_int_equal(import_addr_xinetd("1.2.{3}.4", &out), -1);
	assert_int_equal(import_addr_xinetd("10.0.0.0/33", &out), -1);
	assert_int_equal(import_addr_xinetd("10.0.0.0/", &out), -1);
	assert_int_equal(import_addr_xinetd("300.1.1.1", &out), -1);
	assert_int_equal(out.n, 6);
	import_strv_clear(&out);
}

static void
import_xinetd_flags_and_bind_test(void **state)
{
	(void)state;
	import_ok("service amanda\n{\n\tdisable = no\n\tflags = IPv4 REUSE\n\tsocket_type = stream\n"
	    "\tprotocol = tcp\n\twait = no\n\tuser = backup\n\tgroup = disk\n\tgroups\t\t=   yes\n"
	    "\tserver = /usr/lib/amanda/amandad\n\tserver_args = -auth=bsdtcp amdump\n}\n"
	    "service rsync\n{\n\tflags = IPv6 KEEPALIVE NODELAY\n\tsocket_type = stream\n\twait = no\n"
	    "\tuser = root\n\tserver = /usr/bin/rsync\n\tserver_args = --daemon\n}\n"
	    "service git\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tinterface = eth0\n"
	    "\tserver = /usr/bin/git\n\tserver_args = daemon --inetd\n}\n"
	    "service nrpe\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nagios\n\tbind = localhost\n"
	    "\tserver = /usr/sbin/nrpe\n\tserver_args = --inetd\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tbind = no.such.host\n}\n"
	    "service time\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n\tv6only = yes\n}\n");
	assert_string_equal(svc("amanda")->address, "0.0.0.0");
	assert_int_equal(svc("amanda")->port, 10080);
	assert_true(svc("amanda")->groups);	/* groups = yes: initgroups, as netsrvd's groups does */
	assert_int_equal(svc("amanda")->notes.n, 0);
	assert_string_equal(svc("rsync")->address, "*");	/* IPv6 is dual-stack under xinetd */
	assert_true(svc("rsync")->keepalive);
	assert_note(svc("rsync"), "no keepalive key");
	assert_note(svc("rsync"), "TCP_NODELAY");
	/* an interface name and no interface key: disabled, never every address */
	assert_string_equal(svc("git")->interface, "eth0");
	assert_false(svc("git")->enabled);
	assert_note(svc("git"), "no interface key");
	assert_string_equal(svc("nrpe")->address, "127.0.0.1");
	assert_unservable(svc("daytime"), "neither numeric nor a name");
	assert_string_equal(svc("time")->address, "::");

	/* a netsrvd whose schema has the keys: nothing of them is lost */
	keys_of_later_netsrvd = true;
	import_ok("service rsync\n{\n\tflags = KEEPALIVE\n\tsocket_type = stream\n\twait = no\n"
	    "\tuser = root\n\tserver = /usr/bin/rsync\n\tserver_args = --daemon\n\tbind = eth0\n}\n");
	assert_true(svc("rsync")->keepalive);
	assert_true(svc("rsync")->enabled);
	assert_string_equal(svc("rsync")->interface, "eth0");
	assert_string_equal(svc("rsync")->address, "*");
	assert_int_equal(svc("rsync")->notes.n, 0);
}

static void
import_xinetd_lost_attrs_test(void **state)
{
	(void)state;
	import_ok("service rsync\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/bin/rsync\n\tserver_args = --daemon\n\tcps = 25 30\n"
	    "\taccess_times = 2:00-8:59 12:00-23:59\n\tbanner = /etc/issue\n\tmax_load = 2.5\n"
	    "\tlog_on_failure += USERID\n\tnice = 10\n\tumask = 022\n\trlimit_stack = 1M\n"
	    "\tbogus_attr = 1\n}\n"
	    "service web\n{\n\tsocket_type = stream\n\twait = no\n\tport = 8000\n"
	    "\tredirect = 10.0.0.2 80\n}\n"
	    "service ftp\n{\n\tsocket_type = stream\n\twait = yes\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.ftpd\n}\n"
	    "service tftp\n{\n\tsocket_type = dgram\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.tftpd\n\tserver_args = -s /srv/tftp\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\trlimit_cpu = 5\n\tenv = FOO=bar\n}\n");
	assert_served(svc("rsync"));
	assert_int_equal(svc("rsync")->connection_rate, 25);	/* cps = N WAIT: N a second */
	assert_note(svc("rsync"), "access_times");
	assert_note(svc("rsync"), "cron");
	assert_string_equal(svc("rsync")->banner[0], "/etc/issue");	/* the keys of the same names */
	assert_false(notes_mention(&svc("rsync")->notes, "banner"));
	assert_true(svc("rsync")->max_load == 2.5);
	assert_false(notes_mention(&svc("rsync")->notes, "max_load"));
	assert_note(svc("rsync"), "identd");
	/* the program's nice and umask are carried over, not lost */
	assert_true(svc("rsync")->nice_set);
	assert_int_equal(svc("rsync")->nice, 10);
	assert_string_equal(svc("rsync")->umask, "0022");
	assert_false(notes_mention(&svc("rsync")->notes, "nice"));
	assert_false(notes_mention(&svc("rsync")->notes, "umask"));
	assert_note(svc("rsync"), "rlimit_stack");
	assert_note(svc("rsync"), "bogus_attr");
	assert_served(svc("web"));	/* redirect: import_xinetd_redirect_test */
	assert_served(svc("ftp"));
	assert_true(svc("ftp")->wait);	/* tcp wait: the program gets the listener */
	assert_true(svc("tftp")->wait);
	assert_note(svc("tftp"), "one program at a time");
	assert_note(svc("daytime"), "programs only");	/* rlimits: exec only */
	assert_int_equal(svc("daytime")->env.n, 0);	/* env of a built-in means nothing */
}

/* redirect = host port: the redirect handler to host:port, loaded as netsrvd loads it */
static void
import_xinetd_redirect_test(void **state)
{
	char err[CONFIG_ERR_MAX], *text;
	struct config *cfg;

	(void)state;
	import_ok("service web\n{\n\tsocket_type = stream\n\twait = no\n\tport = 8000\n"
	    "\tredirect = 10.0.0.2 80\n}\n"
	    "service web6\n{\n\tsocket_type = stream\n\twait = no\n\tport = 8001\n\tuser = nobody\n"
	    "\tserver = /usr/bin/cat\n\tredirect = 2001:db8::7 finger\n}\n"
	    "service byname\n{\n\tsocket_type = stream\n\twait = no\n\tport = 8002\n"
	    "\tredirect = localhost 8080\n}\n"
	    "service dgram\n{\n\tsocket_type = dgram\n\twait = yes\n\tport = 8003\n"
	    "\tredirect = 10.0.0.2 53\n}\n"
	    "service noport\n{\n\tsocket_type = stream\n\twait = no\n\tport = 8004\n"
	    "\tredirect = 10.0.0.2 nosuchservice\n}\n"
	    "service oneword\n{\n\tsocket_type = stream\n\twait = no\n\tport = 8005\n"
	    "\tredirect = 10.0.0.2\n}\n");
	assert_served(svc("web"));
	assert_string_equal(svc("web")->handler, "redirect");
	assert_string_equal(svc("web")->to, "10.0.0.2:80");
	assert_int_equal(svc("web")->notes.n, 0);
	assert_served(svc("web6"));
	assert_string_equal(svc("web6")->to, "[2001:db8::7]:79");	/* a port by its name */
	assert_int_equal(svc("web6")->command.n, 0);
	assert_note(svc("web6"), "runs no server");
	assert_string_equal(svc("byname")->to, "localhost:8080");	/* netsrvd resolves it at load */
	assert_unservable(svc("dgram"), "redirect: TCP only");
	assert_unservable(svc("noport"), "no port \"nosuchservice\"");
	assert_unservable(svc("oneword"), "not a host and a port");
	text = emit();
	assert_non_null(strstr(text, "\t\thandler = \"redirect\";\n\t\tto = \"10.0.0.2:80\";"));
	assert_non_null(strstr(text, "\t\tto = \"[2001:db8::7]:79\";"));
	cfg = config_parse_string(text, "emitted", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s\n%s", err, text);
	assert_int_equal(cfg->nservices, 3);
	assert_string_equal(cfg->services[0].handler_name, "redirect");
	config_free(cfg);
	free(text);
}

/*
 * TCP wait services, inetd's and xinetd's, are served with wait = true and
 * none of the per-connection keys the config would refuse or ignore; an
 * access list that cannot apply keeps the service out rather than open.
 */
static void
import_tcp_wait_test(void **state)
{
	char *text;

	(void)state;
	import_ok("service nrpe\n{\n\tsocket_type = stream\n\twait = yes\n\tuser = nagios\n"
	    "\tserver = /usr/sbin/nrpe\n\tserver_args = --inetd\n\tinstances = 4\n\tper_source = 2\n"
	    "\tcps = 10 5\n}\n"
	    "service ftp\n{\n\tsocket_type = stream\n\twait = yes\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.ftpd\n\tonly_from = 10.0.0.0/8\n}\n");
	assert_served(svc("nrpe"));
	assert_true(svc("nrpe")->wait);
	assert_int_equal(svc("nrpe")->max_workers, 0);
	assert_int_equal(svc("nrpe")->max_per_source, -1);
	assert_int_equal(svc("nrpe")->connection_rate, 0);
	assert_note(svc("nrpe"), "accepts its own connections");
	assert_unservable(svc("ftp"), "cannot apply to a TCP wait program");
	text = emit();
	assert_non_null(strstr(text, "\t\tname = \"nrpe\";\n"));
	assert_non_null(strstr(text, "\t\twait = true;\n"));
	assert_null(strstr(text, "\t\tmax_workers"));
	free(text);
	import_ok("nrpe\tstream\ttcp\twait.3/10/2\tnagios\t/usr/sbin/nrpe\tnrpe --inetd\n");
	assert_served(svc("nrpe"));
	assert_true(svc("nrpe")->wait);
	assert_int_equal(svc("nrpe")->max_workers, 0);
	assert_int_equal(svc("nrpe")->max_per_source, -1);
	assert_note(svc("nrpe"), "accepts its own connections");
	text = emit();
	assert_non_null(strstr(text, "\t\twait = true;\n"));
	assert_null(strstr(text, "# {"));	/* served, not commented out */
	free(text);
}

/* xinetd's nice and umask become the keys of the same names, a built-in's too; out of range or malformed: noted. */
static void
import_xinetd_nice_umask_test(void **state)
{
	char *text;

	(void)state;
	import_ok("service rsync\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/bin/rsync\n\tnice = -5\n\tumask = 7\n}\n"
	    "service git\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /usr/bin/git\n\tnice = 25\n\tumask = 0899\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tnice = 5\n\tumask = 022\n}\n");
	assert_int_equal(svc("rsync")->nice, -5);
	assert_string_equal(svc("rsync")->umask, "0007");
	assert_int_equal(svc("rsync")->notes.n, 0);
	assert_false(svc("git")->nice_set);
	assert_null(svc("git")->umask);
	assert_note(svc("git"), "nice is -20 to 19");
	assert_note(svc("git"), "not an octal mode");
	/* a built-in's: its workers' own */
	assert_true(svc("daytime")->nice_set);
	assert_int_equal(svc("daytime")->nice, 5);
	assert_string_equal(svc("daytime")->umask, "0022");
	assert_int_equal(svc("daytime")->notes.n, 0);
	text = emit();
	assert_non_null(strstr(text, "\t\tnice = -5;\n"));
	assert_non_null(strstr(text, "\t\tumask = \"0007\";\n"));
	free(text);
}

/* cps that says no rate, or on a UDP service of its own: noted, no connection_rate */
static void
import_xinetd_cps_test(void **state)
{
	(void)state;
	import_ok("service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tcps = 10\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = dgram\n\twait = yes\n"
	    "\tcps = 10 5\n}\n"
	    "service time\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tcps = 5000000 5\n}\n");
	assert_int_equal(svc("daytime")->connection_rate, 0);
	assert_note(svc("daytime"), "not a number of connections and a number of seconds");
	assert_int_equal(svc("echo")->connection_rate, 0);
	assert_note(svc("echo"), "TCP services only");
	assert_int_equal(svc("time")->connection_rate, config_schema_find("connection_rate", SCOPE_SERVICE)->max);
	assert_note(svc("time"), "connection_rate is at most");
}

/*
 * banner, banner_success, banner_fail and max_load: the keys of the same
 * names; the defaults' banner and max_load reach the TCP services; what
 * netsrvd would refuse at load (a file it cannot read, a banner on UDP,
 * a load that is no number) is noted instead.
 */
static void
import_xinetd_door_test(void **state)
{
	char *text;

	(void)state;
	import_ok("defaults\n{\n\tbanner = /etc/issue\n\tmax_load = 3\n}\n"
	    "service finger\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /usr/sbin/in.fingerd\n\tbanner_success = /etc/issue.net\n"
	    "\tbanner_fail = /etc/issue\n}\n"
	    "service rsync\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/bin/rsync\n\tbanner = /etc/motd\n\tbanner_fail = issue\n"
	    "\tmax_load = high\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = dgram\n\twait = yes\n"
	    "\tbanner_success = /etc/issue\n}\n"
	    "service ftp\n{\n\tsocket_type = stream\n\twait = yes\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.ftpd\n\tbanner_fail = /etc/issue\n}\n");
	/* a TCP wait program takes its own connections: its banner is noted, the defaults' are not its business */
	assert_null(svc("ftp")->banner[0]);
	assert_null(svc("ftp")->banner[2]);
	assert_note(svc("ftp"), "accepts its own connections");
	assert_true(svc("ftp")->max_load == 0);
	assert_string_equal(svc("finger")->banner[0], "/etc/issue");
	assert_string_equal(svc("finger")->banner[1], "/etc/issue.net");
	assert_string_equal(svc("finger")->banner[2], "/etc/issue");
	assert_true(svc("finger")->max_load == 3);
	assert_int_equal(svc("finger")->notes.n, 0);
	assert_null(svc("rsync")->banner[0]);
	assert_note(svc("rsync"), "banner = /etc/motd");
	assert_note(svc("rsync"), "at most 8 KiB");
	assert_null(svc("rsync")->banner[2]);
	assert_note(svc("rsync"), "not one absolute path");
	assert_true(svc("rsync")->max_load == 0);
	assert_note(svc("rsync"), "not a load average");
	/* UDP: its own banner is noted; the defaults' are not its business */
	assert_null(svc("echo")->banner[0]);
	assert_null(svc("echo")->banner[1]);
	assert_note(svc("echo"), "TCP clients only");
	assert_int_equal(svc("echo")->notes.n, 1);
	text = emit();
	assert_non_null(strstr(text, "banner = \"/etc/issue\";"));
	assert_non_null(strstr(text, "banner_success = \"/etc/issue.net\";"));
	assert_non_null(strstr(text, "max_load = 3;"));
	free(text);
}

/* what netsrvd's exec handler refuses is noted here, not left for -t to refuse */
static void
import_xinetd_limits_and_env_test(void **state)
{
	static const char *const env[] = { "GOOD=1", "_X=a=b", NULL };
	static const char *const passenv[] = { "TZ", NULL };
	char *text;

	(void)state;
	import_ok("service rsync\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/bin/rsync\n\tserver_args = --daemon\n\trlimit_as = 512K\n"
	    "\trlimit_files = 2\n\trlimit_cpu = UNLIMITED\n\tenv = GOOD=1 1BAD=x _X=a=b noequals\n"
	    "\tpassenv = TZ BAD-NAME\n}\n"
	    "service git\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /usr/bin/git\n\tserver_args = daemon --inetd\n\trlimit_as = 4096M\n"
	    "\trlimit_files = 1048577\n\trlimit_cpu = 10x\n}\n"
	    "service ftp\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /usr/sbin/root-only\n}\n");
	assert_served(svc("rsync"));
	assert_true(svc("rsync")->limits.memory == -1);
	assert_note(svc("rsync"), "rlimit_as = 512K");
	assert_true(svc("rsync")->limits.files == -1);
	assert_note(svc("rsync"), "rlimit_files = 2");
	assert_true(svc("rsync")->limits.cpu == -1);	/* UNLIMITED: no limit to set, nothing lost */
	assert_strv(&svc("rsync")->env, env);
	assert_note(svc("rsync"), "not NAME=value: 1BAD=x");
	assert_note(svc("rsync"), "not NAME=value: noequals");
	assert_strv(&svc("rsync")->passenv, passenv);
	assert_note(svc("rsync"), "BAD-NAME");
	assert_true(svc("git")->limits.memory == 4096LL * 1024 * 1024);
	assert_note(svc("git"), "rlimit_files = 1048577");
	assert_note(svc("git"), "rlimit_cpu = 10x");
	assert_unservable(svc("ftp"), "Permission denied for user nobody");
	text = emit();
	assert_non_null(strstr(text, "memory = 4294967296L;"));
	free(text);
}

static void
import_xinetd_disable_test(void **state)
{
	(void)state;
	import_ok("defaults\n{\n\tdisabled = time-stream\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n\tdisable = yes\n}\n"
	    "service time\n{\n\ttype = INTERNAL\n\tid = time-stream\n\tsocket_type = stream\n\twait = no\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n\tdisable = no\n}\n");
	assert_false(svc("daytime")->enabled);
	assert_false(svc("time-stream")->enabled);
	assert_true(svc("echo")->enabled);
	import_ok("defaults\n{\n\tenabled = echo\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n");
	assert_false(svc("daytime")->enabled);
	assert_true(svc("echo")->enabled);
}

static void
import_xinetd_malformed_test(void **state)
{
	(void)state;
	import_ok("service daytime {\n\ttype = INTERNAL\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\twait = yes\n\tid += other\n\tthis line has no operator\n}\n"
	    "stray words\n"
	    "defaults\n{\n}\n"
	    "defaults\n{\n}\n"
	    "service time\n{\n\ttype = INTERNAL\n");
	/* "{" must be alone on its line, as xinetd wants: the entry is dropped */
	assert_true(notes_mention(&r.notes, "service daytime"));
	assert_true(notes_mention(&r.notes, "stray words"));
	assert_true(notes_mention(&r.notes, "not an attribute line"));
	assert_true(notes_mention(&r.notes, "second defaults"));
	assert_true(notes_mention(&r.notes, "ends inside it"));	/* service time */
	assert_int_equal(r.nsvc, 1);
	/* a second wait, an operator on a single attribute: xinetd ignored them, so does the import */
	assert_served(svc("echo"));
	assert_int_equal(svc("echo")->notes.n, 0);
	assert_true(notes_mention(&svc("echo")->remarks, "kept the first"));
	assert_true(notes_mention(&svc("echo")->remarks, "only \"=\""));
}

static void
make_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* includedir reads what xinetd reads: sorted, no names with a dot or ending in ~, files only. */
static void
import_xinetd_includedir_test(void **state)
{
	char dir[] = "/tmp/import_test.XXXXXX", path[512], conf[600];
	static const char svc_fmt[] = "service %s\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n";
	const char *names[] = { "time", "echo", "daytime.rpmsave", "chargen~", ".hidden", "discard" };
	char text[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(text, sizeof(text), svc_fmt, strchr(names[i], '.') != NULL || strchr(names[i], '~') ?
		    "daytime" : names[i]);
		make_file(path, text);
	}
	snprintf(path, sizeof(path), "%s/subdir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/extra.conf", dir);
	make_file(path, "service chargen\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n");
	snprintf(conf, sizeof(conf), "defaults\n{\n}\nincludedir %s\ninclude %s/extra.conf\n"
	    "includedir %s/none\ninclude %s/none\n", dir, dir, dir, dir);
	import_ok(conf);
	assert_int_equal(r.nsvc, 4);
	assert_string_equal(r.svc[0].name, "discard");	/* strcmp order */
	assert_string_equal(r.svc[1].name, "echo");
	assert_string_equal(r.svc[2].name, "time");
	assert_string_equal(r.svc[3].name, "chargen");
	snprintf(path, sizeof(path), "%s/echo", dir);
	assert_string_equal(r.svc[1].file, path);
	assert_int_equal(r.svc[1].line, 1);
	assert_true(notes_mention(&r.notes, "includedir cannot be read"));
	assert_true(notes_mention(&r.notes, "cannot be read (No such file"));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/extra.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/subdir", dir);
	rmdir(path);
	assert_int_equal(rmdir(dir), 0);
}

/* --- across services --- */

static void
import_names_and_overlaps_test(void **state)
{
	(void)state;
	import_ok("echo\tstream\ttcp\tnowait\troot\tinternal\n"
	    "127.0.0.1:echo\tstream\ttcp\tnowait\troot\tinternal\n"
	    "#<off># echo\tstream\ttcp\tnowait\troot\tinternal\n"
	    "127.0.0.1:daytime\tstream\ttcp4\tnowait\troot\tinternal\n"
	    "127.0.0.2:daytime\tstream\ttcp4\tnowait\troot\tinternal\n"
	    "[::1]:time\tstream\ttcp6\tnowait\troot\tinternal\n"
	    "127.0.0.1:time\tstream\ttcp4\tnowait\troot\tinternal\n"
	    "time\tstream\ttcp6\tnowait\troot\tinternal\n"
	    "time\tstream\ttcp4\tnowait\troot\tinternal\n");
	assert_true(svc("echo")->enabled);
	assert_false(svc("echo-tcp")->enabled);	/* 127.0.0.1 lies in "*" */
	assert_note(svc("echo-tcp"), "also service \"echo\"");
	assert_false(svc("echo-2")->enabled);	/* was off: not an overlap */
	assert_int_equal(svc("echo-2")->notes.n, 0);
	assert_true(svc("daytime")->enabled);
	assert_true(svc("daytime-tcp")->enabled);	/* two addresses */
	assert_true(svc("time")->enabled);
	assert_true(svc("time-tcp")->enabled);	/* ::1 and 127.0.0.1 */
	assert_false(svc("time-2")->enabled);	/* :: holds ::1 */
	assert_false(svc("time-3")->enabled);	/* 0.0.0.0 holds 127.0.0.1 */
	import_ok("a-very-long-service-name-of-forty-characters\tstream\ttcp\tnowait\troot\tinternal\n"
	    "x$y\tstream\ttcp\tnowait\troot\tinternal\n");
	assert_int_equal(strlen(r.svc[0].name), 32);
	assert_string_equal(r.svc[1].name, "x-y");
}

/* --- the emitter --- */

static void
import_emit_quote_test(void **state)
{
	char *q;

	(void)state;
	q = import_emit_quote("a \"b\" \\c\x01");
	assert_string_equal(q, "\"a \\\"b\\\" \\\\c\\x01\"");
	free(q);
}

/* What the emitter prints parses as libconfig, and netsrvd loads it (built-in handlers only). */
static void
import_emit_loads_test(void **state)
{
	char err[CONFIG_ERR_MAX], *text;
	struct config *cfg;

	(void)state;
	import_ok("defaults\n{\n\tlog_type = SYSLOG local3\n\tlog_on_success = HOST\n\tcps = 10 5\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n\tport = 10013\n"
	    "\tonly_from = 127.0.0.1 ::1 host.example.org\n\tinstances = 2\n\tbind = 127.0.0.1\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = dgram\n\twait = yes\n\tport = 10007\n"
	    "\tdisable = yes\n}\n"
	    "service chargen\n{\n\ttype = INTERNAL\n\tid = my\"id\n\tsocket_type = stream\n\twait = no\n"
	    "\tport = 10019\n}\n"
	    "service servers\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n\tport = 9099\n}\n");
	text = emit();
	cfg = config_parse_string(text, "emitted", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s\n%s", err, text);
	assert_int_equal(cfg->nservices, 3);	/* "servers" is a commented-out block */
	assert_string_equal(cfg->services[0].name, "daytime");
	assert_int_equal(cfg->services[0].max_workers, 2);
	assert_int_equal(cfg->services[0].nallow, 2);
	assert_false(cfg->services[1].enabled);
	assert_string_equal(cfg->services[2].name, "my-id");
	assert_string_equal(cfg->log.facility_name, "local3");
	assert_true(cfg->log.connections);
	/* the defaults' cps: the TCP services' connection_rate, the UDP one told nothing */
	assert_null(strstr(text, "# lost: cps"));
	assert_non_null(strstr(text, "\t\tconnection_rate = 10;"));
	assert_int_equal(cfg->services[0].connection_rate, 10);
	assert_int_equal(cfg->services[1].connection_rate, 0);
	assert_non_null(strstr(text, "\t\t# lost: only_from host.example.org (test.conf:13): netsrvd matches"));
	assert_non_null(strstr(text, "\t# not served: internal service \"servers\""));
	assert_non_null(strstr(text, "\t#\tname = \"servers\";"));
	config_free(cfg);
	free(text);
}

/* exec services are libconfig as the exec handler's keys want them (its own -t, once merged, checks them). */
static void
import_emit_exec_syntax_test(void **state)
{
	config_t lc;
	config_setting_t *svcs, *git, *limits, *cmd;
	char *text;

	(void)state;
	import_ok("service git\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tport = 9418\n"
	    "\tserver = /usr/bin/git\n\tserver_args = daemon --inetd --base-path=/srv/\"x\"\n"
	    "\tenv = HOME=/srv\n\tpassenv = TZ\n\trlimit_as = 1M\n\trlimit_cpu = 60\n\trlimit_files = 64\n"
	    "\tflags = KEEPALIVE\n}\n"
	    "service tftp\n{\n\tsocket_type = dgram\n\twait = yes\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.tftpd\n\tserver_args = -s /srv/tftp\n}\n"
	    "service finger\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /usr/sbin/in.fingerd\n}\n");
	text = emit();
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE)
		fail_msg("line %d: %s\n%s", config_error_line(&lc), config_error_text(&lc), text);
	svcs = config_lookup(&lc, "services");
	assert_non_null(svcs);
	assert_int_equal(config_setting_length(svcs), 2);	/* finger: no program here */
	git = config_setting_get_elem(svcs, 0);
	cmd = config_setting_get_member(git, "command");
	assert_int_equal(config_setting_length(cmd), 4);
	assert_string_equal(config_setting_get_string_elem(cmd, 3), "--base-path=/srv/\"x\"");
	limits = config_setting_get_member(git, "limits");
	assert_non_null(limits);
	assert_int_equal(config_setting_get_int(config_setting_get_member(limits, "memory")), 1048576);
	assert_null(config_setting_get_member(git, "keepalive"));	/* a comment only */
	assert_non_null(strstr(text, "# keepalive = true;  (not in this netsrvd's schema)"));
	assert_int_equal(config_setting_get_bool(config_setting_get_member(config_setting_get_elem(svcs, 1),
	    "wait")), 1);
	config_destroy(&lc);
	free(text);
}

/* --- "behaves the same": what the old daemon did by default, written out --- */

/* flags = IPv6 is a dual-stack socket under xinetd; only v6only = yes keeps IPv4 clients out. */
static void
import_xinetd_ipv6_dual_stack_test(void **state)
{
	(void)state;
	import_ok("service finger\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tflags = IPv6\n\tserver = /usr/sbin/in.ftpd\n}\n"
	    "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tflags = IPv6\n\tv6only = yes\n}\n"
	    "service time\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tflags = IPv6\n\tbind = ::1\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tflags = IPv6\n\tbind = 127.0.0.1\n}\n");
	assert_string_equal(svc("finger")->address, "*");
	assert_int_equal(svc("finger")->notes.n, 0);
	assert_string_equal(svc("daytime")->address, "::");
	assert_string_equal(svc("time")->address, "::1");
	assert_unservable(svc("echo"), "not an IPv6 address");
}

/* initgroups: every inetd entry that runs a program as a user; xinetd's groups = yes. */
static void
import_groups_test(void **state)
{
	(void)state;
	import_ok("rsync\tstream\ttcp\tnowait\troot\t/usr/bin/rsync\trsync --daemon\n"
	    "echo\tstream\ttcp\tnowait\troot\tinternal\n");
	assert_true(svc("rsync")->groups);
	assert_false(svc("echo")->groups);	/* netsrvd's own workers: no user of the entry's */
	import_ok("defaults\n{\n\tgroups = yes\n}\n"
	    "service git\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /usr/bin/git\n\tserver_args = daemon --inetd\n}\n"
	    "service rsync\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tgroups = no\n"
	    "\tserver = /usr/bin/rsync\n\tserver_args = --daemon\n}\n");
	assert_true(svc("git")->groups);
	assert_false(svc("rsync")->groups);
	assert_false(import_result_lost(&r));
}

/* instances and per_source above what the schema allows: cut to its ceilings, with a note. */
static void
import_caps_are_the_schema_test(void **state)
{
	long long workers = config_schema_find("max_workers", SCOPE_SERVICE)->max;
	long long per_source = config_schema_find("max_per_source", SCOPE_SERVICE)->max;
	char *text, want[64];

	(void)state;
	text = import_xprintf("service git\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tinstances = %lld\n\tper_source = %lld\n\tserver = /usr/bin/git\n}\n", workers + 1, per_source + 1);
	import_ok(text);
	free(text);
	assert_int_equal(svc("git")->max_workers, workers);
	assert_int_equal(svc("git")->max_per_source, per_source);
	snprintf(want, sizeof(want), "max_workers is at most %lld", workers);
	assert_note(svc("git"), want);
	snprintf(want, sizeof(want), "max_per_source is at most %lld", per_source);
	assert_note(svc("git"), want);
}

/* No per_source, no instances: neither daemon refused anyone, so the import refuses nobody either. */
static void
import_no_limit_means_none_test(void **state)
{
	(void)state;
	import_ok("service nrpe\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nagios\n"
	    "\tserver = /usr/sbin/nrpe\n\tserver_args = -c /etc/nagios/nrpe.cfg --inetd\n}\n"
	    "service git\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tinstances = UNLIMITED\n"
	    "\tserver = /usr/bin/git\n\tserver_args = daemon --inetd\n}\n"
	    "service tftp\n{\n\tsocket_type = dgram\n\twait = yes\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.tftpd\n}\n");
	assert_int_equal(svc("nrpe")->max_per_source, 0);
	assert_int_equal(svc("nrpe")->max_workers, 4096);
	assert_int_equal(svc("git")->max_workers, 4096);
	assert_int_equal(svc("tftp")->max_workers, 0);	/* one program on the socket */
	assert_int_equal(svc("tftp")->max_per_source, -1);
	assert_false(import_result_lost(&r));
	/* openbsd-inetd: no per-source cap, and "nowait" is "nowait.256" (starts a minute) */
	import_ok("rsync\tstream\ttcp\tnowait\troot\t/usr/bin/rsync\trsync --daemon\n"
	    "ftp\tstream\ttcp\tnowait.40\troot\t/usr/sbin/in.ftpd\tin.ftpd\n"
	    "tftp\tdgram\tudp\twait\troot\t/usr/sbin/in.tftpd\tin.tftpd\n");
	assert_int_equal(svc("rsync")->max_per_source, 0);
	assert_int_equal(svc("rsync")->max_workers, 256);
	assert_int_equal(svc("ftp")->max_workers, 40);
	assert_int_equal(svc("ftp")->max_per_source, 0);
	assert_int_equal(svc("tftp")->max_workers, 0);
	assert_false(import_result_lost(&r));
}

/* A service's log_type that says what the whole log does anyway is carried over, not lost. */
static void
import_xinetd_log_type_test(void **state)
{
	static const char *const svc_tail = "\tsocket_type = stream\n\twait = no\n\ttype = INTERNAL\n}\n";
	char text[1024];

	(void)state;
	/* no defaults log_type: xinetd's and netsrvd's default, syslog daemon at info */
	snprintf(text, sizeof(text), "service daytime\n{\n\tlog_type = SYSLOG daemon info\n%s"
	    "service time\n{\n\tlog_type = SYSLOG daemon\n%s", svc_tail, svc_tail);
	import_ok(text);
	assert_int_equal(svc("daytime")->notes.n, 0);
	assert_int_equal(svc("time")->notes.n, 0);
	snprintf(text, sizeof(text), "defaults\n{\n\tlog_type = SYSLOG authpriv\n}\n"
	    "service daytime\n{\n\tlog_type = SYSLOG authpriv info\n%s"
	    "service time\n{\n\tlog_type = SYSLOG daemon info\n%s"
	    "service echo\n{\n\tlog_type = SYSLOG authpriv warning\n%s", svc_tail, svc_tail, svc_tail);
	import_ok(text);
	assert_int_equal(svc("daytime")->notes.n, 0);
	assert_note(svc("time"), "one log for every service");
	assert_note(svc("echo"), "one log for every service");
	snprintf(text, sizeof(text), "defaults\n{\n\tlog_type = FILE /var/log/xinetd.log\n}\n"
	    "service daytime\n{\n\tlog_type = FILE /var/log/xinetd.log\n%s"
	    "service time\n{\n\tlog_type = FILE /var/log/time.log\n%s", svc_tail, svc_tail);
	import_ok(text);
	assert_int_equal(svc("daytime")->notes.n, 0);
	assert_note(svc("time"), "one log for every service");
}

/* A junk line first is what it is on any other line: a note, not a reason to reject the file. */
static void
import_detect_past_junk_test(void **state)
{
	(void)state;
	assert_int_equal(import_detect("this is junk\nservice echo\n{\n\ttype = INTERNAL\n}\n"), IMPORT_XINETD);
	assert_int_equal(import_detect("this is junk\necho stream tcp nowait root internal\n"), IMPORT_INETD);
	import_ok("this is junk\nservice echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n");
	assert_true(notes_mention(&r.notes, "this is junk"));
	assert_served(svc("echo"));
	import_ok("this is junk\necho stream tcp nowait root internal\n");
	assert_true(notes_mention(&r.notes, "this is junk"));
	assert_served(svc("echo"));
}

/* inetutils' tcpmux/NAME and tcpmux/+NAME are tcpmux services, not RPC ones. */
static void
import_inetd_tcpmux_test(void **state)
{
	(void)state;
	import_ok("tcpmux/+scp stream tcp nowait root /usr/bin/rsync rsync\n"
	    "tcpmux/sync stream tcp nowait root /usr/bin/rsync rsync\n");
	assert_unservable(&r.svc[0], "no tcpmux (RFC 1078)");
	assert_unservable(&r.svc[1], "no tcpmux (RFC 1078)");
}

/* --- the whole run: exit status, stdout and stderr --- */

static int
run_file_on(const struct import_host *h, const char *text, const char *dest, char **out, char **err)
{
	char path[] = "/tmp/import_test_conf.XXXXXX";
	size_t olen = 0, elen = 0;
	FILE *fo = open_memstream(out, &olen), *fe = open_memstream(err, &elen);
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = import_run(path, dest, fo, fe, h);
	fclose(fo);
	fclose(fe);
	unlink(path);
	return rc;
}

static int
run_file(const char *text, const char *dest, char **out, char **err)
{
	return run_file_on(&fake, text, dest, out, err);
}

static int
any_program(const char *path, const char *user, const char *group)
{
	(void)path;
	(void)user;
	(void)group;
	return 0;
}

/*
 * What the import made is loaded as netsrvd loads it before it is
 * printed: were the import wrong about the machine (here a host that says
 * every program runs), -t would refuse its output. That is said, and
 * nothing is printed.
 */
static void
import_run_refused_output_test(void **state)
{
	struct import_host liar = fake;
	char *out, *err;

	(void)state;
	liar.program_usable = any_program;
	assert_int_equal(run_file_on(&liar, "ftp stream tcp nowait root /nonexistent/netsrvd-test/in.ftpd in.ftpd\n",
	    "/etc/netsrv.conf", &out, &err), IMPORT_FAILED);
	assert_string_equal(out, "");
	if (strstr(err, "the configuration made is one netsrvd refuses") == NULL ||
	    strstr(err, "/etc/netsrv.conf:") == NULL || strstr(err, "/nonexistent/netsrvd-test/in.ftpd") == NULL)
		fail_msg("the refusal is not said with the loader's FILE:LINE: why:\n%s", err);
	free(out);
	free(err);
	/* the same with the machine's truth: the service is not served, and the rest printed */
	assert_int_equal(run_file("ftp stream tcp nowait root /nonexistent/netsrvd-test/in.ftpd in.ftpd\n"
	    "echo stream tcp nowait root internal\n", NULL, &out, &err), IMPORT_LOST);
	assert_non_null(strstr(out, "handler = \"echo\";"));
	free(out);
	free(err);
}

static void
import_run_exit_status_test(void **state)
{
	char *out, *err;
	size_t olen = 0, elen = 0;
	FILE *fo, *fe;

	(void)state;
	assert_int_equal(run_file("echo stream tcp nowait root internal\n", "/etc/netsrv.conf",
	    &out, &err), IMPORT_COMPLETE);
	assert_non_null(strstr(out, "netsrvd -t -c /etc/netsrv.conf"));
	assert_non_null(strstr(err, "1 service, 0 not served, 0 attributes not carried over"));
	free(out);
	free(err);
	assert_int_equal(run_file("echo stream tcp,rcvbuf=1k nowait root internal\n", NULL, &out, &err),
	    IMPORT_LOST);
	assert_non_null(strstr(err, ":1: service echo: protocol \"tcp,rcvbuf=1k\": not carried over: "));
	free(out);
	free(err);
	assert_int_equal(run_file("foo stream tcp nowait root internal\n", NULL, &out, &err), IMPORT_LOST);
	assert_non_null(strstr(err, ":1: service foo: not served: "));
	assert_non_null(strstr(err, "no service is enabled"));
	free(out);
	free(err);
	assert_int_equal(run_file("this is not a configuration\n", NULL, &out, &err), IMPORT_UNREADABLE);
	assert_non_null(strstr(err, "neither an inetd.conf nor an xinetd.conf"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	fo = open_memstream(&out, &olen);
	fe = open_memstream(&err, &elen);
	assert_int_equal(import_run("/nonexistent/inetd.conf", NULL, fo, fe, &fake), IMPORT_UNREADABLE);
	assert_int_equal(import_run("/tmp", NULL, fo, fe, &fake), IMPORT_UNREADABLE);
	fclose(fo);
	fclose(fe);
	assert_non_null(strstr(err, "/nonexistent/inetd.conf: No such file or directory"));
	assert_non_null(strstr(err, "/tmp: not a regular file"));
	free(out);
	free(err);
}

/* The listing of an import of several files goes file by file, in line order within each. */
static void
import_report_in_line_order_test(void **state)
{
	char dir[] = "/tmp/import_test_order.XXXXXX", main_conf[64], finger[64], text[256];
	char *out, *err;
	const char *first, *second, *third;
	size_t olen = 0, elen = 0;
	FILE *fo, *fe, *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(main_conf, sizeof(main_conf), "%s/xinetd.conf", dir);
	snprintf(finger, sizeof(finger), "%s/finger", dir);
	f = fopen(finger, "w");
	assert_non_null(f);
	fputs("service finger\n{\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /usr/sbin/in.fingerd\n\tdeny_time = 10\n}\n\n\nstray line\n", f);
	assert_int_equal(fclose(f), 0);
	f = fopen(main_conf, "w");
	assert_non_null(f);
	fprintf(f, "include %s\nanother stray line\n", finger);
	assert_int_equal(fclose(f), 0);
	fo = open_memstream(&out, &olen);
	fe = open_memstream(&err, &elen);
	assert_int_equal(import_run(main_conf, NULL, fo, fe, &fake), IMPORT_LOST);
	fclose(fo);
	fclose(fe);
	snprintf(text, sizeof(text), "%s:1: service finger: not served", finger);
	first = strstr(err, text);
	snprintf(text, sizeof(text), "%s:7: service finger: deny_time = 10", finger);
	second = strstr(err, text);
	snprintf(text, sizeof(text), "%s:11: stray line", finger);
	third = strstr(err, text);
	if (first == NULL || second == NULL || third == NULL || !(first < second && second < third) ||
	    strstr(err, "xinetd.conf:2: another stray line") < third)
		fail_msg("not in file and line order:\n%s", err);
	free(out);
	free(err);
	unlink(finger);
	unlink(main_conf);
	rmdir(dir);
}

/* --- hostile input: loops, bounds, file names, long lines --- */

/* import_run on a file of ours: the status, stdout and stderr. */
static int
run_path(const char *path, char **out, char **err)
{
	size_t olen = 0, elen = 0;
	FILE *fo = open_memstream(out, &olen), *fe = open_memstream(err, &elen);
	int rc;

	assert_non_null(fo);
	assert_non_null(fe);
	rc = import_run(path, NULL, fo, fe, &fake);
	assert_int_equal(fclose(fo), 0);
	assert_int_equal(fclose(fe), 0);
	return rc;
}

static void
assert_has(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("\"%s\" not found in:\n%s", needle, text);
}

/* A temp dir of the test's own, removed whole by remove_dir. */
static void
make_dir(char *dir)
{
	assert_non_null(mkdtemp(dir));
}

static void
remove_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static const char echo_entry[] = "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n";
static const char daytime_entry[] = "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n";

/* A file that includes itself, and two that include each other: each read once, the loop named. */
static void
import_include_loop_test(void **state)
{
	char dir[] = "/tmp/import_test_loop.XXXXXX", a[64], b[64], text[512], want[600];
	char *out, *err;

	(void)state;
	make_dir(dir);
	snprintf(a, sizeof(a), "%s/a.conf", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(text, sizeof(text), "%sinclude %s\ninclude %s\n", echo_entry, a, b);
	make_file(a, text);
	snprintf(text, sizeof(text), "%sinclude %s\n", daytime_entry, a);
	make_file(b, text);
	assert_int_equal(run_path(a, &out, &err), IMPORT_LOST);
	assert_has(err, "2 services, 0 not served");
	snprintf(want, sizeof(want), "%s:7: include %s: not carried over: not followed: a loop "
	    "(%s is being read already)", a, a, a);
	assert_has(err, want);
	snprintf(want, sizeof(want), "%s:7: include %s: not carried over: not followed: a loop", b, a);
	assert_has(err, want);
	free(out);
	free(err);
	remove_dir(dir);
}

/* No loop, yet too much: too deep, too many files, too many bytes; each says which bound. */
static void
import_include_bounds_test(void **state)
{
	char dir[] = "/tmp/import_test_bounds.XXXXXX", path[64], next[64], text[512];
	char *out, *err, *big;
	FILE *f;

	(void)state;
	make_dir(dir);
	/* f0 includes f1 three times, f1 f2 three times, ... f6 f7: 3^7 reads of f7 */
	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		snprintf(next, sizeof(next), "%s/f%d", dir, i + 1);
		if (i == 7)
			snprintf(text, sizeof(text), "# a leaf\n");
		else
			snprintf(text, sizeof(text), "%sinclude %s\ninclude %s\ninclude %s\n",
			    i == 0 ? daytime_entry : "", next, next, next);
		make_file(path, text);
	}
	snprintf(path, sizeof(path), "%s/f0", dir);
	assert_int_equal(run_path(path, &out, &err), IMPORT_LOST);
	assert_has(err, "not followed: an import reads at most 1024 files");
	free(out);
	free(err);

	/* a chain of ten */
	for (int i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "%s/g%d", dir, i);
		snprintf(next, sizeof(next), "%s/g%d", dir, i + 1);
		snprintf(text, sizeof(text), "%sinclude %s\n", i == 0 ? echo_entry : "", next);
		make_file(path, text);
	}
	snprintf(path, sizeof(path), "%s/g0", dir);
	assert_int_equal(run_path(path, &out, &err), IMPORT_LOST);
	assert_has(err, "not followed: includes nested deeper than 8");
	free(out);
	free(err);

	/* 2 MiB of comments, included nine times: past 16 MiB in all */
	snprintf(path, sizeof(path), "%s/big", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, '#', 1 << 20);
	for (int i = 1; i < 1 << 20; i += 64)
		big[i] = '\n';
	for (int i = 0; i < 2; i++)
		assert_int_equal(fwrite(big, 1, 1 << 20, f), 1 << 20);
	free(big);
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/h", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(echo_entry, f);
	for (int i = 0; i < 9; i++)
		fprintf(f, "include %s/big\n", dir);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(run_path(path, &out, &err), IMPORT_LOST);
	assert_has(err, "h:14: include");
	assert_has(err, "not followed: an import reads at most 16777216 bytes in all");
	free(out);
	free(err);
	remove_dir(dir);
}

/* The services of a netsrv.conf text, as libconfig reads it: their names, in order, joined by spaces. */
static char *
live_service_names(const char *text)
{
	config_t lc;
	config_setting_t *list;
	char *names = calloc(1, 4096);

	assert_non_null(names);
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE)
		fail_msg("libconfig refuses the import, line %d: %s\n%s", config_error_line(&lc),
		    config_error_text(&lc), text);
	list = config_lookup(&lc, "services");
	assert_non_null(list);
	for (int i = 0; i < config_setting_length(list); i++) {
		const char *name = "?";
		config_setting_lookup_string(config_setting_get_elem(list, (unsigned)i), "name", &name);
		snprintf(names + strlen(names), 4096 - strlen(names), "%s%s", i > 0 ? " " : "", name);
	}
	config_destroy(&lc);
	return names;
}

/*
 * A file name is not configuration: one holding a newline is refused with
 * a note (xinetd would read it), and no name or line of the input reaches
 * the output but escaped.
 */
static void
import_hostile_file_names_test(void **state)
{
	char dir[] = "/tmp/import_test_names.XXXXXX", path[512], conf[256];
	static const char evil[] = "evil\n\t{ name = \"pwn\"; handler = \"echo\"; port = 2323; },\n#";
	char *text, *names;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, evil);
	make_file(path, echo_entry);
	snprintf(path, sizeof(path), "%s/daytime", dir);
	make_file(path, daytime_entry);
	snprintf(conf, sizeof(conf), "includedir %s\nstray \033]0;title\007 line\n", dir);
	import_ok(conf);
	assert_int_equal(r.nsvc, 1);
	assert_string_equal(r.svc[0].name, "daytime");
	assert_true(notes_mention(&r.notes, "control character"));
	text = emit();
	names = live_service_names(text);
	assert_string_equal(names, "daytime");
	/* the refused name is shown, escaped, on one comment line; so is the stray line */
	assert_has(text, "evil\\x0a\t{ name = \"pwn\"");
	assert_has(text, "stray \\x1b]0;title\\x07 line");
	assert_null(strchr(text, '\033'));
	free(names);
	free(text);
	remove_dir(dir);
}

/* An inetd.conf line of any length: every argument carried over, none dropped. */
static void
import_inetd_many_arguments_test(void **state)
{
	char line[4096];
	size_t n;

	(void)state;
	n = (size_t)snprintf(line, sizeof(line), "echo stream tcp nowait root /usr/bin/cat cat");
	for (int i = 1; i <= 260; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " a%d", i);
	snprintf(line + n, sizeof(line) - n, "\n");
	import_ok(line);
	assert_int_equal(r.nsvc, 1);
	assert_served(&r.svc[0]);
	/* the program, then its 260 arguments (argv[0] "cat" is its basename: dropped) */
	assert_int_equal(r.svc[0].command.n, 261);
	assert_string_equal(r.svc[0].command.v[260], "a260");
}

/* --- --import-to: one drop-in per file of the includedir --- */

/* A tree of ours: DIR/xinetd.conf with echo, includedir DIR/xinetd.d of daytime and chargen, DIR/out. */
struct tree {
	char dir[40];
	char conf[80], dropins[80], out[80];
};

static void
make_tree(struct tree *t)
{
	char path[160], text[512];

	snprintf(t->dir, sizeof(t->dir), "/tmp/import_test_to.XXXXXX");
	make_dir(t->dir);
	snprintf(t->conf, sizeof(t->conf), "%s/xinetd.conf", t->dir);
	snprintf(t->dropins, sizeof(t->dropins), "%s/xinetd.d", t->dir);
	snprintf(t->out, sizeof(t->out), "%s/out", t->dir);
	assert_int_equal(mkdir(t->dropins, 0755), 0);
	assert_int_equal(mkdir(t->out, 0755), 0);
	snprintf(text, sizeof(text), "defaults\n{\n}\n%sincludedir %s\n", echo_entry, t->dropins);
	make_file(t->conf, text);
	/* as Debian ships them: disabled */
	snprintf(path, sizeof(path), "%s/daytime", t->dropins);
	make_file(path, "service daytime\n{\n\tdisable = yes\n\ttype = INTERNAL\n\tsocket_type = stream\n"
	    "\twait = no\n}\n");
	snprintf(path, sizeof(path), "%s/chargen", t->dropins);
	make_file(path, "service chargen\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n");
}

static int
run_to(const char *path, const char *dir, char **out, char **err)
{
	size_t olen = 0, elen = 0;
	FILE *fo = open_memstream(out, &olen), *fe = open_memstream(err, &elen);
	int rc;

	assert_non_null(fo);
	assert_non_null(fe);
	rc = import_run_to(path, NULL, dir, fo, fe, &fake);
	assert_int_equal(fclose(fo), 0);
	assert_int_equal(fclose(fe), 0);
	return rc;
}

static char *
read_all(const char *path)
{
	char why[256];
	struct stat sb;
	char *text = import_read_file(path, why, sizeof(why), &sb);

	if (text == NULL)
		fail_msg("%s: %s", path, why);
	return text;
}

static void
assert_dropin(const struct tree *t, const char *name, const char *services)
{
	char path[160], want[2048];
	struct stat sb;
	char *text;

	snprintf(path, sizeof(path), "%s/%s.conf", t->out, name);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0644);
	snprintf(want, sizeof(want), "# netsrvd drop-in made by \"netsrvd --import %s --import-to %s\" "
	    "from %s/%s.\n"
	    "# The same import made again replaces this file: remove these lines once you edit it.\n\n"
	    "services = (\n%s);\n", t->conf, t->out, t->dropins, name, services);
	text = read_all(path);
	assert_string_equal(text, want);
	free(text);
}

static const char daytime_dropin_fmt[] = "\t# %s/daytime:1: service daytime\n\t{\n"
    "\t\tname = \"daytime\";\n\t\tprotocol = \"tcp\";\n\t\taddress = \"*\";\n\t\tport = 13;\n"
    "\t\thandler = \"daytime\";\n\t\tmax_workers = 4096;\n\t\tmax_per_source = 0;\n"
    "\t\tenabled = false;\n\t}\n";
static const char chargen_dropin_fmt[] = "\t# %s/chargen:1: service chargen\n\t{\n"
    "\t\tname = \"chargen\";\n\t\tprotocol = \"tcp\";\n\t\taddress = \"*\";\n\t\tport = 19;\n"
    "\t\thandler = \"chargen\";\n\t\tmax_workers = 4096;\n\t\tmax_per_source = 0;\n\t}\n";

/* Each file of the includedir becomes its drop-in, the main file's own service stays on stdout. */
static void
import_to_dropins_test(void **state)
{
	struct tree t;
	char want[1024], *out, *err;

	(void)state;
	make_tree(&t);
	assert_int_equal(run_to(t.conf, t.out, &out, &err), IMPORT_COMPLETE);
	snprintf(want, sizeof(want), daytime_dropin_fmt, t.dropins);
	assert_dropin(&t, "daytime", want);
	snprintf(want, sizeof(want), chargen_dropin_fmt, t.dropins);
	assert_dropin(&t, "chargen", want);
	snprintf(want, sizeof(want), "\ninclude_dir = \"%s\";\n\nservices = (\n\t# %s:4: service echo\n\t{\n"
	    "\t\tname = \"echo\";\n", t.out, t.conf);
	assert_has(out, want);
	assert_has(out, "\t\thandler = \"echo\";\n\t\tmax_workers = 4096;\n\t\tmax_per_source = 0;\n\t}\n);\n");
	assert_null(strstr(out, "daytime"));
	assert_null(strstr(out, "chargen"));
	assert_has(err, "3 services, 0 not served, 0 attributes not carried over");
	free(out);
	free(err);
	/* made again: our own drop-ins are replaced */
	assert_int_equal(run_to(t.conf, t.out, &out, &err), IMPORT_COMPLETE);
	snprintf(want, sizeof(want), daytime_dropin_fmt, t.dropins);
	assert_dropin(&t, "daytime", want);
	free(out);
	free(err);
	remove_dir(t.dir);
}

/* A symbolic link at a drop-in's name is neither followed nor replaced; a file of the sysadmin's is kept. */
static void
import_to_keeps_what_is_not_ours_test(void **state)
{
	struct tree t;
	char link_path[160], victim[160], mine[160], want[1024], *out, *err, *text;
	struct stat sb;

	(void)state;
	make_tree(&t);
	snprintf(victim, sizeof(victim), "%s/victim", t.dir);
	make_file(victim, "untouched\n");
	snprintf(link_path, sizeof(link_path), "%s/daytime.conf", t.out);
	assert_int_equal(symlink(victim, link_path), 0);
	snprintf(mine, sizeof(mine), "%s/chargen.conf", t.out);
	make_file(mine, "# my own\nservices = ( );\n");
	assert_int_equal(run_to(t.conf, t.out, &out, &err), IMPORT_LOST);
	text = read_all(victim);
	assert_string_equal(text, "untouched\n");
	free(text);
	assert_int_equal(lstat(link_path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	text = read_all(mine);
	assert_string_equal(text, "# my own\nservices = ( );\n");
	free(text);
	snprintf(want, sizeof(want), "%s: a symbolic link: not followed, not replaced: the services of "
	    "%s/daytime are not imported", link_path, t.dropins);
	assert_has(err, want);
	snprintf(want, sizeof(want), "%s: not made by --import-to (no header of ours): not replaced: "
	    "the services of %s/chargen are not imported", mine, t.dropins);
	assert_has(err, want);
	/* no temporary file is left behind */
	snprintf(want, sizeof(want), "ls -A '%s' | grep -qv -e '^daytime.conf$' -e '^chargen.conf$'", t.out);
	assert_int_not_equal(system(want), 0);
	free(out);
	free(err);
	remove_dir(t.dir);
}

/* DIR missing, or not a directory: said with the path and strerror, nothing read or printed. */
static void
import_to_dir_missing_test(void **state)
{
	struct tree t;
	char missing[160], want[256], *out, *err;

	(void)state;
	make_tree(&t);
	snprintf(missing, sizeof(missing), "%s/none", t.dir);
	assert_int_equal(run_to(t.conf, missing, &out, &err), IMPORT_FAILED);
	assert_string_equal(out, "");
	snprintf(want, sizeof(want), "netsrvd: --import-to %s: No such file or directory\n", missing);
	assert_string_equal(err, want);
	free(out);
	free(err);
	assert_int_equal(run_to(t.conf, t.conf, &out, &err), IMPORT_FAILED);
	assert_string_equal(out, "");
	snprintf(want, sizeof(want), "netsrvd: --import-to %s: Not a directory\n", t.conf);
	assert_string_equal(err, want);
	free(out);
	free(err);
	remove_dir(t.dir);
}

/* Two includedirs with a file of the same name: the first one read is written, the second refused by name. */
static void
import_to_same_name_twice_test(void **state)
{
	struct tree t;
	char other[160], path[200], text[512], want[512], *out, *err, *dropin;

	(void)state;
	make_tree(&t);
	snprintf(other, sizeof(other), "%s/other.d", t.dir);
	assert_int_equal(mkdir(other, 0755), 0);
	snprintf(path, sizeof(path), "%s/daytime", other);
	make_file(path, "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = dgram\n\twait = yes\n}\n");
	snprintf(text, sizeof(text), "defaults\n{\n}\n%sincludedir %s\nincludedir %s\n", echo_entry, t.dropins,
	    other);
	make_file(t.conf, text);
	assert_int_equal(run_to(t.conf, t.out, &out, &err), IMPORT_LOST);
	snprintf(want, sizeof(want), "netsrvd: --import-to %s: %s: not written (another file of the same name "
	    "is written there): its services are not imported\n", t.out, path);
	assert_has(err, want);
	snprintf(path, sizeof(path), "%s/daytime.conf", t.out);
	dropin = read_all(path);
	snprintf(want, sizeof(want), "from %s/daytime.\n", t.dropins);
	assert_has(dropin, want);
	assert_null(strstr(dropin, "udp"));
	free(dropin);
	free(out);
	free(err);
	remove_dir(t.dir);
}

/* What cannot be a file name of DIR is refused by name. */
static void
import_to_unsafe_names_test(void **state)
{
	(void)state;
	assert_null(import_to_name_unsafe("daytime"));
	assert_non_null(import_to_name_unsafe(""));
	assert_non_null(import_to_name_unsafe("a/b"));
	assert_non_null(import_to_name_unsafe(".hidden"));
	assert_non_null(import_to_name_unsafe(".."));
	assert_non_null(import_to_name_unsafe("a\nb"));
}

/* One file of /etc/xinetd.d alone, a service block without defaults, as Debian's packages ship it. */
static void
import_single_xinetd_d_file_test(void **state)
{
	char *out, *err;

	(void)state;
	assert_int_equal(import_detect("# default: off\nservice echo\n{\n\tdisable = yes\n\ttype = INTERNAL\n}\n"),
	    IMPORT_XINETD);
	assert_int_equal(run_file("# default: off\n# description: echo\nservice echo\n{\n\tdisable\t\t= yes\n"
	    "\ttype\t\t= INTERNAL\n\tid\t\t= echo-stream\n\tsocket_type\t= stream\n\tprotocol\t= tcp\n"
	    "\tuser\t\t= root\n\twait\t\t= no\n}\n", NULL, &out, &err), IMPORT_COMPLETE);
	assert_has(out, "\t\tname = \"echo-stream\";\n");
	assert_has(out, "\t\tmax_per_source = 0;\n\t\tenabled = false;\n\t}\n);\n");
	assert_has(err, "(xinetd): 1 service, 0 not served");
	free(out);
	free(err);
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(import_detect_test, teardown),
		cmocka_unit_test_teardown(import_inetd_internal_test, teardown),
		cmocka_unit_test_teardown(import_internal_asks_the_table_test, teardown),
		cmocka_unit_test_teardown(import_inetd_addresses_test, teardown),
		cmocka_unit_test_teardown(import_inetd_ports_test, teardown),
		cmocka_unit_test_teardown(import_inetd_wait_and_caps_test, teardown),
		cmocka_unit_test_teardown(import_inetd_user_group_test, teardown),
		cmocka_unit_test_teardown(import_inetd_program_test, teardown),
		cmocka_unit_test_teardown(import_inetd_options_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_internal_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_exec_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_nameinargs_test, teardown),
		cmocka_unit_test_teardown(import_inetd_tcpd_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_libwrap_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_defaults_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_acl_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_address_forms_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_flags_and_bind_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_lost_attrs_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_redirect_test, teardown),
		cmocka_unit_test_teardown(import_tcp_wait_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_nice_umask_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_cps_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_door_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_limits_and_env_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_disable_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_malformed_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_includedir_test, teardown),
		cmocka_unit_test_teardown(import_names_and_overlaps_test, teardown),
		cmocka_unit_test_teardown(import_emit_quote_test, teardown),
		cmocka_unit_test_teardown(import_emit_loads_test, teardown),
		cmocka_unit_test_teardown(import_emit_exec_syntax_test, teardown),
		cmocka_unit_test_teardown(import_run_exit_status_test, teardown),
		cmocka_unit_test_teardown(import_run_refused_output_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_ipv6_dual_stack_test, teardown),
		cmocka_unit_test_teardown(import_groups_test, teardown),
		cmocka_unit_test_teardown(import_no_limit_means_none_test, teardown),
		cmocka_unit_test_teardown(import_caps_are_the_schema_test, teardown),
		cmocka_unit_test_teardown(import_xinetd_log_type_test, teardown),
		cmocka_unit_test_teardown(import_detect_past_junk_test, teardown),
		cmocka_unit_test_teardown(import_inetd_tcpmux_test, teardown),
		cmocka_unit_test_teardown(import_report_in_line_order_test, teardown),
		cmocka_unit_test_teardown(import_include_loop_test, teardown),
		cmocka_unit_test_teardown(import_include_bounds_test, teardown),
		cmocka_unit_test_teardown(import_hostile_file_names_test, teardown),
		cmocka_unit_test_teardown(import_inetd_many_arguments_test, teardown),
		cmocka_unit_test_teardown(import_to_dropins_test, teardown),
		cmocka_unit_test_teardown(import_to_keeps_what_is_not_ours_test, teardown),
		cmocka_unit_test_teardown(import_to_dir_missing_test, teardown),
		cmocka_unit_test_teardown(import_to_unsafe_names_test, teardown),
		cmocka_unit_test_teardown(import_to_same_name_twice_test, teardown),
		cmocka_unit_test_teardown(import_single_xinetd_d_file_test, teardown),
	};

	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("import", tests, NULL, NULL);
}
