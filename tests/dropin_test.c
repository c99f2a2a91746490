/* include_dir: drop-ins loaded with the main file as one configuration, hostile ones refused, reloads seeing them come and go. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
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
#include "config_dropin.h"
#include "harness.h"

#define ECHO_AT "{ name = \"%s\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; }"

/* A private directory with conf.d/ in it, removed whole by rm_tree. */
struct tree {
	char dir[64];
	char main[128];
	char dropins[96];
};

static void
tree_make(struct tree *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/netsrvd-dropin-test.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->main, sizeof(t->main), "%s/netsrv.conf", t->dir);
	snprintf(t->dropins, sizeof(t->dropins), "%s/conf.d", t->dir);
	assert_int_equal(mkdir(t->dropins, 0755), 0);
}

static void
put(const char *dir, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
put(const char *dir, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX], text[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	h_write_file(path, text);
}

static void
rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int
count_own_fds(void)
{
	return h_count_fds(getpid(), NULL);
}

/* The main file with include_dir (relative: to the main file) and one service of its own. */
static void
main_with_dropins(const struct tree *t, int port)
{
	put(t->dir, "netsrv.conf", "include_dir = \"conf.d\";\nservices = (\n " ECHO_AT " );\n", "main", port);
}

static struct config *
load_ok(const struct tree *t)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_load(t->main, err, sizeof(err));

	if (cfg == NULL)
		fail_msg("%s", err);
	return cfg;
}

/* Refused, with err exactly want (a format over the tree's paths). */
static void
load_refused(const struct tree *t, const char *want)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_load(t->main, err, sizeof(err));

	if (cfg != NULL) {
		config_free(cfg);
		fail_msg("loaded; wanted: %s", want);
	}
	assert_string_equal(err, want);
}

static void
dropin_names_test(void **state)
{
	static const char *const wanted[] = { "a.conf", "50-finger.conf", "x.y.conf" };
	static const char *const skipped[] = {
		".conf", ".a.conf", "a.conf~", "a~.conf", "a.conf.dpkg-old", "a.conf.dpkg-dist",
		"a.dpkg-new.conf", "a.conf.ucf-dist", "a.ucf-old.conf", "README", "a.conf.swp",
		".a.conf.swp", "a.cnf", "conf", "a.conf.bak", "a.CONF",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(*wanted); i++)
		if (!config_dropin_wanted(wanted[i]))
			fail_msg("%s skipped", wanted[i]);
	for (size_t i = 0; i < sizeof(skipped) / sizeof(*skipped); i++)
		if (config_dropin_wanted(skipped[i]))
			fail_msg("%s loaded", skipped[i]);
}

/* Main file first, then the drop-ins in name order, leftovers skipped; each service knows its file. */
static void
dropin_load_order_test(void **state)
{
	struct tree t;
	char want[PATH_MAX];

	(void)state;
	tree_make(&t);
	main_with_dropins(&t, 7001);
	put(t.dropins, "b.conf", "services = ( " ECHO_AT " );\n", "b", 7003);
	put(t.dropins, "a.conf", "services = ( " ECHO_AT ", " ECHO_AT " );\n", "a1", 7002, "a2", 7012);
	/* what an editor and dpkg leave behind: loaded, each would clash */
	put(t.dropins, "b.conf.dpkg-old", "services = ( " ECHO_AT " );\n", "b", 7003);
	put(t.dropins, "a.conf~", "services = ( " ECHO_AT " );\n", "a1", 7002);
	put(t.dropins, ".b.conf.swp", "garbage");
	put(t.dropins, "README", "not a drop-in");
	struct config *cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 4);
	assert_string_equal(cfg->services[0].name, "main");
	assert_string_equal(cfg->services[0].file, t.main);
	assert_string_equal(cfg->services[1].name, "a1");
	assert_string_equal(cfg->services[2].name, "a2");
	assert_string_equal(cfg->services[3].name, "b");
	snprintf(want, sizeof(want), "%s/b.conf", t.dropins);
	assert_string_equal(cfg->services[3].file, want);
	assert_int_equal(cfg->services[3].port, 7003);
	/* the include_dir the file named relatively is the main file's neighbour */
	assert_string_equal(cfg->include_dir, t.dropins);
	config_free(cfg);

	/* an empty directory: the main file's services alone */
	rm_tree(t.dropins);
	assert_int_equal(mkdir(t.dropins, 0755), 0);
	cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 1);
	config_free(cfg);
	/* with include_dir the main file may leave every service to the drop-ins */
	put(t.dir, "netsrv.conf", "include_dir = \"%s\";\nworkers = 2;\n", t.dropins);
	put(t.dropins, "only.conf", "services = ( " ECHO_AT " );\n", "only", 7004);
	cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 1);
	assert_int_equal(cfg->services[0].workers, 2);	/* the main file's globals hold */
	config_free(cfg);
	rm_tree(t.dir);
}

/* What is wrong across files names both; what is wrong in a drop-in names it and its line. */
static void
dropin_errors_test(void **state)
{
	struct tree t;
	char want[1024];

	(void)state;
	tree_make(&t);
	main_with_dropins(&t, 7001);
	put(t.dropins, "a.conf", "services = (\n " ECHO_AT " );\n", "a", 7002);
	put(t.dropins, "b.conf", "services = (\n\n " ECHO_AT " );\n", "a", 7003);
	snprintf(want, sizeof(want), "%s/b.conf:3: duplicate service name \"a\" (first defined at %s/a.conf:2)",
	    t.dropins, t.dropins);
	load_refused(&t, want);
	put(t.dropins, "b.conf", "services = (\n " ECHO_AT " );\n", "main", 7003);
	snprintf(want, sizeof(want), "%s/b.conf:2: duplicate service name \"main\" (first defined at %s:3)",
	    t.dropins, t.main);
	load_refused(&t, want);
	put(t.dropins, "b.conf", "services = (\n " ECHO_AT " );\n", "b", 7002);
	snprintf(want, sizeof(want),
	    "%s/b.conf:2: service \"b\": tcp 127.0.0.1 port 7002 overlaps service \"a\" (tcp 127.0.0.1 port 7002, %s/a.conf:2)",
	    t.dropins, t.dropins);
	load_refused(&t, want);
	/* globals belong to the main file */
	put(t.dropins, "b.conf", "workers = 9;\nservices = ( " ECHO_AT " );\n", "b", 7003);
	snprintf(want, sizeof(want),
	    "%s/b.conf:1: \"workers\" in a drop-in: a drop-in holds only a \"services\" list (global settings belong in %s)",
	    t.dropins, t.main);
	load_refused(&t, want);
	/* cut short: an empty or a missing list */
	put(t.dropins, "b.conf", "services = ( );\n");
	snprintf(want, sizeof(want), "%s/b.conf:1: empty \"services\" list: nothing to serve (is the file truncated?)",
	    t.dropins);
	load_refused(&t, want);
	put(t.dropins, "b.conf", "# nothing yet\n");
	snprintf(want, sizeof(want), "%s/b.conf: no \"services\" list: a drop-in holds one (is the file empty or truncated?)",
	    t.dropins);
	load_refused(&t, want);
	/* libconfig's own errors, and a service's, name the drop-in */
	put(t.dropins, "b.conf", "services = (\n { name = \"b\" protocol = \"tcp\"; } );\n");
	char err[CONFIG_ERR_MAX];
	assert_null(config_load(t.main, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/b.conf:2: ", t.dropins);
	assert_memory_equal(err, want, strlen(want));
	put(t.dropins, "b.conf", "services = (\n { name = \"b\"; protocol = \"tcp\"; port = 7; handler = \"ecoh\"; } );\n");
	snprintf(want, sizeof(want), "%s/b.conf:2: service \"b\": unknown handler \"ecoh\"", t.dropins);
	assert_null(config_load(t.main, err, sizeof(err)));
	assert_memory_equal(err, want, strlen(want));
	put(t.dropins, "b.conf", "services = (\n { name = \"b\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; } );\n@include \"x\"\n");
	snprintf(want, sizeof(want), "%s/b.conf:3: @include is not supported", t.dropins);
	assert_null(config_load(t.main, err, sizeof(err)));
	assert_memory_equal(err, want, strlen(want));
	unlink(want);
	/* the text's guards hold in a drop-in: a NUL byte inside is refused, not read as the end */
	snprintf(want, sizeof(want), "%s/b.conf", t.dropins);
	FILE *f = fopen(want, "w");
	assert_non_null(f);
	assert_int_equal(fwrite("services = ( );\0\n", 1, 17, f), 17);
	assert_int_equal(fclose(f), 0);
	assert_null(config_load(t.main, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/b.conf: not a text file (NUL byte)", t.dropins);
	assert_string_equal(err, want);
	/* the directory itself */
	rm_tree(t.dropins);
	snprintf(want, sizeof(want), "%s: include_dir %s: No such file or directory", t.main, t.dropins);
	load_refused(&t, want);
	h_write_file(t.dropins, "a file\n");
	snprintf(want, sizeof(want), "%s: include_dir %s: Not a directory", t.main, t.dropins);
	load_refused(&t, want);
	rm_tree(t.dir);
}

/* Anything but a regular file under a drop-in's name is refused by name, never waited on or recursed into. */
static void
dropin_hostile_files_test(void **state)
{
	struct tree t;
	char path[PATH_MAX], want[PATH_MAX + 128];

	(void)state;
	tree_make(&t);
	main_with_dropins(&t, 7001);
	snprintf(path, sizeof(path), "%s/f.conf", t.dropins);
	assert_int_equal(mkfifo(path, 0644), 0);	/* a FIFO nobody writes: opened O_NONBLOCK, refused */
	snprintf(want, sizeof(want), "%s: cannot read drop-in: not a regular file", path);
	load_refused(&t, want);
	unlink(path);
	assert_int_equal(symlink("/dev/zero", path), 0);	/* endless: refused before the first read */
	load_refused(&t, want);
	unlink(path);
	assert_int_equal(symlink("nowhere.conf", path), 0);
	snprintf(want, sizeof(want), "%s: cannot read drop-in: No such file or directory", path);
	load_refused(&t, want);
	unlink(path);
	assert_int_equal(symlink("f.conf", path), 0);	/* a link to itself */
	snprintf(want, sizeof(want), "%s: cannot read drop-in: Too many levels of symbolic links", path);
	load_refused(&t, want);
	unlink(path);
	/* a directory under a drop-in's name, and one that loops back: never entered */
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(want, sizeof(want), "%s: cannot read drop-in: Is a directory", path);
	load_refused(&t, want);
	rmdir(path);
	assert_int_equal(symlink(".", path), 0);
	load_refused(&t, want);
	unlink(path);
	/* a symlink to a regular file is how sysadmins enable a file: it loads */
	put(t.dir, "finger.available", "services = ( " ECHO_AT " );\n", "linked", 7005);
	assert_int_equal(symlink("../finger.available", path), 0);
	struct config *cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, 2);
	assert_string_equal(cfg->services[1].name, "linked");
	config_free(cfg);
	unlink(path);
	/* unreadable: only meaningful where permissions bind (root reads anything) */
	put(t.dropins, "secret.conf", "services = ( " ECHO_AT " );\n", "secret", 7006);
	snprintf(path, sizeof(path), "%s/secret.conf", t.dropins);
	assert_int_equal(chmod(path, 0), 0);
	if (geteuid() != 0) {
		snprintf(want, sizeof(want), "%s: cannot read drop-in: Permission denied", path);
		load_refused(&t, want);
	} else {
		print_message("skipped the unreadable drop-in: root reads a mode 000 file\n");
	}
	rm_tree(t.dir);
}

/* 10,000 drop-ins load as one configuration, and leave no descriptor behind. */
static void
dropin_ten_thousand_test(void **state)
{
	enum { N = 10000 };
	struct tree t;
	char name[32];

	(void)state;
	tree_make(&t);
	main_with_dropins(&t, 7001);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%05d.conf", i);
		put(t.dropins, name, "services = ( { name = \"s%05d\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; enabled = false; } );\n",
		    i, 1 + i);
	}
	int fds = count_own_fds();
	struct config *cfg = load_ok(&t);
	assert_int_equal(cfg->nservices, N + 1);
	assert_string_equal(cfg->services[1].name, "s00000");
	assert_string_equal(cfg->services[N].name, "s09999");
	config_free(cfg);
	assert_int_equal(count_own_fds(), fds);
	/* the last one wrong: the error still names it */
	put(t.dropins, "09999.conf", "services = ( " ECHO_AT " );\n", "s00000", 7002);
	char err[CONFIG_ERR_MAX];
	assert_null(config_load(t.main, err, sizeof(err)));
	assert_non_null(strstr(err, "/09999.conf:1: duplicate service name \"s00000\""));
	assert_int_equal(count_own_fds(), fds);
	rm_tree(t.dir);
}

/* The real daemon: a reload serves a drop-in added, keeps serving through a broken one, stops one removed. */
static void
dropin_reload_test(void **state)
{
	struct daemon *d = *state;
	int ps = h_free_port(), pa = h_free_port(), pb = h_free_port();
	char dir[200], path[300];

	snprintf(dir, sizeof(dir), "%s/conf.d", d->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	h_write_conf(d, "include_dir = \"%s\";\nservices = (\n"
	    " { name = \"st\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; },\n"
	    " { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n",
	    dir, ps, pa);
	h_start_serving(d, pa);
	assert_int_equal(h_connect("127.0.0.1", pb, 1000), -1);

	put(dir, "b.conf", "services = ( { name = \"b\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n", pb);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 1, 5000), 1);
	assert_true(h_echo("127.0.0.1", pb, "dropped in", 10, 3000));

	/* a broken drop-in: the reload is refused, both keep serving */
	put(dir, "c.conf", "services = ( { name = \"b\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; } );\n");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"failed\"}", H_EQUAL, 1, 5000), 1);
	assert_true(h_echo("127.0.0.1", pb, "still here", 10, 3000));
	assert_true(h_echo("127.0.0.1", pa, "main too", 8, 3000));

	/* both gone: b's port closes, a serves on */
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/b.conf", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	assert_int_equal(h_wait_metric(ps, "netsrvd_reloads_total{result=\"ok\"}", H_EQUAL, 2, 5000), 2);
	assert_int_equal(h_connect("127.0.0.1", pb, 1000), -1);
	assert_true(h_echo("127.0.0.1", pa, "main on", 7, 3000));
	assert_int_equal(rmdir(dir), 0);
}

/* -t reads the drop-ins too, and says which one is wrong. */
static void
dropin_check_option_test(void **state)
{
	struct daemon *d = *state;
	char dir[200], out[2048], want[400];

	snprintf(dir, sizeof(dir), "%s/conf.d", d->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	h_write_conf(d, "include_dir = \"%s\";\n", dir);
	put(dir, "x.conf", "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"ecoh\"; } );\n");
	const char *argv[] = { h_netsrvd(), "-t", "-c", d->conf, NULL };
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 78);
	snprintf(want, sizeof(want), "%s/x.conf:2: service \"x\": unknown handler \"ecoh\"", dir);
	if (strstr(out, want) == NULL)
		fail_msg("-t said: %s", out);
	put(dir, "x.conf", "services = (\n { name = \"x\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = 7; handler = \"echo\"; } );\n");
	assert_int_equal(h_run(argv, out, sizeof(out), 5000), 0);
	snprintf(want, sizeof(want), "%s/x.conf", dir);
	assert_int_equal(unlink(want), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dropin_names_test),
		cmocka_unit_test(dropin_load_order_test),
		cmocka_unit_test(dropin_errors_test),
		cmocka_unit_test(dropin_hostile_files_test),
		cmocka_unit_test(dropin_ten_thousand_test),
		cmocka_unit_test_setup_teardown(dropin_reload_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(dropin_check_option_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("dropin", tests, NULL, NULL);
}
