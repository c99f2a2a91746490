/* inetd_conf: an inetd.conf's entries served through --import's translation, its bad entries skipped, its changes seen. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "harness.h"
#include "import/import_live.h"

/* A private directory with netsrv.conf and inetd.conf in it. */
struct tree {
	char dir[64];
	char main[128];
	char inetd[128];
};

static void
tree_make(struct tree *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/netsrvd-inetd-test.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->main, sizeof(t->main), "%s/netsrv.conf", t->dir);
	snprintf(t->inetd, sizeof(t->inetd), "%s/inetd.conf", t->dir);
}

static void
put(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(const char *path, const char *fmt, ...)
{
	char text[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	h_write_file(path, text);
}

static void
rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The main file: workers as daemon, one echo service of its own on port, the inetd.conf beside it. */
static void
main_with_inetd(const struct tree *t, const char *user, int port)
{
	put(t->main, "user = \"%s\";\ninetd_conf = \"inetd.conf\";\nservices = (\n"
	    " { name = \"own\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; } );\n",
	    user, port);
}

static struct config *
load_ok(const struct tree *t)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_load_with(t->main, import_live_translate, err, sizeof(err));

	if (cfg == NULL)
		fail_msg("%s", err);
	return cfg;
}

static void
load_refused_with(const struct tree *t, config_inetd_translate_fn *tr, const char *want)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_load_with(t->main, tr, err, sizeof(err));

	if (cfg != NULL) {
		config_free(cfg);
		fail_msg("loaded; wanted: %s", want);
	}
	if (strstr(err, want) == NULL)
		fail_msg("said: %s\nwanted: %s", err, want);
}

static void
load_refused(const struct tree *t, const char *want)
{
	load_refused_with(t, import_live_translate, want);
}

static const struct service_config *
service_named(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return &cfg->services[i];
	return NULL;
}

/* The one warning that starts with prefix and holds needle; fails the test when there is none. */
static void
assert_warning(const struct config *cfg, const char *prefix, const char *needle)
{
	for (size_t i = 0; i < cfg->warnings.n; i++)
		if (strncmp(cfg->warnings.v[i], prefix, strlen(prefix)) == 0 &&
		    strstr(cfg->warnings.v[i], needle) != NULL)
			return;
	for (size_t i = 0; i < cfg->warnings.n; i++)
		print_message("warning: %s\n", cfg->warnings.v[i]);
	fail_msg("no warning \"%s...%s\"", prefix, needle);
}

/* Every entry that can be served is a service, named after it, with its file and line. */
static void
inetd_entries_served_test(void **state)
{
	struct tree t;
	const struct service_config *s;
	struct config *cfg;

	(void)state;
	tree_make(&t);
	main_with_inetd(&t, "daemon", 17001);
	put(t.inetd, "# /etc/inetd.conf as update-inetd keeps it\n#:INFO: Info services\n"
	    "127.0.0.1:17002\tstream\ttcp\tnowait\tnobody\t/bin/cat\tcat\n"
	    "#<off># 127.0.0.1:17003\tstream\ttcp\tnowait\tnobody\t/bin/cat\tcat\n"
	    "\n"
	    "127.0.0.1:17004 dgram udp wait nobody /bin/cat cat\n");
	cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 4);
	assert_int_equal(cfg->warnings.n, 0);
	assert_non_null(s = service_named(cfg, "17002"));
	assert_string_equal(s->file, t.inetd);
	assert_int_equal(s->line, 3);
	assert_int_equal(s->port, 17002);
	assert_string_equal(s->handler_name, "exec");
	assert_true(s->enabled);
	assert_non_null(s = service_named(cfg, "17003"));
	assert_int_equal(s->line, 4);
	assert_false(s->enabled);	/* update-inetd --disable: loaded, not served */
	assert_non_null(s = service_named(cfg, "17004"));
	assert_int_equal(s->line, 6);
	assert_int_equal(s->protocol, PROTO_UDP);
	config_free(cfg);
	rm_tree(t.dir);
}

/* An entry that cannot be served is a warning with its line; the others and the main file's load. */
static void
inetd_unservable_skipped_test(void **state)
{
	struct tree t;
	char where[200];
	struct config *cfg;

	(void)state;
	tree_make(&t);
	main_with_inetd(&t, "daemon", 17001);
	put(t.inetd, "127.0.0.1:17002 stream tcp nowait nobody /no/such/program x\n"
	    "127.0.0.1:17003 stream tcp nowait no-such-user-here /bin/cat cat\n"
	    "not an entry at all\n"
	    "rstatd/1-3 dgram rpc/udp wait root /usr/sbin/rpc.rstatd rpc.rstatd\n"
	    "127.0.0.1:17004 stream tcp nowait nobody /bin/cat cat\n");
	cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 2);
	assert_non_null(service_named(cfg, "own"));
	assert_non_null(service_named(cfg, "17004"));
	for (int line = 1; line <= 4; line++) {
		snprintf(where, sizeof(where), "%s:%d: ", t.inetd, line);
		assert_warning(cfg, where, line == 3 ? "not carried over" : "not served");
	}
	config_free(cfg);
	rm_tree(t.dir);
}

/* An entry that takes a name or an address of the sysadmin's own services is the one skipped. */
static void
inetd_clash_skipped_test(void **state)
{
	struct tree t;
	char where[200];
	struct config *cfg;

	(void)state;
	tree_make(&t);
	put(t.main, "user = \"daemon\";\ninetd_conf = \"inetd.conf\";\nservices = (\n"
	    " { name = \"own\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = 17001; handler = \"echo\"; },\n"
	    " { name = \"17005\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = 17006; handler = \"echo\"; } );\n");
	put(t.inetd, "127.0.0.1:17001 stream tcp nowait nobody /bin/cat cat\n"
	    "127.0.0.1:17005 stream tcp nowait nobody /bin/cat cat\n"
	    "127.0.0.1:17007 stream tcp nowait nobody /bin/cat cat\n");
	cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 3);
	assert_int_equal(service_named(cfg, "own")->port, 17001);
	assert_int_equal(service_named(cfg, "17005")->port, 17006);
	assert_non_null(service_named(cfg, "17007"));
	snprintf(where, sizeof(where), "%s:1: ", t.inetd);
	assert_warning(cfg, where, "overlaps service \"own\"");
	snprintf(where, sizeof(where), "%s:2: ", t.inetd);
	assert_warning(cfg, where, "duplicate service name \"17005\"");
	assert_warning(cfg, where, "the entry is not served");
	config_free(cfg);
	rm_tree(t.dir);
}

/* A program that would run as the built-in workers' user is refused for its entry alone. */
static void
inetd_shared_user_skipped_test(void **state)
{
	struct tree t;
	char where[200];
	struct config *cfg;

	(void)state;
	tree_make(&t);
	main_with_inetd(&t, "nobody", 17001);
	put(t.inetd, "127.0.0.1:17002 stream tcp nowait nobody /bin/cat cat\n"
	    "127.0.0.1:17003 stream tcp nowait daemon /bin/cat cat\n");
	cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 2);
	assert_null(service_named(cfg, "17002"));
	assert_non_null(service_named(cfg, "17003"));
	snprintf(where, sizeof(where), "%s:1: ", t.inetd);
	assert_warning(cfg, where, "would run as user nobody");
	config_free(cfg);
	rm_tree(t.dir);
}

/* No file yet (no package registered an entry): nothing from it, nothing wrong. */
static void
inetd_absent_test(void **state)
{
	struct tree t;
	struct config *cfg;

	(void)state;
	tree_make(&t);
	main_with_inetd(&t, "daemon", 17001);
	cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 1);
	assert_int_equal(cfg->warnings.n, 0);
	config_free(cfg);
	/* the main file may leave every service to it */
	put(t.main, "user = \"daemon\";\ninetd_conf = \"inetd.conf\";\n");
	put(t.inetd, "127.0.0.1:17002 stream tcp nowait nobody /bin/cat cat\n");
	cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 1);
	config_free(cfg);
	rm_tree(t.dir);
}

/* What is wrong with the file itself stops the load (a reload keeps the old generation), never hangs it. */
static void
inetd_hostile_files_test(void **state)
{
	struct tree t;
	char want[PATH_MAX + 128];
	int fd;

	(void)state;
	tree_make(&t);
	main_with_inetd(&t, "daemon", 17001);
	assert_int_equal(mkfifo(t.inetd, 0644), 0);	/* nobody writes it: opened O_NONBLOCK, refused */
	snprintf(want, sizeof(want), "%s: inetd_conf %s: not a regular file", t.main, t.inetd);
	load_refused(&t, want);
	unlink(t.inetd);
	assert_int_equal(symlink("/dev/zero", t.inetd), 0);
	load_refused(&t, want);
	unlink(t.inetd);
	assert_int_equal(mkdir(t.inetd, 0755), 0);
	load_refused(&t, want);
	rmdir(t.inetd);
	assert_int_equal(symlink("inetd.conf", t.inetd), 0);
	snprintf(want, sizeof(want), "%s: inetd_conf %s: Too many levels of symbolic links", t.main, t.inetd);
	load_refused(&t, want);
	unlink(t.inetd);
	put(t.inetd, "service finger\n{\n\tsocket_type = stream\n\tserver = /usr/sbin/in.fingerd\n}\n");
	snprintf(want, sizeof(want), "%s: inetd_conf %s: an xinetd.conf, not an inetd.conf", t.main, t.inetd);
	load_refused(&t, want);
	fd = open(t.inetd, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "echo stream tcp\0nowait", 22), 22);
	close(fd);
	snprintf(want, sizeof(want), "%s: inetd_conf %s: holds a NUL byte", t.main, t.inetd);
	load_refused(&t, want);
	/* beyond 16 MiB: a mistake, not an inetd.conf */
	assert_int_equal(truncate(t.inetd, (16 << 20) + 1), 0);
	snprintf(want, sizeof(want), "%s: inetd_conf %s: larger than 16 MiB", t.main, t.inetd);
	load_refused(&t, want);
	/* the loader alone (config_load) has no translation to run */
	put(t.inetd, "127.0.0.1:17002 stream tcp nowait nobody /bin/cat cat\n");
	snprintf(want, sizeof(want), "%s: inetd_conf %s: this program does not read inetd.conf files", t.main, t.inetd);
	load_refused_with(&t, NULL, want);
	rm_tree(t.dir);
}

/* Lines of a megabyte: each a bounded warning, and the entry among them served. */
static void
inetd_megabyte_lines_test(void **state)
{
	struct tree t;
	size_t mb = 1 << 20;
	char *big = malloc(mb + 1);
	struct config *cfg;
	FILE *f;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', mb);
	big[mb] = '\0';
	tree_make(&t);
	main_with_inetd(&t, "daemon", 17001);
	assert_non_null(f = fopen(t.inetd, "w"));
	fprintf(f, "%s\n", big);					/* one word of 1 MiB */
	fprintf(f, "#%s\n", big);					/* a comment */
	fprintf(f, "127.0.0.1:17002 stream tcp nowait nobody /bin/cat cat\n");
	fprintf(f, "127.0.0.1:17003 stream tcp nowait nobody /bin/cat %s\n", big);	/* an argument */
	big[100] = ' ';
	fprintf(f, "%s\n", big);					/* fields of garbage */
	fprintf(f, "127.0.0.1:17004 stream tcp nowait nobody /%s x\n", big + 200);	/* a program path */
	assert_int_equal(fclose(f), 0);
	cfg = load_ok(&t);
	assert_non_null(service_named(cfg, "17002"));
	for (size_t i = 0; i < cfg->warnings.n; i++)
		assert_true(strlen(cfg->warnings.v[i]) < 1024);
	assert_true(cfg->warnings.n >= 2);
	config_free(cfg);
	free(big);
	rm_tree(t.dir);
}

/* 10,000 bad lines: a bounded list of warnings that says how many more there were. */
static void
inetd_many_bad_lines_test(void **state)
{
	struct tree t;
	struct config *cfg;
	FILE *f;

	(void)state;
	tree_make(&t);
	main_with_inetd(&t, "daemon", 17001);
	assert_non_null(f = fopen(t.inetd, "w"));
	for (int i = 0; i < 10000; i++)
		fprintf(f, "garbage%d here\n", i);
	fprintf(f, "127.0.0.1:17002 stream tcp nowait nobody /bin/cat cat\n");
	assert_int_equal(fclose(f), 0);
	cfg = load_ok(&t);
	assert_non_null(service_named(cfg, "17002"));
	assert_int_equal(cfg->warnings.n, IMPORT_LIVE_WARNINGS_MAX + 1);
	assert_warning(cfg, t.inetd, "9900 more lines like these");
	config_free(cfg);
	rm_tree(t.dir);
}

static int
tr_garbage(const char *path, FILE *out)
{
	(void)path;
	fputs("services = ( { name = ", out);
	return 0;
}

static int
tr_fails(const char *path, FILE *out)
{
	(void)path;
	(void)out;
	return 3;
}

static int
tr_crashes(const char *path, FILE *out)
{
	(void)path;
	(void)out;
	raise(SIGSEGV);
	return 0;
}

static int
tr_floods(const char *path, FILE *out)
{
	(void)path;
	for (int i = 0; i < (17 << 10); i++)
		fprintf(out, "# %01020d\n", i);
	return 0;
}

/* The translation runs apart: whatever it does, the loader says so and goes on living. */
static void
inetd_translation_fails_test(void **state)
{
	struct tree t;
	char want[PATH_MAX + 128];

	(void)state;
	tree_make(&t);
	main_with_inetd(&t, "daemon", 17001);
	put(t.inetd, "127.0.0.1:17002 stream tcp nowait nobody /bin/cat cat\n");
	snprintf(want, sizeof(want), "%s: inetd_conf %s: the translation does not parse", t.main, t.inetd);
	load_refused_with(&t, tr_garbage, want);
	snprintf(want, sizeof(want), "%s: inetd_conf %s: the translation failed (exit status 3)", t.main, t.inetd);
	load_refused_with(&t, tr_fails, want);
	snprintf(want, sizeof(want), "%s: inetd_conf %s: the translation was killed by signal %d", t.main, t.inetd,
	    SIGSEGV);
	load_refused_with(&t, tr_crashes, want);
	snprintf(want, sizeof(want), "%s: inetd_conf %s: the translation is larger than 16 MiB", t.main, t.inetd);
	load_refused_with(&t, tr_floods, want);
	assert_int_equal(h_count_zombies(getpid()), 0);
	rm_tree(t.dir);
}

/* Replaces path by rename(2) from a file beside it, as update-inetd and editors do. */
static void
replace(const char *path, const char *text)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	h_write_file(tmp, text);
	assert_int_equal(rename(tmp, path), 0);
}

static void
write_in_place(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

#define ENTRY "127.0.0.1:%d stream tcp nowait nobody /bin/cat cat\n"

/* The entries' programs run as nobody, as inetd.conf's do: only root can start them so. */
static bool
skip_unless_root(void)
{
	if (geteuid() == 0)
		return false;
	print_message("skipped: needs root (the entries' programs run as user nobody; CI runs as root)\n");
	return true;
}

/* The real daemon: a change to inetd_conf, renamed over or written in place, is served with no signal. */
static void
inetd_watch_test(void **state)
{
	struct daemon *d = *state;
	int ps = h_free_port(), pa = h_free_port(), pb = h_free_port();
	char inetd[300], text[512];

	if (skip_unless_root())
		skip();
	snprintf(inetd, sizeof(inetd), "%s/inetd.conf", d->dir);
	snprintf(text, sizeof(text), ENTRY, pa);
	h_write_file(inetd, text);
	h_write_conf(d, "user = \"daemon\";\ninetd_conf = \"%s\";\nservices = (\n"
	    " { name = \"st\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    inetd, ps);
	h_start_serving(d, pa);
	assert_true(h_echo("127.0.0.1", pa, "from inetd.conf", 15, 3000));
	assert_int_equal(h_connect("127.0.0.1", pb, 1000), -1);

	/* update-inetd --add: a new file renamed over the old one */
	snprintf(text, sizeof(text), ENTRY ENTRY, pa, pb);
	replace(inetd, text);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	assert_true(h_echo("127.0.0.1", pb, "added", 5, 3000));
	assert_true(h_echo("127.0.0.1", pa, "kept", 4, 3000));

	/* written in place, a's entry disabled and an entry that cannot be served: skipped, the reload holds */
	snprintf(text, sizeof(text), "#<off># " ENTRY ENTRY "127.0.0.1:1 stream tcp nowait nobody /no/such x\n", pa, pb);
	write_in_place(inetd, text);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 2, 5000), 2);
	assert_int_equal(h_metric(ps, "netsrvd_reloads_total{result=\"failed\"}"), 0);
	assert_int_equal(h_connect("127.0.0.1", pa, 1000), -1);
	assert_true(h_echo("127.0.0.1", pb, "still", 5, 3000));
	assert_true(h_wait_log(d, "inetd.conf:3: service 1: not served: program /no/such", 3000));

	/* removed: every entry goes, the status service stays */
	assert_int_equal(unlink(inetd), 0);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 3, 5000), 3);
	assert_int_equal(h_connect("127.0.0.1", pb, 1000), -1);
}

/* Runs update-inetd on file, with debconf's questions answered by their defaults. */
static void
update_inetd(const char *file, const char *verb, const char *arg)
{
	char out[4096];
	const char *argv[] = { "/usr/sbin/update-inetd", "--file", file, verb, arg, NULL };

	setenv("DEBIAN_FRONTEND", "noninteractive", 1);
	if (h_run(argv, out, sizeof(out), 20000) != 0)
		fail_msg("update-inetd %s %s: %s", verb, arg, out);
}

/* Debian's own update-inetd, as a package's postinst and postrm run it: each change served with no step by hand. */
static void
inetd_update_inetd_test(void **state)
{
	struct daemon *d = *state;
	int ps = h_free_port(), pa = h_free_port();
	char inetd[300], entry[256], name[64];
	const char *argv[] = { h_netsrvd(), "-s", "-c", d->conf, NULL };
	char out[8192];

	if (skip_unless_root())
		skip();
	if (access("/usr/sbin/update-inetd", X_OK) != 0) {
		print_message("skipped: no /usr/sbin/update-inetd (build-aux/install-deps check installs it)\n");
		skip();
	}
	snprintf(inetd, sizeof(inetd), "%s/inetd.conf", d->dir);
	h_write_file(inetd, "# as openbsd-inetd's preinst makes it\n#:STANDARD: These are standard services.\n\n"
	    "#:OTHER: Other services\n\n");
	h_write_conf(d, "user = \"daemon\";\ninetd_conf = \"%s\";\nservices = (\n"
	    " { name = \"st\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; } );\n",
	    inetd, ps);
	h_start_serving(d, ps);
	snprintf(name, sizeof(name), "127.0.0.1:%d", pa);
	snprintf(entry, sizeof(entry), "%s\tstream\ttcp\tnowait\tnobody\t/bin/cat\tcat", name);

	update_inetd(inetd, "--add", entry);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_AT_LEAST, 1, 10000), 1);
	assert_true(h_echo("127.0.0.1", pa, "added by update-inetd", 21, 3000));
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 0);
	snprintf(entry, sizeof(entry), "\n%d ", pa);	/* -s lists it by the entry's name */
	if (strstr(out, entry) == NULL)
		fail_msg("-s: %s", out);

	update_inetd(inetd, "--disable", name);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_AT_LEAST, 2, 10000), 2);
	assert_int_equal(h_connect("127.0.0.1", pa, 1000), -1);

	update_inetd(inetd, "--enable", name);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_AT_LEAST, 3, 10000), 3);
	assert_true(h_echo("127.0.0.1", pa, "enabled again", 13, 3000));

	update_inetd(inetd, "--remove", name);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_AT_LEAST, 4, 10000), 4);
	assert_int_equal(h_connect("127.0.0.1", pa, 1000), -1);
}

/* -t reads inetd_conf too and prints what it would skip, and still says OK. */
static void
inetd_check_option_test(void **state)
{
	struct daemon *d = *state;
	char inetd[300], out[4096], want[400];
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };

	snprintf(inetd, sizeof(inetd), "%s/inetd.conf", d->dir);
	h_write_file(inetd, "127.0.0.1:17002 stream tcp nowait nobody /bin/cat cat\n"
	    "127.0.0.1:17003 stream tcp nowait nobody /no/such/program x\n");
	h_write_conf(d, "user = \"daemon\";\ninetd_conf = \"%s\";\n", inetd);
	assert_int_equal(h_run(argv, out, sizeof(out), 20000), 0);
	snprintf(want, sizeof(want), "netsrvd: warning: %s:2: service 17003: not served: program /no/such/program",
	    inetd);
	if (strstr(out, want) == NULL || strstr(out, "configuration OK") == NULL)
		fail_msg("-t said: %s", out);
	h_write_file(inetd, "service x\n{\n\tserver = /bin/cat\n}\n");
	assert_int_equal(h_run(argv, out, sizeof(out), 20000), 78);
	if (strstr(out, "an xinetd.conf, not an inetd.conf") == NULL)
		fail_msg("-t said: %s", out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inetd_entries_served_test),
		cmocka_unit_test(inetd_unservable_skipped_test),
		cmocka_unit_test(inetd_clash_skipped_test),
		cmocka_unit_test(inetd_shared_user_skipped_test),
		cmocka_unit_test(inetd_absent_test),
		cmocka_unit_test(inetd_hostile_files_test),
		cmocka_unit_test(inetd_megabyte_lines_test),
		cmocka_unit_test(inetd_many_bad_lines_test),
		cmocka_unit_test(inetd_translation_fails_test),
		cmocka_unit_test_setup_teardown(inetd_watch_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(inetd_update_inetd_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(inetd_check_option_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("inetd_conf", tests, NULL, NULL);
}
