/* The shipped systemd unit, its settings applied as closely as we can without systemd: built-in services and real programs are all served under it. */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "accesslog.h"
#include "harness.h"

static char out[65536];

/* ---- the unit file ------------------------------------------------------------ */

/* What the test takes from the [Service] section. */
struct unit {
	char bounding[1024];	/* setpriv --bounding-set argument; "" = not restricted */
	bool nnp;		/* NoNewPrivileges=yes */
	char protect_system[16];
	bool protect_home, private_tmp, tunables, modules, logs, cgroups;
};

/* The settings systemd applies with seccomp alone: nothing here can emulate them. */
static const char *const program_breaking_filters[] = {
	"SystemCallFilter", "MemoryDenyWriteExecute", "RestrictAddressFamilies",
	"RestrictNamespaces", "RestrictSUIDSGID", "SystemCallArchitectures",
};

static bool
yes(const char *v)
{
	return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "on") == 0;
}

/* "CAP_NET_BIND_SERVICE CAP_KILL" -> "-all,+net_bind_service,+kill" */
static void
bounding_from_list(const char *list, char *b, size_t len)
{
	char copy[1024];

	snprintf(copy, sizeof(copy), "%s", list);
	snprintf(b, len, "-all");
	for (char *t = strtok(copy, " "); t != NULL; t = strtok(NULL, " ")) {
		size_t n = strlen(b);
		if (strncasecmp(t, "CAP_", 4) == 0)
			t += 4;
		snprintf(b + n, len - n, ",+");
		for (n = strlen(b); *t != '\0' && n + 1 < len; t++)
			b[n++] = (char)tolower((unsigned char)*t);
		b[n] = '\0';
	}
}

/* What systemd drops from the bounding set for a setting (systemd.exec(5)). */
static void
drop_implied(char *b, size_t len, const char *caps)
{
	size_t n = strlen(b);

	snprintf(b + n, len - n, "%s%s", n > 0 ? "," : "", caps);
}

/* The generated unit, or $UNIT_FILE (to try another one). */
static void
read_unit(struct unit *u)
{
	const char *path = getenv("UNIT_FILE");
	char def[512], line[2048];
	bool service = false;
	FILE *f;

	if (path == NULL) {
		snprintf(def, sizeof(def), "%s/init/netsrvd.service",
		    getenv("TOP_BUILDDIR") != NULL ? getenv("TOP_BUILDDIR") : ".");
		path = def;
	}
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("%s: %s (make builds it)", path, strerror(errno));
	memset(u, 0, sizeof(*u));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *eq, *v;

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '[')
			service = strcmp(line, "[Service]") == 0;
		if (!service || line[0] == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		for (size_t i = 0; i < sizeof(program_breaking_filters) / sizeof(program_breaking_filters[0]); i++)
			if (strcmp(line, program_breaking_filters[i]) == 0)
				fail_msg("%s: %s=%s applies to every program netsrvd runs", path, line, v);
		if (strcmp(line, "CapabilityBoundingSet") == 0)
			bounding_from_list(v, u->bounding, sizeof(u->bounding));
		else if (strcmp(line, "NoNewPrivileges") == 0)
			u->nnp = yes(v);
		else if (strcmp(line, "ProtectSystem") == 0)
			snprintf(u->protect_system, sizeof(u->protect_system), "%s", v);
		else if (strcmp(line, "ProtectHome") == 0)
			u->protect_home = yes(v);
		else if (strcmp(line, "PrivateTmp") == 0)
			u->private_tmp = yes(v);
		else if (strcmp(line, "ProtectKernelTunables") == 0)
			u->tunables = yes(v);
		else if (strcmp(line, "ProtectKernelModules") == 0 && yes(v))
			u->modules = true;
		else if (strcmp(line, "ProtectKernelLogs") == 0 && yes(v))
			u->logs = true;
		else if (strcmp(line, "ProtectControlGroups") == 0)
			u->cgroups = yes(v);
		else if (strcmp(line, "ProtectClock") == 0 && yes(v))
			drop_implied(u->bounding, sizeof(u->bounding), "-sys_time,-wake_alarm");
		else if (strcmp(line, "PrivateDevices") == 0 && yes(v))
			drop_implied(u->bounding, sizeof(u->bounding), "-mknod,-sys_rawio");
	}
	fclose(f);
	if (u->modules)
		drop_implied(u->bounding, sizeof(u->bounding), "-sys_module");
	if (u->logs)
		drop_implied(u->bounding, sizeof(u->bounding), "-syslog");
	print_message("%s: setpriv%s%s%s; ProtectSystem=%s ProtectHome=%d PrivateTmp=%d "
	    "ProtectKernelTunables=%d ProtectKernelModules=%d ProtectKernelLogs=%d ProtectControlGroups=%d\n",
	    path, u->bounding[0] ? " --bounding-set " : "", u->bounding, u->nnp ? " --no-new-privs" : "",
	    u->protect_system[0] ? u->protect_system : "no", u->protect_home, u->private_tmp,
	    u->tunables, u->modules, u->logs, u->cgroups);
}

/* ---- the filesystem settings, in the daemon's own mount namespace ------------ */

/* In the child: any failure ends it with 120 + step, which the test reports. */
static void
must(bool ok, int step)
{
	if (!ok) {
		/* stderr is the daemon's log by now: the test prints it */
		dprintf(2, "unit_test: mount namespace step %d: %s\n", step, strerror(errno));
		_exit(120 + step);
	}
}

static void
set_readonly(const char *path, bool ro)
{
	struct mount_attr a = { 0 };
	struct stat st;

	if (stat(path, &st) == -1)
		return;	/* not on this host */
	must(mount(path, path, NULL, MS_BIND | MS_REC, NULL) == 0, 1);
	if (ro)
		a.attr_set = MOUNT_ATTR_RDONLY;
	else
		a.attr_clr = MOUNT_ATTR_RDONLY;
	must(mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &a, sizeof(a)) == 0, 2);
}

/* As systemd's InaccessiblePaths=: an empty read-only node in its place. */
static void
make_inaccessible(const char *path, const char *empty_file)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode))
		must(mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=000") == 0, 3);
	else
		must(mount(empty_file, path, NULL, MS_BIND, NULL) == 0, 4);
}

/* PrivateTmp=: a new /tmp (and /var/tmp); the test's own directory is carried over. */
static void
private_tmp(const char *keep)
{
	int fd = open_tree(AT_FDCWD, keep, OPEN_TREE_CLONE | AT_RECURSIVE);

	must(fd >= 0, 5);
	must(mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == 0, 6);
	make_inaccessible("/var/tmp", "/dev/null");
	must(mkdir(keep, 0755) == 0, 7);
	must(move_mount(fd, "", AT_FDCWD, keep, MOVE_MOUNT_F_EMPTY_PATH) == 0, 8);
	close(fd);
}

/*
 * The unit's filesystem settings as systemd.exec(5) describes them, in a
 * mount namespace of the daemon's own. The test's directory stands for
 * what the unit leaves writable (RuntimeDirectory= for the pid file, the
 * services' own data), so it stays writable.
 */
static void
apply_filesystem(const struct unit *u, const char *dir)
{
	char empty[300];
	const char *ps = u->protect_system;

	snprintf(empty, sizeof(empty), "%s/.inaccessible", dir);
	must(unshare(CLONE_NEWNS) == 0, 9);
	/*
	 * None of our mounts may reach the host's namespace. In a chroot (CI
	 * in a fresh root, whose namespace is private already) "/" is no mount
	 * of its own and refuses the change with EINVAL: nothing to do then.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		must(errno == EINVAL, 10);
	if (u->private_tmp)
		private_tmp(dir);
	if (strcmp(ps, "strict") == 0) {
		set_readonly("/", true);
		set_readonly("/dev", false);
		set_readonly("/proc", false);
		set_readonly("/sys", false);
	} else if (yes(ps) || strcmp(ps, "full") == 0) {
		set_readonly("/usr", true);
		set_readonly("/boot", true);
		set_readonly("/efi", true);
		if (strcmp(ps, "full") == 0)
			set_readonly("/etc", true);
	}
	if (u->tunables) {
		const char *const ro[] = { "/proc/sys", "/proc/sysrq-trigger", "/proc/latency_stats",
			"/proc/acpi", "/proc/timer_stats", "/proc/asound", "/proc/bus", "/proc/fs",
			"/proc/irq", "/sys" };
		for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
			set_readonly(ro[i], true);
	}
	if (u->cgroups)
		set_readonly("/sys/fs/cgroup", true);
	if (u->modules) {
		make_inaccessible("/usr/lib/modules", empty);
		make_inaccessible("/lib/modules", empty);
	}
	if (u->logs) {
		make_inaccessible("/proc/kmsg", empty);
		make_inaccessible("/dev/kmsg", empty);
	}
	if (u->protect_home) {
		make_inaccessible("/home", empty);
		make_inaccessible("/root", empty);
		make_inaccessible("/run/user", empty);
	}
	set_readonly(dir, false);
}

/* ---- the daemon under it -------------------------------------------------------- */

static void
skip_unless_root_with(const char *const *tools, size_t n)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root (setpriv, a mount namespace; CI runs as root)\n");
		skip();
	}
	for (size_t i = 0; i < n; i++)
		if (access(tools[i], X_OK) != 0)
			fail_msg("%s is missing: build-aux/install-deps check installs it", tools[i]);
}

/* netsrvd -f under setpriv with the unit's capability settings; the mount namespace first when fs. */
static void
start_under(struct daemon *d, const struct unit *u, bool fs)
{
	const char *argv[16];
	int n = 0;
	pid_t pid;

	argv[n++] = "/usr/bin/setpriv";
	if (u->bounding[0] != '\0') {
		argv[n++] = "--bounding-set";
		argv[n++] = u->bounding;
	}
	if (u->nnp)
		argv[n++] = "--no-new-privs";
	argv[n++] = "--";
	argv[n++] = h_netsrvd();
	argv[n++] = "-f";
	argv[n++] = "-c";
	argv[n++] = d->conf;
	argv[n++] = "-p";
	argv[n++] = d->pidfile;
	argv[n] = NULL;
	if (fs) {
		char empty[300];
		snprintf(empty, sizeof(empty), "%s/.inaccessible", d->dir);
		h_write_file(empty, "");
		assert_int_equal(chmod(empty, 0), 0);
	}
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd == -1 || dup2(fd, 2) == -1 || dup2(fd, 1) == -1)
			_exit(127);
		setpgid(0, 0);
		if (fs)
			apply_filesystem(u, d->dir);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	d->pid = pid;
	if (!h_wait_log(d, "started:", 10000)) {
		int st = h_wait_exit(pid, 100);
		if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) >= 120 && WEXITSTATUS(st) < 127)
			fail_msg("setting up the unit's mount namespace failed at step %d", WEXITSTATUS(st) - 120);
		h_fail_with_log(d, "the daemon did not start under the unit's settings");
	}
}

/* ---- what must be served --------------------------------------------------------- */

static int
run_sh(const char *cmd, int timeout_ms)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	return h_run(argv, out, sizeof(out), timeout_ms);
}

static void
expect_builtins(struct daemon *d, int echo, int daytime, int status)
{
	char buf[8192];
	ssize_t n;
	int fd;

	if (!h_echo("127.0.0.1", echo, "under the unit", 14, 5000))
		h_fail_with_log(d, "echo not served");
	fd = h_connect("127.0.0.1", daytime, 5000);
	assert_true(fd >= 0);
	n = h_read_all(fd, buf, sizeof(buf) - 1, 5000);
	close(fd);
	if (n <= 2 || buf[n - 1] != '\n')
		h_fail_with_log(d, "daytime not served");
	fd = h_connect("127.0.0.1", status, 5000);
	assert_true(fd >= 0);
	assert_true(h_write_all(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25));
	n = h_read_all(fd, buf, sizeof(buf) - 1, 5000);
	close(fd);
	if (n <= 0)
		h_fail_with_log(d, "status /metrics not served");
	buf[n] = '\0';
	assert_non_null(strstr(buf, "200 OK"));
	assert_non_null(strstr(buf, "netsrvd_"));
}

static const char *
builtins_conf(int echo, int daytime, int status)
{
	static char text[1024];

	snprintf(text, sizeof(text),
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\"; workers = 2; user = \"nobody\"; },\n"
	    " { name = \"daytime\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"daytime\"; workers = 1; user = \"nobody\"; },\n"
	    " { name = \"status\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"status\"; workers = 1; user = \"nobody\"; }",
	    echo, daytime, status);
	return text;
}

/*
 * The bounding set of the unit shipped before (no CAP_SETPCAP) with
 * no_new_privs, as the issue reproduced it: the built-in workers cannot
 * empty the set, prove it harmless instead, and serve.
 */
static void
unit_builtins_without_setpcap_test(void **state)
{
	struct daemon *d = *state;
	const char *tools[] = { "/usr/bin/setpriv" };
	int echo = h_free_port(), daytime = h_free_port(), status = h_free_port();
	struct unit u;

	skip_unless_root_with(tools, 1);
	memset(&u, 0, sizeof(u));
	snprintf(u.bounding, sizeof(u.bounding), "-all,+net_bind_service,+setuid,+setgid,+kill");
	u.nnp = true;
	h_write_conf(d, "services = (\n%s );\n", builtins_conf(echo, daytime, status));
	start_under(d, &u, false);
	expect_builtins(d, echo, daytime, status);
	assert_false(h_log_contains(d, "error"));
	assert_int_equal(h_stop(d), 0);
}

/* tftp root, rsync module and git repository in d->dir; their services into conf */
static void
prepare_programs(struct daemon *d, int tftp, int rsync, int git, char *conf, size_t len)
{
	char path[300], text[1024], cmd[2048];

	snprintf(path, sizeof(path), "%s/tftproot", d->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/tftproot/boot.txt", d->dir);
	h_write_file(path, "netboot image under the unit\n");
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/module", d->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/module/notes.txt", d->dir);
	h_write_file(path, "synced under the unit\n");
	snprintf(path, sizeof(path), "%s/rsyncd.conf", d->dir);
	snprintf(text, sizeof(text), "[mod]\npath = %s/module\nread only = yes\nuse chroot = yes\n"
	    "uid = nobody\ngid = nogroup\n", d->dir);
	h_write_file(path, text);
	snprintf(cmd, sizeof(cmd),
	    "set -e; export HOME='%s' GIT_CONFIG_NOSYSTEM=1; mkdir -p '%s/srv' && cd '%s' && "
	    "git init -q work && cd work && echo 'cloned under the unit' > README && "
	    "git add README && git -c user.name=t -c user.email=t@example.org commit -q -m first && "
	    "git clone -q --bare . '%s/srv/hello.git'", d->dir, d->dir, d->dir, d->dir);
	if (run_sh(cmd, 20000) != 0)
		fail_msg("setting up the repository: %s", out);
	snprintf(conf, len,
	    " { name = \"tftp\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   wait = true; command = [ \"/usr/sbin/in.tftpd\", \"--timeout\", \"1\", \"-s\", \"%s/tftproot\" ]; },\n"
	    " { name = \"rsync\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; max_runtime = 60; command = [ \"/usr/bin/rsync\", \"--daemon\", \"--config=%s/rsyncd.conf\" ]; },\n"
	    " { name = \"git\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; max_runtime = 60; env = [ \"HOME=%s\" ];\n"
	    "   command = [ \"/usr/lib/git-core/git-daemon\", \"--inetd\", \"--export-all\", \"--base-path=%s/srv\" ]; }",
	    tftp, d->dir, rsync, d->dir, git, d->dir, d->dir);
}

static void
expect_programs(struct daemon *d, int tftp, int rsync, int git)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd '%s' && tftp -m octet 127.0.0.1 %d -c get boot.txt got.txt && cat got.txt",
	    d->dir, tftp);
	if (run_sh(cmd, 20000) != 0 || strcmp(out, "netboot image under the unit\n") != 0)
		h_fail_with_log(d, "in.tftpd -s: the file was not fetched");
	snprintf(cmd, sizeof(cmd), "rsync -q rsync://127.0.0.1:%d/mod/notes.txt '%s/copy.txt' && cat '%s/copy.txt'",
	    rsync, d->dir, d->dir);
	if (run_sh(cmd, 30000) != 0 || strcmp(out, "synced under the unit\n") != 0)
		h_fail_with_log(d, "rsync --daemon with use chroot: the module was not fetched");
	snprintf(cmd, sizeof(cmd), "export HOME='%s' GIT_CONFIG_NOSYSTEM=1; git ls-remote git://127.0.0.1:%d/hello.git >/dev/null && "
	    "git clone -q git://127.0.0.1:%d/hello.git '%s/clone' && cat '%s/clone/README'",
	    d->dir, git, git, d->dir, d->dir);
	if (run_sh(cmd, 30000) != 0 || strcmp(out, "cloned under the unit\n") != 0)
		h_fail_with_log(d, "git-daemon: the repository was not cloned");
}

/*
 * The generated init/netsrvd.service: its capability settings through
 * setpriv, its filesystem settings in a mount namespace. Built-in
 * services and the programs a super-server runs (in.tftpd -s and rsync's
 * chroot, git-daemon) are all served.
 */
static void
unit_settings_serve_everything_test(void **state)
{
	struct daemon *d = *state;
	const char *tools[] = { "/usr/bin/setpriv", "/usr/sbin/in.tftpd", "/usr/bin/tftp",
		"/usr/bin/rsync", "/usr/bin/git", "/usr/lib/git-core/git-daemon" };
	int echo = h_free_port(), daytime = h_free_port(), status = h_free_port();
	int tftp = h_free_port(), rsync = h_free_port(), git = h_free_port();
	char programs[4096];
	struct unit u;

	skip_unless_root_with(tools, sizeof(tools) / sizeof(tools[0]));
	read_unit(&u);
	prepare_programs(d, tftp, rsync, git, programs, sizeof(programs));
	h_write_conf(d, "log = { connections = true; };\nservices = (\n%s,\n%s );\n",
	    builtins_conf(echo, daytime, status), programs);
	start_under(d, &u, true);
	expect_builtins(d, echo, daytime, status);
	expect_programs(d, tftp, rsync, git);
	assert_true(al_wait(d, "service=tftp program=*", NULL, 5000));
	assert_int_equal(h_stop(d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(unit_builtins_without_setpcap_test, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(unit_settings_serve_everything_test, h_fixture_setup, h_fixture_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("unit", tests, NULL, NULL);
}
