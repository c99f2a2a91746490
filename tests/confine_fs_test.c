/* The filesystem view of a service's workers and programs (confine.c), through the real daemon: exec-probe says what a confined program sees, the host's mountinfo that nothing leaked. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
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

#include "confine.h"
#include "harness.h"

static char out[65536];
static char mounts_before[65536];


/* The keys need root (the loader refuses them otherwise): say so and skip. */
static void
need_root(void)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root (a mount namespace and a chroot are root's; CI runs as root)\n");
		skip();
	}
}

/* Asserts a line of the probe's reply, showing the whole reply and the log when it is not there. */
static void
expect(struct daemon *d, const char *reply, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
expect(struct daemon *d, const char *reply, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!h_has_line(reply, line)) {
		print_error("expected the line \"%s\" in the program's reply:\n%s\n", line, reply);
		h_fail_with_log(d, "the program saw something else");
	}
}

/* exec-probe's fs mode over one connection: the commands sent, the reply read to its "end". */
static const char *
ask(struct daemon *d, int port, const char *cmds)
{
	int fd = h_connect("127.0.0.1", port, 2000);
	ssize_t n;

	assert_true(fd >= 0);
	assert_true(h_write_all(fd, cmds, strlen(cmds)));
	shutdown(fd, SHUT_WR);
	n = h_read_all(fd, out, sizeof(out) - 1, 5000);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	if (!h_has_line(out, "end")) {
		print_error("the program's reply: %s\n", out);
		h_fail_with_log(d, "the program did not finish its commands");
	}
	return out;
}

/* The first option (ro or rw) of the mount at mount point mp in a mountinfo text, or "" if none. */
static const char *
first_option(const char *mountinfo, const char *mp)
{
	static char opts[256];
	char m[4096], o[256];

	opts[0] = '\0';
	for (const char *p = mountinfo; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (sscanf(p, "%*s %*s %*s %*s %4095s %255s", m, o) == 2 && strcmp(m, mp) == 0)
			snprintf(opts, sizeof(opts), "%.*s", (int)strcspn(o, ","), o);	/* the last: it hides those below */
	return opts;
}

static void
mkdir_in(const char *dir, const char *name, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
	assert_int_equal(mkdir(path, 0755), 0);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
read_mountinfo(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * A mount on the host now that was not there before, at a place the
 * daemon mounts on: / (remounted), the test's directory, the tmp and home
 * directories. Other mounts the machine makes meanwhile are not ours.
 */
static bool
host_untouched(const char *dir)
{
	static const char *const ours[] = { "/", "/tmp", "/var/tmp", "/root", "/home", "/run/user",
	    "/usr", "/etc", "/boot", "/efi", "/dev", "/proc", "/sys", NULL };
	static char now[65536];
	bool clean = true;
	char line[4096], mp[4096];

	read_mountinfo(now, sizeof(now));
	for (const char *p = now; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		bool mine = false;

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		p += n + (p[n] == '\n');
		if (strstr(mounts_before, line) != NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		mine = strncmp(mp, dir, strlen(dir)) == 0;
		for (size_t i = 0; ours[i] != NULL; i++)
			mine = mine || strcmp(mp, ours[i]) == 0;
		if (mine) {
			print_error("a mount the daemon made is on the host: %s\n", line);
			clean = false;
		}
	}
	return clean;
}

/* where the tests' programs try to write outside their view (/tmp's: netsrvd-fs-test.PID) */
static const char *const stray[] = { "/usr/netsrvd-fs-test", "/etc/netsrvd-fs-test", "/root/netsrvd-fs-test" };

static int
fs_setup(void **state)
{
	read_mountinfo(mounts_before, sizeof(mounts_before));
	return h_fixture_setup(state);
}

/* After every test: the daemon stopped, the host's mount table has nothing of it. */
static int
fs_teardown(void **state)
{
	struct daemon *d = *state;
	char dir[sizeof(d->dir)];
	int rc;

	snprintf(dir, sizeof(dir), "%s", d->dir);
	rc = h_fixture_teardown(state);
	/* what an unconfined program would have left (the tests fail then, and say so) */
	for (size_t i = 0; i < sizeof(stray) / sizeof(stray[0]); i++)
		if (unlink(stray[i]) == 0)
			print_error("removed %s: a program wrote it, unconfined\n", stray[i]);
	for (int i = 0; i < 2; i++) {
		char tmp[128];

		snprintf(tmp, sizeof(tmp), "%s/netsrvd-fs-test.%ld", i == 0 ? "/tmp" : "/var/tmp", (long)getpid());
		if (unlink(tmp) == 0)
			print_error("removed %s: a program wrote it, unconfined\n", tmp);
	}
	return host_untouched(dir) ? rc : -1;
}

/* One TCP exec service running exec-probe fs on port, with the keys in extra. */
static void
conf_probe(struct daemon *d, int port, const char *extra)
{
	h_write_conf(d, "shutdown_timeout = 1;\n"
	    "log = { level = \"info\"; };\n"
	    "services = (\n"
	    " { name = \"probe\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\", \"fs\" ]; %s } );\n", port, h_exec_probe(), extra);
}

static void
start(struct daemon *d)
{
	h_start(d, NULL);
	if (!h_wait_log(d, "started:", 20000))
		h_fail_with_log(d, "the daemon did not start");
}

/* ---- read_only_paths, read_write_paths -------------------------------------- */

/* A read-write path inside a read-only one stays writable; mountinfo shows both as the program sees them. */
static void
confine_fs_read_only_paths_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char data[256], rw[256], extra[1024], cmds[2048];
	const char *r;

	need_root();
	mkdir_in(d->dir, "data", data, sizeof(data));
	mkdir_in(data, "rw", rw, sizeof(rw));
	snprintf(extra, sizeof(extra), "read_only_paths = [ \"%s\" ]; read_write_paths = [ \"%s\" ];", data, rw);
	conf_probe(d, port, extra);
	start(d);
	snprintf(cmds, sizeof(cmds), "write %s/f\nwrite %s/f\nwrite %s/free\nmountinfo\n", data, rw, d->dir);
	r = ask(d, port, cmds);
	expect(d, r, "write %s/f errno=EROFS", data);
	expect(d, r, "write %s/f ok", rw);
	expect(d, r, "write %s/free ok", d->dir);
	assert_string_equal(first_option(r, data), "ro");
	assert_string_equal(first_option(r, rw), "rw");
	/* the program's writes are the host's: the same files, seen through other mounts */
	snprintf(cmds, sizeof(cmds), "%s/f", rw);
	assert_true(exists(cmds));
	snprintf(cmds, sizeof(cmds), "%s/f", data);
	assert_false(exists(cmds));
	/* and the host's own mount table has none of them */
	assert_true(host_untouched(d->dir));
}

/* ---- protect_system ---------------------------------------------------------- */

/* "strict": all of / read-only but /dev, /proc, /sys and the read-write paths; "full": /usr, /etc... only. */
static void
confine_fs_protect_system_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), port2 = h_free_port();
	char rw[256], cmds[2048];
	const char *r;

	need_root();
	mkdir_in(d->dir, "rw", rw, sizeof(rw));
	h_write_conf(d, "shutdown_timeout = 1;\nlog = { level = \"info\"; };\nservices = (\n"
	    " { name = \"strict\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\", \"fs\" ]; protect_system = \"strict\";\n"
	    "   read_write_paths = [ \"%s\" ]; },\n"
	    " { name = \"full\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"%s\", \"fs\" ]; protect_system = \"full\"; } );\n",
	    port, h_exec_probe(), rw, port2, h_exec_probe());
	start(d);
	snprintf(cmds, sizeof(cmds), "write /usr/netsrvd-fs-test\nwrite /etc/netsrvd-fs-test\n"
	    "write %s/x\nwrite %s/x\nwrite /dev/null\nmountinfo\n", d->dir, rw);
	r = ask(d, port, cmds);
	expect(d, r, "write /usr/netsrvd-fs-test errno=EROFS");
	expect(d, r, "write /etc/netsrvd-fs-test errno=EROFS");
	expect(d, r, "write %s/x errno=EROFS", d->dir);
	expect(d, r, "write %s/x ok", rw);
	expect(d, r, "write /dev/null ok");
	assert_string_equal(first_option(r, "/"), "ro");
	assert_string_equal(first_option(r, rw), "rw");

	snprintf(cmds, sizeof(cmds), "write /usr/netsrvd-fs-test\nwrite /etc/netsrvd-fs-test\nwrite %s/y\n",
	    d->dir);
	r = ask(d, port2, cmds);
	expect(d, r, "write /usr/netsrvd-fs-test errno=EROFS");
	expect(d, r, "write /etc/netsrvd-fs-test errno=EROFS");
	expect(d, r, "write %s/y ok", d->dir);
	assert_false(exists("/usr/netsrvd-fs-test"));
	assert_false(exists("/etc/netsrvd-fs-test"));
}

/* ---- inaccessible_paths ------------------------------------------------------ */

/* A directory: empty and read-only; a file: empty and read-only. */
static void
confine_fs_inaccessible_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char secret[256], file[256], inside[300], extra[1024], cmds[2048];
	const char *r;

	need_root();
	mkdir_in(d->dir, "secret", secret, sizeof(secret));
	snprintf(inside, sizeof(inside), "%s/inside", secret);
	h_write_file(inside, "the directory's secret\n");
	snprintf(file, sizeof(file), "%s/secret.txt", d->dir);
	h_write_file(file, "the file's secret\n");
	snprintf(extra, sizeof(extra), "inaccessible_paths = [ \"%s\", \"%s\" ];", secret, file);
	conf_probe(d, port, extra);
	start(d);
	snprintf(cmds, sizeof(cmds), "ls %s\ncat %s\nwrite %s/new\ncat %s\nwrite %s\n", secret, inside, secret,
	    file, file);
	r = ask(d, port, cmds);
	expect(d, r, "ls %s:", secret);
	expect(d, r, "cat %s errno=ENOENT", inside);
	expect(d, r, "write %s/new errno=EROFS", secret);
	expect(d, r, "cat %s: ", file);
	expect(d, r, "write %s errno=EROFS", file);
}

/* ---- private_tmp --------------------------------------------------------------- */

/* A tmpfs of the worker's own on /tmp and /var/tmp: the host's files unseen, the program's not on the host. */
static void
confine_fs_private_tmp_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char host_file[256], mine[128], cmds[2048];
	const char *r;

	need_root();
	if (strncmp(h_exec_probe(), "/tmp/", 5) == 0 || strncmp(h_exec_probe(), "/var/tmp/", 9) == 0) {
		print_message("skipped: exec-probe is built under /tmp (%s), which private_tmp hides from the "
		    "worker\n", h_exec_probe());
		skip();
	}
	snprintf(host_file, sizeof(host_file), "%s/on-the-host", d->dir);
	h_write_file(host_file, "the host's\n");
	snprintf(mine, sizeof(mine), "netsrvd-fs-test.%ld", (long)getpid());
	conf_probe(d, port, "private_tmp = true;");
	start(d);
	snprintf(cmds, sizeof(cmds), "ls /tmp\nls /var/tmp\ncat %s\nwrite /tmp/%s\nwrite /var/tmp/%s\nmountinfo\n",
	    host_file, mine, mine);
	r = ask(d, port, cmds);
	expect(d, r, "ls /tmp:");
	expect(d, r, "ls /var/tmp:");
	expect(d, r, "cat %s errno=ENOENT", host_file);
	expect(d, r, "write /tmp/%s ok", mine);
	expect(d, r, "write /var/tmp/%s ok", mine);
	snprintf(cmds, sizeof(cmds), "/tmp/%s", mine);
	assert_false(exists(cmds));
	snprintf(cmds, sizeof(cmds), "/var/tmp/%s", mine);
	assert_false(exists(cmds));
	/* one namespace per worker: its next program finds what the last one left (workers = 1) */
	r = ask(d, port, "ls /tmp\n");
	expect(d, r, "ls /tmp: %s", mine);
}

/* ---- protect_home -------------------------------------------------------------- */

static void
confine_fs_protect_home_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	const char *r;
	char host[4096];

	need_root();
	conf_probe(d, port, "protect_home = true;");
	start(d);
	r = ask(d, port, "ls /root\nwrite /root/netsrvd-fs-test\nls /home\n");
	expect(d, r, "ls /root:");
	expect(d, r, "write /root/netsrvd-fs-test errno=EROFS");
	expect(d, r, "ls /home:");
	assert_false(exists("/root/netsrvd-fs-test"));
	/* what the program did not see: the host's /root as the test sees it */
	const char *const argv[] = { "/bin/sh", "-c", "ls -A /root | wc -l", NULL };
	if (h_run(argv, host, sizeof(host), 5000) == 0)
		print_message("the host's /root has %d entries the program did not see%s\n", atoi(host),
		    atoi(host) == 0 ? " (none: the test proves less here)" : "");
}

/* ---- chroot --------------------------------------------------------------------- */

/* exec-probe and what ldd says it loads, copied into root at the same paths. */
static void
build_chroot(struct daemon *d, const char *root)
{
	char cmd[8192];
	const char *const argv[] = { "/bin/sh", "-c", cmd, NULL };
	int n;

	n = snprintf(cmd, sizeof(cmd), "set -e; cp '%s' '%s/exec-probe'; "
	    "for l in $(ldd '%s' | grep -o '/[^ ]*'); do mkdir -p \"%s$(dirname $l)\"; cp -L \"$l\" \"%s$l\"; done; "
	    "mkdir '%s/data' '%s/data/rw'; echo 'in the chroot' > '%s/marker.txt'",
	    h_exec_probe(), root, h_exec_probe(), root, root, root, root, root);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	if (h_run(argv, out, sizeof(out), 20000) != 0)
		h_fail_with_log(d, out);
}

/* The program runs inside the service's chroot, with the filesystem keys' paths under it. */
static void
confine_fs_chroot_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port(), port2 = h_free_port();
	char root[256], tmp[300], extra[1024], cmds[1024], host[512];
	const char *r;

	need_root();
	mkdir_in(d->dir, "root", root, sizeof(root));
	build_chroot(d, root);
	/* private_tmp too, its /tmp the chroot's: proved wherever the build is (the other test needs it off /tmp) */
	mkdir_in(root, "tmp", tmp, sizeof(tmp));
	snprintf(host, sizeof(host), "%s/on-the-host", tmp);
	h_write_file(host, "the chroot's /tmp, as the host has it\n");
	snprintf(extra, sizeof(extra), "chroot = \"%s\"; read_only_paths = [ \"/data\" ]; "
	    "read_write_paths = [ \"/data/rw\" ]; private_tmp = true;", root);
	/* the second: a chroot alone needs no namespace, and the program is inside all the same */
	h_write_conf(d, "shutdown_timeout = 1;\nlog = { level = \"info\"; };\nservices = (\n"
	    " { name = \"probe\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"/exec-probe\", \"fs\" ]; %s },\n"
	    " { name = \"plain\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"exec\";\n"
	    "   workers = 1; command = [ \"/exec-probe\", \"fs\" ]; chroot = \"%s\"; } );\n",
	    port, extra, port2, root);
	start(d);
	snprintf(cmds, sizeof(cmds), "cat /marker.txt\nls %s\nwrite /data/x\nwrite /data/rw/x\nls /tmp\n"
	    "write /tmp/mine\n", d->dir);
	r = ask(d, port, cmds);
	expect(d, r, "cat /marker.txt: in the chroot");
	expect(d, r, "ls /tmp:");
	expect(d, r, "write /tmp/mine ok");
	snprintf(host, sizeof(host), "%s/mine", tmp);
	assert_false(exists(host));
	expect(d, r, "ls %s errno=ENOENT", d->dir);
	expect(d, r, "write /data/x errno=EROFS");
	expect(d, r, "write /data/rw/x ok");
	snprintf(host, sizeof(host), "%s/data/rw/x", root);
	assert_true(exists(host));
	r = ask(d, port2, "cat /marker.txt\nwrite /data/x\nls /tmp\n");
	expect(d, r, "cat /marker.txt: in the chroot");
	expect(d, r, "write /data/x ok");
	expect(d, r, "ls /tmp: on-the-host");
}

/* ---- built-in workers ------------------------------------------------------------ */

/*
 * Each worker of d's master in its own view: / read-only, a tmpfs of its
 * own on /tmp (as it sees them: /proc/PID/mountinfo is relative to the
 * worker's root), and root, if not NULL, that root.
 */
static void
workers_see_strict_and_tmp(struct daemon *d, const char *root)
{
	pid_t kids[8];
	int n = h_children(d->pid, kids, 8);

	assert_true(n >= 1);
	for (int i = 0; i < n; i++) {
		char path[64], where[512];
		struct stat seen, want;
		FILE *f;
		size_t len;
		ssize_t w;

		snprintf(path, sizeof(path), "/proc/%ld/mountinfo", (long)kids[i]);
		if ((f = fopen(path, "re")) == NULL)
			continue;	/* gone meanwhile */
		len = fread(out, 1, sizeof(out) - 1, f);
		out[len] = '\0';
		fclose(f);
		assert_string_equal(first_option(out, "/"), "ro");
		assert_string_equal(first_option(out, "/tmp"), "rw");
		assert_non_null(strstr(out, " /tmp rw,nosuid,nodev"));
		/*
		 * Its root is root's directory: compared by device and inode, as
		 * readlink names a root in another mount namespace from the
		 * host's / when the test runs chrooted (check-fresh).
		 */
		snprintf(path, sizeof(path), "/proc/%ld/root/", (long)kids[i]);
		if (root != NULL && stat(path, &seen) == 0) {
			assert_int_equal(stat(root, &want), 0);
			if (seen.st_dev != want.st_dev || seen.st_ino != want.st_ino) {
				w = readlink(path, where, sizeof(where) - 1);
				where[w > 0 ? w : 0] = '\0';
				fail_msg("worker %ld's root is %s, not %s", (long)kids[i], where, root);
			}
		}
	}
}

/* echo, with its own view built before its seccomp filter (which allows no mount), still serves. */
static void
confine_fs_builtin_echo_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();

	need_root();
	h_write_conf(d, "shutdown_timeout = 1;\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 2; protect_system = \"strict\"; protect_home = true; private_tmp = true; } );\n", port);
	h_start_serving(d, port);
	assert_true(h_echo("127.0.0.1", port, "confined echo\n", 14, 5000));
	workers_see_strict_and_tmp(d, NULL);
	assert_false(h_log_contains(d, "error"));
}

/* The global chroot stays the built-in workers' root, and the keys' paths are under it. */
static void
confine_fs_builtin_global_chroot_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char root[256], tmp[300];

	need_root();
	mkdir_in(d->dir, "root", root, sizeof(root));
	mkdir_in(root, "tmp", tmp, sizeof(tmp));
	h_write_conf(d, "shutdown_timeout = 1;\nchroot = \"%s\";\nservices = (\n"
	    " { name = \"echo\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = %d; handler = \"echo\";\n"
	    "   workers = 2; protect_system = \"strict\"; private_tmp = true; } );\n", root, port);
	h_start_serving(d, port);
	assert_true(h_echo("127.0.0.1", port, "chrooted echo\n", 14, 5000));
	workers_see_strict_and_tmp(d, root);
}

/* ---- a mount that fails ------------------------------------------------------------- */

/*
 * A path there at load (the loader checks that) and gone when a worker
 * starts: the new worker says which path and why, once, and exits; the
 * master lives on (and backs off its respawns). A path the loader can
 * see is wrong (under private_tmp's /tmp, missing) is refused before.
 */
static void
confine_fs_mount_error_test(void **state)
{
	struct daemon *d = *state;
	int port = h_free_port();
	char secret[256], extra[512], want[512];
	pid_t w[4];

	need_root();
	mkdir_in(d->dir, "secret", secret, sizeof(secret));
	snprintf(extra, sizeof(extra), "inaccessible_paths = [ \"%s\" ];", secret);
	conf_probe(d, port, extra);
	start(d);
	assert_true(h_wait_children(d->pid, 1, 10000));
	assert_int_equal(h_children(d->pid, w, 4), 1);
	assert_int_equal(rmdir(secret), 0);
	assert_int_equal(kill(w[0], SIGKILL), 0);
	snprintf(want, sizeof(want), "service probe: filesystem path %s: No such file or directory", secret);
	if (!h_wait_log(d, want, 10000))
		h_fail_with_log(d, "the worker did not say which mount failed");
	assert_true(h_pid_alive(d->pid));
}

/* ---- confine_filesystem itself, in a child of the test --------------------------- */

/* 0 if a byte could be written to a new file at path, else the errno */
static int
write_errno(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int e = fd == -1 ? errno : 0;

	if (fd != -1)
		close(fd);
	return e;
}

struct child_case {
	struct confine_conf c;
	const char *root;
	const char *paths[4];	/* written to, in the child's view */
	int want[4];		/* each one's errno (0: written) */
};

/* In a child: the view built, then each write as the case wants; the exit status says which failed (1 + i). */
static int
run_case(struct child_case *k)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (confine_filesystem("unit", &k->c, k->root) == -1)
			_exit(100);
		for (int i = 0; i < 4 && k->paths[i] != NULL; i++)
			if (write_errno(k->paths[i]) != k->want[i])
				_exit(1 + i);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* read-only, read-write inside it, read-only again inside that; a path named in both lists stays read-only */
static void
confine_fs_nested_layers_test(void **state)
{
	struct daemon *d = *state;
	char a[256], b[256], c[256], both[256], f[4][300];
	char *ro[] = { a, c, both }, *rw[] = { b, both };
	struct child_case k = { .c = { .mount_ns = true, .read_only_paths = { ro, 3 },
	    .read_write_paths = { rw, 2 } } };

	need_root();
	mkdir_in(d->dir, "a", a, sizeof(a));
	mkdir_in(a, "b", b, sizeof(b));
	mkdir_in(b, "c", c, sizeof(c));
	mkdir_in(d->dir, "both", both, sizeof(both));
	snprintf(f[0], sizeof(f[0]), "%s/x", a);
	snprintf(f[1], sizeof(f[1]), "%s/x", b);
	snprintf(f[2], sizeof(f[2]), "%s/x", c);
	snprintf(f[3], sizeof(f[3]), "%s/x", both);
	for (int i = 0; i < 4; i++)
		k.paths[i] = f[i];
	k.want[0] = EROFS, k.want[1] = 0, k.want[2] = EROFS, k.want[3] = EROFS;
	assert_int_equal(run_case(&k), 0);
}

/* In a chroot, an absolute symbolic link points into the chroot, not at the host's path of that name. */
static void
confine_fs_chroot_symlink_test(void **state)
{
	struct daemon *d = *state;
	char root[256], real[256], link[300];
	char *ro[] = { "/link" };
	struct child_case k = { .c = { .mount_ns = true, .read_only_paths = { ro, 1 } },
	    .paths = { "/real/x", "/free" }, .want = { EROFS, 0 } };

	need_root();
	mkdir_in(d->dir, "root", root, sizeof(root));
	mkdir_in(root, "real", real, sizeof(real));
	snprintf(link, sizeof(link), "%s/link", root);
	assert_int_equal(symlink("/real", link), 0);
	assert_false(exists("/real"));	/* on the host, the link would lead nowhere */
	k.c.chroot = root;
	k.root = root;
	assert_int_equal(run_case(&k), 0);
	snprintf(link, sizeof(link), "%s/free", root);
	assert_true(exists(link));
}

/* A path the sysadmin named that is not there: -1 (and the line that says so), no namespace made. */
static void
confine_fs_missing_path_test(void **state)
{
	struct daemon *d = *state;
	char gone[256];
	char *ro[] = { gone };
	struct child_case k = { .c = { .mount_ns = true, .read_only_paths = { ro, 1 } } };

	need_root();
	snprintf(gone, sizeof(gone), "%s/not-there", d->dir);
	assert_int_equal(run_case(&k), 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(confine_fs_read_only_paths_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_protect_system_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_inaccessible_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_private_tmp_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_protect_home_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_chroot_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_builtin_echo_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_builtin_global_chroot_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_mount_error_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_nested_layers_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_chroot_symlink_test, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(confine_fs_missing_path_test, fs_setup, fs_teardown),
	};

	h_test_filter();
	return cmocka_run_group_tests_name("confine_fs", tests, NULL, NULL);
}
