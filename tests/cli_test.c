/* The command line and startup failures, run on the built binary. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static char out[65536];

static int
run_netsrvd(const char *a1, const char *a2, const char *a3, const char *a4)
{
	const char *argv[] = { h_netsrvd(), a1, a2, a3, a4, NULL };

	return h_run(argv, out, sizeof(out), 10000);
}

static void
cli_version_help_test(void **state)
{
	(void)state;
	assert_int_equal(run_netsrvd("-V", NULL, NULL, NULL), 0);
	assert_string_equal(out, "netsrvd " PACKAGE_VERSION "\n");
	assert_int_equal(run_netsrvd("--version", NULL, NULL, NULL), 0);
	assert_int_equal(run_netsrvd("-h", NULL, NULL, NULL), 0);
	assert_non_null(strstr(out, "usage: netsrvd [-f] [-t [--explain NAME]] [-s] [-c FILE] [-p FILE] [-V] [-h]"));
	assert_int_equal(run_netsrvd("--help", NULL, NULL, NULL), 0);
}

static void
cli_usage_errors_test(void **state)
{
	(void)state;
	assert_int_equal(run_netsrvd("-x", NULL, NULL, NULL), 64);
	assert_non_null(strstr(out, "unknown option -x"));
	assert_int_equal(run_netsrvd("--bogus", NULL, NULL, NULL), 64);
	assert_non_null(strstr(out, "unknown option --bogus"));
	assert_int_equal(run_netsrvd("-c", NULL, NULL, NULL), 64);
	assert_non_null(strstr(out, "needs an argument"));
	assert_int_equal(run_netsrvd("-t", "extra", NULL, NULL), 64);
	assert_non_null(strstr(out, "unexpected argument \"extra\""));
}

/*
 * -t --explain: the sandbox a service would get, from the file as loaded.
 * The file system keys need root to load; the rest is checked everywhere.
 */
static void
cli_explain_test(void **state)
{
	struct daemon *d = *state;
	bool root = geteuid() == 0;
	const char *argv[] = { h_netsrvd(), "-t", "--explain", "x", "-c", d->conf, NULL };
	const char *other[] = { h_netsrvd(), "-t", "--explain", "nope", "-c", d->conf, NULL };
	const char *alone[] = { h_netsrvd(), "--explain", "x", "-c", d->conf, NULL };

	h_write_conf(d, "services = ( { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\";\n"
	    " command = [ \"/bin/cat\", \"-u\" ]; limits = { files = 64; }; max_runtime = 30;\n"
	    " no_new_privileges = true; syscall_filter = \"system-service\"; %s } );\n",
	    root ? "capabilities = [ \"CAP_NET_BIND_SERVICE\", \"cap_chown\" ];\n"
	    " protect_system = \"strict\"; read_write_paths = [ \"/var/lib\" ]; private_tmp = true;" : "");
	assert_int_equal(h_run(argv, out, sizeof(out), 10000), 0);
	assert_non_null(strstr(out, "service x: exec, tcp port 7\n"));
	assert_non_null(strstr(out, "  no_new_privs:     yes\n"));
	assert_non_null(strstr(out, "  system calls:     programs (and their workers): systemd's @system-service"));
	assert_non_null(strstr(out, "  program:          /bin/cat -u\n"));
	assert_non_null(strstr(out, "  limits:           files=64 max_runtime=30s\n"));
	assert_non_null(strstr(out, "  cgroup:           netsrvd's; a program's process group is killed"));
	if (root) {
		assert_non_null(strstr(out, "  bounding set:     CAP_CHOWN CAP_NET_BIND_SERVICE\n"));
		assert_non_null(strstr(out, "    read-only:      / but /dev /proc /sys (protect_system = \"strict\")\n"));
		assert_non_null(strstr(out, "    read-write:     /var/lib\n"));
		assert_non_null(strstr(out, "    private:        /tmp /var/tmp (private_tmp)\n"));
	} else
		assert_non_null(strstr(out, "  bounding set:     every capability (none dropped)\n"));
	/* a built-in service: its workers' own nice and umask, and no program line */
	h_write_conf(d, "services = ( { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	    " nice = 5; umask = \"0077\"; } );\n");
	assert_int_equal(h_run(argv, out, sizeof(out), 10000), 0);
	assert_non_null(strstr(out, "service x: echo, tcp port 7\n"));
	assert_non_null(strstr(out, "  worker:           nice=5 umask=0077\n"));
	assert_null(strstr(out, "  program:"));
	assert_int_equal(h_run(other, out, sizeof(out), 10000), 64);
	assert_non_null(strstr(out, "has no service \"nope\""));
	assert_int_equal(h_run(alone, out, sizeof(out), 10000), 64);
	assert_non_null(strstr(out, "--explain needs -t"));
}

/* The shipped example must pass -t as shipped, and a broken copy must not. */
static void
cli_test_shipped_config_test(void **state)
{
	struct daemon *d = *state;
	char path[512], broken[512], cmd[1200];

	snprintf(path, sizeof(path), "%s/etc/netsrv.conf", h_srcdir());
	assert_int_equal(run_netsrvd("-t", "-c", path, NULL), 0);
	assert_non_null(strstr(out, "configuration OK"));
	snprintf(path, sizeof(path), "%s/etc/netsrv-run.conf", h_srcdir());
	assert_int_equal(run_netsrvd("-t", "-c", path, NULL), 0);

	/* the same file with a typo in a handler name */
	snprintf(broken, sizeof(broken), "%s/broken.conf", d->dir);
	snprintf(cmd, sizeof(cmd), "sed 's/handler = \"echo\"/handler = \"ecoh\"/' '%s' > '%s'",
	    path, broken);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run_netsrvd("-t", "-c", broken, NULL), 78);
	snprintf(cmd, sizeof(cmd), "netsrvd: %s:", broken);
	assert_non_null(strstr(out, cmd));
	assert_non_null(strstr(out, "unknown handler \"ecoh\""));
	/* truncated to nothing */
	h_write_file(broken, "");
	assert_int_equal(run_netsrvd("-t", "-c", broken, NULL), 78);
	assert_non_null(strstr(out, "no \"services\" list"));
	/* missing */
	assert_int_equal(run_netsrvd("-t", "-c", "/nonexistent/netsrv.conf", NULL), 78);
	assert_non_null(strstr(out, "/nonexistent/netsrv.conf: cannot read configuration: No such file or directory"));
	/* not starting either */
	assert_int_equal(run_netsrvd("-f", "-c", "/nonexistent/netsrv.conf", NULL), 78);
}

/* Every service disabled passes -t with a warning (a safe default); an empty list is a truncated file. */
static void
cli_test_all_disabled_test(void **state)
{
	struct daemon *d = *state;

	h_write_conf(d, "services = (\n"
	    " { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; enabled = false; } );\n");
	assert_int_equal(run_netsrvd("-t", "-c", d->conf, NULL), 0);
	assert_non_null(strstr(out, "warning: every service has enabled = false: nothing would be served"));
	assert_non_null(strstr(out, "configuration OK"));
	h_write_conf(d, "services = ();\n");
	assert_int_equal(run_netsrvd("-t", "-c", d->conf, NULL), 78);
	assert_non_null(strstr(out, ":1: empty \"services\" list"));
	/* one enabled: no warning */
	h_write_conf(d, "services = (\n"
	    " { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; } );\n");
	assert_int_equal(run_netsrvd("-t", "-c", d->conf, NULL), 0);
	assert_null(strstr(out, "warning"));
}

/* -t refuses an integer libconfig would wrap (4294988303 is port 21007 to it): 78, file and line. */
static void
cli_test_integer_wrap_test(void **state)
{
	struct daemon *d = *state;
	char want[400];

	h_write_conf(d, "workers = 2;\nservices = ( { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\";\n"
	    "  port = 4294988303; handler = \"echo\"; } );\n");
	assert_int_equal(run_netsrvd("-t", "-c", d->conf, NULL), 78);
	snprintf(want, sizeof(want), "netsrvd: %s:3: \"port\" is 4294988303, out of range 1-65535\n", d->conf);
	assert_string_equal(out, want);
	h_write_conf(d, "workers = 4294967298;\nservices = ( { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; } );\n");
	assert_int_equal(run_netsrvd("-t", "-c", d->conf, NULL), 78);
	snprintf(want, sizeof(want), "netsrvd: %s:1: \"workers\" is 4294967298, out of range 1-4096\n", d->conf);
	assert_string_equal(out, want);
}

/* A relative -c works, and errors name the file as given. */
static void
cli_relative_config_test(void **state)
{
	struct daemon *d = *state;
	char cwd[512];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	h_write_conf(d, "services = ( { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; } );\n");
	assert_int_equal(chdir(d->dir), 0);
	int rc = run_netsrvd("-t", "-c", "netsrv.conf", NULL);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "netsrv.conf: configuration OK\n");
}

/*
 * Startup fails only when no service could bind: exit 71, each cause
 * named, nothing left behind. One of two down is a daemon that serves
 * the other (status_test).
 */
static void
cli_bind_conflict_test(void **state)
{
	struct daemon *d = *state;
	int p1 = h_free_port(), p2 = h_free_port();
	int busy1 = h_listen_tcp(p1), busy2 = h_bind_loopback(SOCK_DGRAM, p2);
	char want[200];

	assert_true(busy2 >= 0);
	h_write_conf(d, "services = (\n"
	    " { name = \"first\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; },\n"
	    " { name = \"off\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; enabled = false; },\n"
	    " { name = \"second\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; } );\n",
	    p1, h_free_port(), p2);
	pid_t pid = h_start(d, NULL);
	int st = h_wait_exit(pid, 5000);
	d->pid = 0;
	close(busy1);
	close(busy2);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 71);
	snprintf(want, sizeof(want), "service first: cannot bind tcp 127.0.0.1:%d: Address already in use", p1);
	assert_true(h_log_contains(d, want));
	snprintf(want, sizeof(want), "service second: cannot bind udp 127.0.0.1:%d: Address already in use", p2);
	assert_true(h_log_contains(d, want));
	assert_true(h_log_contains(d, "no service could bind (2 enabled)"));
	assert_int_equal(access(d->pidfile, F_OK), -1);
}

/* A second instance on the same pid file is refused and the first keeps serving. */
static void
cli_second_instance_test(void **state)
{
	struct daemon *d = *state;
	struct daemon d2;
	int port = h_free_port(), port2 = h_free_port();
	char want[600];

	h_write_conf(d, "services = ( { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n", port);
	h_start_serving(d, port);
	assert_true(h_wait_log(d, "started:", 3000));

	h_setup(&d2);
	h_write_conf(&d2, "services = ( { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; } );\n", port2);
	snprintf(d2.pidfile, sizeof(d2.pidfile), "%s", d->pidfile);
	pid_t pid2 = h_start(&d2, NULL);
	int st = h_wait_exit(pid2, 5000);
	d2.pid = 0;
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 71);
	snprintf(want, sizeof(want), "pid file %s is locked: netsrvd is already running as pid %ld",
	    d->pidfile, (long)d->pid);
	assert_true(h_log_contains(&d2, want));
	h_cleanup(&d2);

	assert_true(h_echo("127.0.0.1", port, "still here", 10, 2000));
	FILE *f = fopen(d->pidfile, "r");
	long pid = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_int_equal(pid, d->pid);
	assert_int_equal(h_stop(d), 0);
	assert_int_equal(access(d->pidfile, F_OK), -1);
}

/* A pid file left by a dead process is taken over. */
static void
cli_stale_pidfile_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();

	h_write_file(d->pidfile, "999999\n");
	h_write_conf(d, "services = ( { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n", port);
	h_start_serving(d, port);
	assert_true(h_wait_log(d, "started:", 3000));
	FILE *f = fopen(d->pidfile, "r");
	long pid = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_int_equal(pid, d->pid);
	assert_int_equal(h_stop(d), 0);
}

/* A pid file where anyone may create files is refused: anyone could hold its lock. */
static void
cli_pidfile_public_directory_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char dir[200], want[400];

	snprintf(dir, sizeof(dir), "%s/public", d->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	snprintf(d->pidfile, sizeof(d->pidfile), "%s/netsrvd.pid", dir);
	h_write_conf(d, "services = ( { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 1; } );\n", port);
	pid_t pid = h_start(d, NULL);
	int st = h_wait_exit(pid, 5000);
	d->pid = 0;
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 71);
	snprintf(want, sizeof(want), "directory %s is writable by everyone", dir);
	assert_true(h_log_contains(d, want));
	assert_int_equal(access(d->pidfile, F_OK), -1);
}

/* Without -f: detaches after binding, the starter exits 0 once serving, the pid file names the daemon. */
static void
cli_daemonize_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char logpath[300];
	long pid = 0;

	snprintf(logpath, sizeof(logpath), "%s/netsrvd.log", d->dir);
	h_write_conf(d, "log = { target = \"%s\"; };\n"
	    "services = ( { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; } );\n",
	    logpath, port);
	const char *argv[] = { h_netsrvd(), "-c", d->conf, "-p", d->pidfile, NULL };
	assert_int_equal(h_run(argv, out, sizeof(out), 10000), 0);
	FILE *f = fopen(d->pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_true(pid > 1);
	d->pid = (pid_t)pid;	/* so the teardown kills it if we fail */
	assert_true(h_pid_alive((pid_t)pid));
	assert_true(h_echo("127.0.0.1", port, "detached", 8, 2000));
	assert_true(h_wait_children((pid_t)pid, 2, 2000));

	/* a session leader in /, with stdin on /dev/null */
	char link[300], path[64];
	snprintf(path, sizeof(path), "/proc/%ld/cwd", pid);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, "/");
	snprintf(path, sizeof(path), "/proc/%ld/fd/0", pid);
	n = readlink(path, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, "/dev/null");
	assert_int_equal(getsid((pid_t)pid), (pid_t)pid);

	kill((pid_t)pid, SIGTERM);
	assert_true(h_wait_gone((pid_t)pid, 10000));
	d->pid = 0;
	assert_int_equal(access(d->pidfile, F_OK), -1);
}

/* Asking for a user change without being root fails at startup, not in every worker. */
static void
cli_user_needs_root_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();

	if (geteuid() == 0) {
		print_message("skipped: runs only as non-root (as root the drop works; master_test checks it)\n");
		skip();
	}
	h_write_conf(d, "user = \"root\";\nservices = ( { name = \"e\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; } );\n", port);
	pid_t pid = h_start(d, NULL);
	int st = h_wait_exit(pid, 5000);
	d->pid = 0;
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 71);
	assert_true(h_log_contains(d, "not running as root"));
}

/* -t on an exec service of user nobody whose program is dir/prog, dir having mode and group gid. */
static int
check_program_in(struct daemon *d, const char *dir, mode_t mode, gid_t gid)
{
	assert_int_equal(chown(dir, 0, gid), 0);
	assert_int_equal(chmod(dir, mode), 0);
	return run_netsrvd("-t", "-c", d->conf, NULL);
}

/*
 * A program in a directory its user cannot search would fail every
 * connection with "Permission denied": -t says so first, naming the
 * directory, and decides as the kernel will (owner, group, then others:
 * a group that matches and has no x refuses, whatever the others may).
 */
static void
cli_test_command_dir_search_test(void **state)
{
	struct daemon *d = *state;
	const struct passwd *pw = getpwnam("nobody");
	char dir[300], prog[320], want[1024];

	if (geteuid() != 0 || pw == NULL) {
		print_message("skipped: runs only as root, with a user nobody (it makes files nobody cannot reach)\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/private", d->dir);
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	h_write_file(prog, "#!/bin/sh\nexit 0\n");
	assert_int_equal(chmod(prog, 0755), 0);
	h_write_conf(d, "services = ( { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\";\n"
	    "  user = \"nobody\"; command = [ \"%s\" ]; } );\n", prog);

	assert_int_equal(check_program_in(d, dir, 0700, 0), 78);
	snprintf(want, sizeof(want), "command %s: directory %s (mode 0700) cannot be searched by user nobody", prog, dir);
	if (strstr(out, want) == NULL)
		fail_msg("expected \"%s\" in:\n%s", want, out);
	/* search alone is enough */
	assert_int_equal(check_program_in(d, dir, 0711, 0), 0);
	/* nobody's group decides when it is the directory's */
	assert_int_equal(check_program_in(d, dir, 0710, pw->pw_gid), 0);
	assert_int_equal(check_program_in(d, dir, 0701, pw->pw_gid), 78);
	assert_non_null(strstr(out, "(mode 0701) cannot be searched by user nobody"));
	/* and root searches anything */
	h_write_conf(d, "services = ( { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\";\n"
	    "  command = [ \"%s\" ]; } );\n", prog);
	assert_int_equal(check_program_in(d, dir, 0700, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli_version_help_test),
		cmocka_unit_test(cli_usage_errors_test),
		cmocka_unit_test_setup_teardown(cli_explain_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_test_all_disabled_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_test_shipped_config_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_test_integer_wrap_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_test_command_dir_search_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_relative_config_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_bind_conflict_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_second_instance_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_stale_pidfile_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_pidfile_public_directory_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_daemonize_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(cli_user_needs_root_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
