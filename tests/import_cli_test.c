/* netsrvd --import on the real files Debian and its packages ship: the exit status, what it lists, -t on the output, and imported services serving. */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static char out[65536];

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;

	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

/* src copied to dst with every from replaced by to (to = NULL: as it is). */
static void
copy_replacing(const char *src, const char *dst, const char *from, const char *to)
{
	char *text = slurp(src), *p = text;
	FILE *f = fopen(dst, "w");

	assert_non_null(f);
	for (char *hit; from != NULL && (hit = strstr(p, from)) != NULL; p = hit + strlen(from)) {
		fwrite(p, 1, (size_t)(hit - p), f);
		fputs(to, f);
	}
	fputs(p, f);
	assert_int_equal(fclose(f), 0);
	free(text);
}

static void
data_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/tests/data/import/%s", h_srcdir(), rel);
}

/* What one import made: the status, its stdout as a file, its stderr as text. */
struct imported {
	int rc;
	char conf[300];
	char *err;
};

/* netsrvd --import input [-c dest] > d->dir/name.conf 2> d->dir/name.err */
static void
run_import(struct daemon *d, const char *input, const char *dest, const char *name, struct imported *im)
{
	char errpath[300];
	const char *argv[] = { "/bin/sh", "-c",
		dest != NULL ? "exec \"$0\" --import \"$1\" -c \"$4\" >\"$2\" 2>\"$3\"" :
		"exec \"$0\" --import \"$1\" >\"$2\" 2>\"$3\"",
		h_netsrvd(), input, im->conf, errpath, dest, NULL };

	snprintf(im->conf, sizeof(im->conf), "%s/%s.conf", d->dir, name);
	snprintf(errpath, sizeof(errpath), "%s/%s.err", d->dir, name);
	im->rc = h_run(argv, out, sizeof(out), 20000);
	im->err = slurp(errpath);
	/* print_message cuts long text: the listing goes out whole */
	printf("--- netsrvd --import %s: exit %d\n%s", input, im->rc, im->err);
}

/* netsrvd -t -c conf: its exit status, its words in out. */
static int
check_conf(const char *conf)
{
	const char *argv[] = { h_netsrvd(), "-t", "-c", conf, NULL };

	return h_run(argv, out, sizeof(out), 20000);
}

static void
assert_passes_t(const struct imported *im)
{
	if (check_conf(im->conf) != 0) {
		char *text = slurp(im->conf);
		fail_msg("netsrvd -t refuses the import: %s\n%s", out, text);
	}
}

static void
assert_contains(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("\"%s\" not found in:\n%s", needle, text);
}

static bool
have(const char *path)
{
	return access(path, X_OK) == 0;
}

/* What a test needs from the machine: as root (CI) it must be there, else the test is skipped. */
static void
need(const char *path)
{
	if (!have(path)) {
		if (geteuid() == 0)
			fail_msg("%s is missing: build-aux/install-deps check installs it", path);
		print_message("skipped: %s is not installed (CI, as root, has it)\n", path);
		skip();
	}
}

static void
need_root(void)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root (the programs chroot or change user)\n");
		skip();
	}
}

/* xinetd's own files as Debian ships them: every service disabled. */
static void
import_cli_debian_xinetd_test(void **state)
{
	struct daemon *d = *state;
	char shipped[512], dir[512], conf[300], enabled_dir[300], from[1400], to[600];
	char *text;
	static const char *const files[] = { "chargen", "chargen-udp", "daytime", "daytime-udp",
		"discard", "discard-udp", "echo", "echo-udp", "servers", "services", "time", "time-udp" };
	struct imported im;

	data_path(shipped, sizeof(shipped), "debian-xinetd/xinetd.conf");
	data_path(dir, sizeof(dir), "debian-xinetd/xinetd.d");
	snprintf(conf, sizeof(conf), "%s/xinetd.conf", d->dir);
	snprintf(to, sizeof(to), "includedir %s", dir);
	copy_replacing(shipped, conf, "includedir /etc/xinetd.d", to);
	run_import(d, conf, "/etc/netsrv.conf", "shipped", &im);
	/* the internal "servers" and "services" listings netsrvd has not */
	assert_int_equal(im.rc, 65);
	snprintf(from, sizeof(from), "%s/servers:4: service servers: not served: internal service \"servers\"", dir);
	assert_contains(im.err, from);
	snprintf(from, sizeof(from), "%s/services:4: service services: not served:", dir);
	assert_contains(im.err, from);
	assert_contains(im.err, "17 services, 2 not served, 0 attributes not carried over");
	assert_contains(im.err, "no service is enabled");
	/* as shipped it serves nothing: valid, and -t says exactly that */
	assert_contains(im.err, "netsrvd would serve nothing until one is");
	free(im.err);
	assert_int_equal(check_conf(im.conf), 0);
	assert_contains(out, "warning: every service has enabled = false: nothing would be served");
	text = slurp(im.conf);
	assert_contains(text, "# Check it before use: netsrvd -t -c /etc/netsrv.conf");
	free(text);

	/* the sysadmin who used them: disable = no in every file */
	snprintf(enabled_dir, sizeof(enabled_dir), "%s/xinetd.d", d->dir);
	assert_int_equal(mkdir(enabled_dir, 0755), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s", dir, files[i]);
		snprintf(to, sizeof(to), "%s/%s", enabled_dir, files[i]);
		copy_replacing(from, to, "disable\t\t= yes", "disable\t\t= no");
	}
	snprintf(to, sizeof(to), "includedir %s", enabled_dir);
	copy_replacing(shipped, conf, "includedir /etc/xinetd.d", to);
	run_import(d, conf, NULL, "enabled", &im);
	assert_int_equal(im.rc, 65);
	/* chargen-udp repeats chargen's UDP entry (id chargen-dgram, port 19): it yields */
	snprintf(from, sizeof(from), "%s/chargen-udp:4: service chargen-dgram-udp: udp * port 19: not carried over: "
	    "also service \"chargen-dgram\" (%s/chargen:19)", enabled_dir, enabled_dir);
	assert_contains(im.err, from);
	assert_contains(im.err, "17 services, 2 not served, 5 attributes not carried over");
	free(im.err);
	assert_passes_t(&im);
	print_message("netsrvd -t: %s", out);
}

/*
 * --import-to: Debian's xinetd.conf keeps its layout, one drop-in per file
 * of /etc/xinetd.d, each still disabled; and one of those files alone.
 */
static void
import_cli_import_to_test(void **state)
{
	struct daemon *d = *state;
	char shipped[512], dir[512], conf[300], to_dir[300], main_conf[300], errpath[300];
	char path[700], want[700];
	char *text;
	static const char *const files[] = { "chargen", "chargen-udp", "daytime", "daytime-udp",
		"discard", "discard-udp", "echo", "echo-udp", "time", "time-udp" };
	const char *argv[] = { "/bin/sh", "-c", "exec \"$0\" --import \"$1\" --import-to \"$2\" >\"$3\" 2>\"$4\"",
		h_netsrvd(), conf, to_dir, main_conf, errpath, NULL };
	const char *alone[] = { h_netsrvd(), "--import", path, NULL };
	const char *without[] = { h_netsrvd(), "--import-to", "/tmp", NULL };

	data_path(shipped, sizeof(shipped), "debian-xinetd/xinetd.conf");
	data_path(dir, sizeof(dir), "debian-xinetd/xinetd.d");
	snprintf(conf, sizeof(conf), "%s/xinetd.conf", d->dir);
	snprintf(to_dir, sizeof(to_dir), "%s/conf.d", d->dir);
	snprintf(main_conf, sizeof(main_conf), "%s/main.conf", d->dir);
	snprintf(errpath, sizeof(errpath), "%s/main.err", d->dir);
	snprintf(want, sizeof(want), "includedir %s", dir);
	copy_replacing(shipped, conf, "includedir /etc/xinetd.d", want);
	assert_int_equal(mkdir(to_dir, 0755), 0);
	/* servers and services are not served: 65, as without --import-to */
	assert_int_equal(h_run(argv, out, sizeof(out), 20000), 65);
	text = slurp(main_conf);
	snprintf(want, sizeof(want), "include_dir = \"%s\";", to_dir);
	assert_contains(text, want);
	assert_contains(text, "# every service is in a drop-in of include_dir");
	free(text);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.conf", to_dir, files[i]);
		text = slurp(path);
		snprintf(want, sizeof(want), "\" from %s/%s.\n", dir, files[i]);
		assert_contains(text, "# netsrvd drop-in made by \"netsrvd --import ");
		assert_contains(text, want);
		assert_contains(text, "\nservices = (\n");
		assert_contains(text, "enabled = false;");
		assert_null(strstr(text, "include_dir"));
		free(text);
	}
	/* servers and services: nothing to serve, so no drop-in (an empty list is refused) */
	snprintf(path, sizeof(path), "%s/servers.conf", to_dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/services.conf", to_dir);
	assert_int_equal(access(path, F_OK), -1);
	/* what was printed and written loads as the daemon will load it */
	const char *check[] = { h_netsrvd(), "-t", "-c", main_conf, NULL };
	if (h_run(check, out, sizeof(out), 10000) != 0)
		fail_msg("-t refused the import: %s", out);
	/* one file of /etc/xinetd.d alone: no defaults, still xinetd's */
	snprintf(path, sizeof(path), "%s/echo", dir);
	assert_int_equal(h_run(alone, out, sizeof(out), 20000), 0);
	assert_contains(out, "handler = \"echo\";");
	assert_contains(out, "enabled = false;");
	assert_int_equal(h_run(without, out, sizeof(out), 10000), 64);
	assert_contains(out, "--import-to needs --import");
}

/* Debian's /etc/inetd.conf as openbsd-inetd creates it, and with its internal services uncommented. */
static void
import_cli_openbsd_inetd_test(void **state)
{
	struct daemon *d = *state;
	char shipped[512], conf[300];
	struct imported im;
	char *text;

	data_path(shipped, sizeof(shipped), "openbsd-inetd/inetd.conf");
	run_import(d, shipped, NULL, "shipped", &im);
	assert_int_equal(im.rc, 0);	/* nothing in it, nothing lost */
	assert_contains(im.err, "(inetd): 0 services, 0 not served, 0 attributes not carried over");
	free(im.err);
	assert_int_equal(check_conf(im.conf), 78);
	assert_contains(out, "empty \"services\" list");

	snprintf(conf, sizeof(conf), "%s/inetd.conf", d->dir);
	/* what the sysadmin does: the '#' before each internal service removed */
	copy_replacing(shipped, conf, "\n#echo", "\necho");
	copy_replacing(conf, conf, "\n#discard", "\ndiscard");
	copy_replacing(conf, conf, "\n#daytime", "\ndaytime");
	copy_replacing(conf, conf, "\n#time", "\ntime");
	copy_replacing(conf, conf, "\n#chargen", "\nchargen");
	run_import(d, conf, NULL, "internal", &im);
	assert_int_equal(im.rc, 0);
	assert_contains(im.err, "6 services, 0 not served, 0 attributes not carried over");
	free(im.err);
	assert_passes_t(&im);
	text = slurp(im.conf);
	assert_contains(text, "\t\tname = \"discard-udp\";\n\t\tprotocol = \"udp\";\n\t\taddress = \"*\";\n"
	    "\t\tport = 9;\n\t\thandler = \"discard\";\n");
	free(text);
}

/* One package's entry: the status and the listing as this machine decides them, and -t. */
struct package_case {
	const char *file;
	int rc;			/* when every program and user is here */
	const char *lost;	/* a line of what was not carried over, or NULL */
	const char *program;	/* what it runs */
	const char *user;	/* its user, when the package makes one */
};

static bool
user_exists(const char *user)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "getent passwd %s >/dev/null", user);
	return system(cmd) == 0;
}

/*
 * amanda's and NRPE's programs are not installed here (their packages
 * start daemons and rewrite inetd.conf): then the import must say so, and
 * the same entry with a stand-in of the same name for its program (and
 * nobody for a user that is missing too) must pass -t, which is what every
 * other key of the translation faces.
 */
static void
package_with_stand_in(struct daemon *d, const struct package_case *pc, const char *input)
{
	char standin[600], copy[300], name[64], cmd[2048];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	bool no_user = pc->user != NULL && !user_exists(pc->user);
	struct imported im;

	snprintf(name, sizeof(name), "%s.asis", pc->file);
	run_import(d, input, NULL, name, &im);
	assert_int_equal(im.rc, 65);
	assert_contains(im.err, no_user ? "does not exist on this machine" : ": No such file or directory");
	assert_contains(im.err, "no service is enabled");
	free(im.err);
	snprintf(standin, sizeof(standin), "%s/stand-in%s", d->dir, pc->program);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\" && cp /bin/true '%s' && chmod 755 '%s'",
	    standin, standin, standin);
	assert_int_equal(h_run(argv, out, sizeof(out), 10000), 0);
	snprintf(copy, sizeof(copy), "%s/%s", d->dir, pc->file);
	copy_replacing(input, copy, pc->program, standin);
	if (no_user) {
		copy_replacing(copy, copy, "= nagios", "= nobody");
		copy_replacing(copy, copy, "group\t\t= nobody", "group\t\t= nogroup");
	}
	snprintf(name, sizeof(name), "%s.standin", pc->file);
	run_import(d, copy, NULL, name, &im);
	assert_int_equal(im.rc, pc->rc);
	if (pc->lost != NULL)
		assert_contains(im.err, pc->lost);
	free(im.err);
	assert_passes_t(&im);
}

static void
import_cli_packages_test(void **state)
{
	static const struct package_case cases[] = {
		{ "tftpd-hpa.inetd", 0, NULL, "/usr/sbin/in.tftpd", NULL },
		{ "tftpd-hpa-tcpd.inetd", 65, "tftpd-hpa-tcpd.inetd:1: service tftp: server /usr/sbin/tcpd: "
		    "not carried over: /etc/hosts.allow and /etc/hosts.deny are not consulted for in.tftpd "
		    "(tcp_wrappers checks TCP clients only)", "/usr/sbin/in.tftpd", NULL },
		{ "rsync.inetd", 65, "rsync.inetd:1: service rsync: argv[0] \"rsyncd\": not carried over",
		    "/usr/bin/rsync", NULL },
		{ "git-daemon.inetd", 0, NULL, "/usr/bin/git", NULL },
		{ "amanda.inetd", 0, NULL, "/usr/lib/amanda/amandad", "backup" },
		/* flags = IPv4 and groups = yes (initgroups): all of it carried over */
		{ "amanda.xinetd", 0, NULL, "/usr/lib/amanda/amandad", "backup" },
		{ "nrpe.xinetd", 65, "nrpe.xinetd:12: service nrpe: log_on_failure += USERID: not carried over",
		    "/usr/sbin/nrpe", "nagios" },
	};
	struct daemon *d = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct package_case *pc = &cases[i];
		char input[600];
		struct imported im;

		data_path(input, sizeof(input), "packages/");
		strncat(input, pc->file, sizeof(input) - strlen(input) - 1);
		if (!have(pc->program) || (pc->user != NULL && !user_exists(pc->user))) {
			if (strncmp(pc->file, "amanda", 6) != 0 && strncmp(pc->file, "nrpe", 4) != 0)
				need(pc->program);
			package_with_stand_in(d, pc, input);
			continue;
		}
		run_import(d, input, NULL, pc->file, &im);
		assert_int_equal(im.rc, pc->rc);
		if (pc->lost != NULL)
			assert_contains(im.err, pc->lost);
		free(im.err);
		assert_passes_t(&im);
	}
}

static void
import_cli_usage_test(void **state)
{
	struct daemon *d = *state;
	char conf[512];
	const char *with_t[] = { h_netsrvd(), "--import", "/etc/inetd.conf", "-t", NULL };
	const char *missing[] = { h_netsrvd(), "--import", "/nonexistent/xinetd.conf", NULL };
	const char *neither[] = { h_netsrvd(), "--import", conf, NULL };
	const char *help[] = { h_netsrvd(), "-h", NULL };

	(void)d;
	assert_int_equal(h_run(with_t, out, sizeof(out), 10000), 64);
	assert_contains(out, "--import takes no option but -c");
	assert_int_equal(h_run(missing, out, sizeof(out), 10000), 78);
	assert_contains(out, "/nonexistent/xinetd.conf: No such file or directory");
	/* netsrvd's own configuration is neither format */
	snprintf(conf, sizeof(conf), "%s/etc/netsrv.conf", h_srcdir());
	assert_int_equal(h_run(neither, out, sizeof(out), 10000), 78);
	assert_contains(out, "neither an inetd.conf nor an xinetd.conf");
	assert_int_equal(h_run(help, out, sizeof(out), 10000), 0);
	assert_contains(out, "netsrvd --import FILE [--import-to DIR] [-c FILE]");
}

/* tftpd-hpa's recommended inetd line, on a loopback port, imported and fetched from with tftp-hpa. */
static void
import_serve_tftp_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char root[256], file[300], got[300], inetd[300], cmd[1024];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct imported im;
	char *text;

	need_root();
	need("/usr/sbin/in.tftpd");
	need("/usr/bin/tftp");
	snprintf(root, sizeof(root), "%s/tftpboot", d->dir);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(file, sizeof(file), "%s/pxelinux.0", root);
	h_write_file(file, "boot image, from an inetd.conf line, through netsrvd\n");
	assert_int_equal(chmod(file, 0644), 0);
	snprintf(inetd, sizeof(inetd), "%s/inetd.conf", d->dir);
	/* README.security's line: its -s directory ours, a port and an address of the test's */
	snprintf(cmd, sizeof(cmd), "127.0.0.1:%d\tdgram\tudp\twait\troot\t/usr/sbin/in.tftpd\t"
	    "in.tftpd --timeout 1 -s %s -r blksize\n", port, root);
	h_write_file(inetd, cmd);
	run_import(d, inetd, NULL, "tftp", &im);
	assert_int_equal(im.rc, 0);
	free(im.err);
	assert_passes_t(&im);
	text = slurp(im.conf);
	print_message("%s", text);
	assert_contains(text, "\t\twait = true;\n");
	copy_replacing(im.conf, d->conf, NULL, NULL);
	free(text);
	assert_true(h_start(d, NULL) > 0);
	assert_true(h_wait_log(d, "started:", 10000));
	snprintf(got, sizeof(got), "%s/got", d->dir);
	/* UDP: the first datagram may beat the socket; tftp retries, we retry the whole get */
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "cd '%s' && tftp -m octet 127.0.0.1 %d -c get pxelinux.0 got", d->dir, port);
		if (h_run(argv, out, sizeof(out), 10000) == 0 && access(got, R_OK) == 0)
			break;
		h_sleep_ms(300);
	}
	if (access(got, R_OK) != 0)
		h_fail_with_log(d, out);
	text = slurp(got);
	assert_string_equal(text, "boot image, from an inetd.conf line, through netsrvd\n");
	print_message("tftp get pxelinux.0: %s", text);
	free(text);
}

/* git-daemon(1)'s xinetd form of the service, as user nobody, imported and cloned from. */
static void
import_serve_git_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char repo[256], clone[256], xinetd[300], cmd[2048];
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct imported im;
	char *text;

	need_root();
	need("/usr/bin/git");
	snprintf(repo, sizeof(repo), "%s/srv/hello.git", d->dir);
	snprintf(clone, sizeof(clone), "%s/clone", d->dir);
	/* the repository belongs to the daemon's user, as git wants of what it serves */
	/* run from a git hook or rebase -x, an inherited GIT_DIR would take the commit */
	snprintf(cmd, sizeof(cmd),
	    "set -e; unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE; "
	    "export HOME='%s' GIT_CONFIG_NOSYSTEM=1; mkdir -p '%s/srv' && cd '%s' && "
	    "git init -q work && cd work && echo 'hello from an xinetd service' > README && "
	    "git add README && git -c user.name=t -c user.email=t@example.org commit -q -m first && "
	    "git clone -q --bare . '%s' && chown -R nobody '%s/srv'", d->dir, d->dir, d->dir, repo, d->dir);
	if (h_run(argv, out, sizeof(out), 20000) != 0)
		fail_msg("setting up the repository: %s", out);
	snprintf(xinetd, sizeof(xinetd), "%s/xinetd.conf", d->dir);
	snprintf(cmd, sizeof(cmd), "defaults\n{\n\tlog_on_success = HOST PID DURATION\n}\n\n"
	    "service git\n{\n\tdisable = no\n\ttype = UNLISTED\n\tport = %d\n\tbind = 127.0.0.1\n"
	    "\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tserver = /usr/bin/git\n"
	    "\tserver_args = daemon --inetd --export-all --base-path=%s/srv\n"
	    "\tlog_on_failure += USERID\n}\n", port, d->dir);
	h_write_file(xinetd, cmd);
	run_import(d, xinetd, NULL, "git", &im);
	assert_int_equal(im.rc, 65);	/* USERID: no identd lookups */
	assert_contains(im.err, "log_on_failure += USERID: not carried over");
	free(im.err);
	assert_passes_t(&im);
	text = slurp(im.conf);
	print_message("%s", text);
	assert_contains(text, "\tconnections = true;\n");
	assert_contains(text, "\t\tuser = \"nobody\";\n");
	copy_replacing(im.conf, d->conf, NULL, NULL);
	free(text);
	h_start_serving(d, port);
	snprintf(cmd, sizeof(cmd), "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE; "
	    "export HOME='%s' GIT_CONFIG_NOSYSTEM=1; git clone -q git://127.0.0.1:%d/hello.git '%s' && cat '%s/README'",
	    d->dir, port, clone, clone);
	if (h_run(argv, out, sizeof(out), 30000) != 0)
		h_fail_with_log(d, out);
	assert_string_equal(out, "hello from an xinetd service\n");
	print_message("git clone git://127.0.0.1:%d/hello.git: README says %s", port, out);
	assert_true(h_wait_log(d, "service=git ", 3000));
	assert_true(h_wait_log(d, "exit=0", 3000));
}

/* The reply of a connection to addr:port that sends text and half-closes. */
static void
echo_over(struct daemon *d, const char *addr, int port, const char *text)
{
	char buf[64];
	int fd = h_connect(addr, port, 2000);
	ssize_t n;

	if (fd < 0)
		h_fail_with_log(d, addr);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	shutdown(fd, SHUT_WR);
	n = h_read_all(fd, buf, sizeof(buf) - 1, 5000);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, text);
	print_message("echo over %s:%d: %s", addr, port, buf);
}

/*
 * "Behaves the same": what fingerd, cfingerd, ftpd-ssl, dicod and weborf
 * ship, flags = IPv6, is a dual-stack socket under xinetd; imported and
 * served, IPv4 clients still get in.
 */
static void
import_serve_ipv6_flag_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char xinetd[300], from[32], to[32];
	struct imported im;
	char *text;

	snprintf(xinetd, sizeof(xinetd), "%s/xinetd.conf", d->dir);
	h_write_file(xinetd, "service echo\n{\n\tdisable = no\n\ttype = INTERNAL\n\tid = echo-stream\n"
	    "\tsocket_type = stream\n\tprotocol = tcp\n\tuser = root\n\twait = no\n\tflags = IPv6\n}\n");
	run_import(d, xinetd, NULL, "ipv6", &im);
	assert_int_equal(im.rc, 0);
	free(im.err);
	text = slurp(im.conf);
	assert_contains(text, "\t\taddress = \"*\";\n\t\tport = 7;\n");
	free(text);
	snprintf(from, sizeof(from), "port = 7;");
	snprintf(to, sizeof(to), "port = %d;", port);
	copy_replacing(im.conf, d->conf, from, to);
	assert_passes_t(&im);
	h_start_serving(d, port);
	echo_over(d, "127.0.0.1", port, "over IPv4\n");
	echo_over(d, "::1", port, "over IPv6\n");
}

/* --- hostile files: each import must end, say what it refused, and print nothing live it did not read --- */

static const char echo_xinetd[] = "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* A 4-line xinetd.conf that includes itself three times: read once, the loop named. */
static void
import_cli_include_loop_test(void **state)
{
	struct daemon *d = *state;
	char conf[300], text[1024], want[700];
	struct imported im;

	snprintf(conf, sizeof(conf), "%s/xinetd.conf", d->dir);
	snprintf(text, sizeof(text), "defaults\n{\n}\ninclude %s\ninclude %s\ninclude %s\n", conf, conf, conf);
	write_file(conf, text);
	run_import(d, conf, NULL, "loop", &im);
	assert_int_equal(im.rc, 65);
	snprintf(want, sizeof(want), "%s:4: include %s: not carried over: not followed: a loop", conf, conf);
	assert_contains(im.err, want);
	free(im.err);
}

/* A FIFO, named or included, is refused without being opened for reading: the import ends. */
static void
import_cli_fifo_test(void **state)
{
	struct daemon *d = *state;
	char conf[300], fifo[300], text[1024], want[700];
	struct imported im;

	snprintf(fifo, sizeof(fifo), "%s/fifo", d->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(conf, sizeof(conf), "%s/xinetd.conf", d->dir);
	snprintf(text, sizeof(text), "%sinclude %s\n", echo_xinetd, fifo);
	write_file(conf, text);
	run_import(d, conf, NULL, "fifo-included", &im);
	assert_int_equal(im.rc, 65);
	snprintf(want, sizeof(want), "%s:7: %s: not carried over: cannot be read (not a regular file)", conf, fifo);
	assert_contains(im.err, want);
	free(im.err);
	run_import(d, fifo, NULL, "fifo", &im);
	assert_int_equal(im.rc, 78);
	assert_contains(im.err, "fifo: not a regular file");
	free(im.err);
}

/* A newline in an includedir file's name: refused with a note, and no live line comes of it. */
static void
import_cli_newline_name_test(void **state)
{
	struct daemon *d = *state;
	char conf[300], dir[300], path[600], text[1024];
	char *made;
	struct imported im;

	snprintf(dir, sizeof(dir), "%s/xinetd.d", d->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/x\n\t{ name = \"pwn\"; handler = \"echo\"; port = 2323; },\n#", dir);
	write_file(path, "service daytime\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n}\n");
	snprintf(conf, sizeof(conf), "%s/xinetd.conf", d->dir);
	snprintf(text, sizeof(text), "%sincludedir %s\n", echo_xinetd, dir);
	write_file(conf, text);
	run_import(d, conf, NULL, "newline", &im);
	assert_int_equal(im.rc, 65);
	assert_contains(im.err, "its name holds a control character");
	assert_contains(im.err, "1 service, 0 not served");
	free(im.err);
	made = slurp(im.conf);
	if (strstr(made, "\n\t{ name = \"pwn\"") != NULL)
		fail_msg("a file name became configuration:\n%s", made);
	free(made);
	assert_passes_t(&im);
}

/* An inetd.conf line of 261 arguments: all 261 in the command, and -t takes it. */
static void
import_cli_many_arguments_test(void **state)
{
	struct daemon *d = *state;
	char conf[300], *text, *made;
	size_t n = 0, cap = 8192;
	struct imported im;

	need("/bin/cat");
	text = calloc(1, cap);
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, "echo stream tcp nowait root /bin/cat cat");
	for (int i = 1; i <= 261; i++)
		n += (size_t)snprintf(text + n, cap - n, " a%d", i);
	snprintf(text + n, cap - n, "\n");
	snprintf(conf, sizeof(conf), "%s/inetd.conf", d->dir);
	write_file(conf, text);
	free(text);
	run_import(d, conf, NULL, "args", &im);
	assert_int_equal(im.rc, 0);
	free(im.err);
	made = slurp(im.conf);
	assert_contains(made, "\"a260\", \"a261\" ]");
	free(made);
	assert_passes_t(&im);
}

/*
 * A program its service's user cannot reach (a directory on its way it may
 * not search) is not served, as -t would refuse it: never printed for -t
 * to refuse.
 */
static void
import_cli_unsearchable_program_test(void **state)
{
	struct daemon *d = *state;
	char dir[300], prog[400], conf[300], text[700], want[600];
	struct imported im;

	if (!user_exists("nobody")) {
		print_message("skipped: no user nobody\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/private", d->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(prog, sizeof(prog), "%s/in.fingerd", dir);
	write_file(prog, "#!/bin/sh\nexit 0\n");
	assert_int_equal(chmod(prog, 0755), 0);
	snprintf(conf, sizeof(conf), "%s/inetd.conf", d->dir);
	snprintf(text, sizeof(text), "finger stream tcp nowait nobody %s in.fingerd\n"
	    "echo stream tcp nowait root internal\n", prog);
	write_file(conf, text);
	run_import(d, conf, NULL, "unsearchable", &im);
	assert_int_equal(im.rc, 65);
	snprintf(want, sizeof(want), "service finger: not served: program %s: Permission denied for user nobody", prog);
	assert_contains(im.err, want);
	free(im.err);
	assert_passes_t(&im);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(import_cli_debian_xinetd_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_import_to_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_openbsd_inetd_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_packages_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_usage_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_serve_tftp_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_serve_git_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_serve_ipv6_flag_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_include_loop_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_fifo_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_newline_name_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_many_arguments_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(import_cli_unsearchable_program_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("import_cli", tests, NULL, NULL);
}
