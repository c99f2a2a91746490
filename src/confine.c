/* A worker's filesystem view: a mount namespace of its own, layered as systemd.exec layers a unit's, then its chroot. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"
#include "log.h"
#include "sandbox.h"

/*
 * Per worker, not per program: the namespace is built once when a worker
 * starts, and every program it runs inherits it through clone(2), as it
 * inherits the worker's user. Built per connection instead, the same
 * unshare(CLONE_NEWNS), mounts and teardown would be paid by every
 * program: measured with bench/confine_fs_cost.c (1000 rounds of unshare,
 * these mounts, setns back, which frees the round's namespace as a
 * program's exit would; Linux 6.18, 2 busy cores, 20 host mounts):
 * unshare alone 0.09-0.25 ms a round; private_tmp 0.2-0.38 ms (0.14-0.20
 * ms of CPU); protect_system = "strict" with a read-write path, an
 * inaccessible directory, protect_home and private_tmp 0.4-0.76 ms
 * (0.33-0.41 of CPU), 0.53-1.0 ms with an inaccessible file too; and
 * "strict" grows with the host's mount count. Against a plain exec
 * connection's 5.7 ms of CPU (bench/README.md) that is up to 8% more CPU
 * and up to a millisecond more latency per connection, for nothing: the
 * programs of one service all get the same view, and a program without
 * CAP_SYS_ADMIN cannot change it for the next. What they share is the private /tmp: a file one leaves there
 * is seen by the worker's next programs (as a unit's processes share
 * their PrivateTmp=), not by other workers' nor the host.
 */

/*
 * One layer at one path. Strongest first: a path named twice keeps the
 * first of these (systemd's order); a deeper path beats a shallower one.
 */
enum layer { L_INACCESSIBLE, L_TMP, L_RO, L_RW };

struct entry {
	char path[PATH_MAX];	/* resolved: as this worker, not yet chrooted, sees it */
	enum layer layer;
};

struct plan {
	const char *service;
	int rootfd;		/* the program's / */
	int empty_fd;		/* a detached tmpfs holding "empty" (mode 000), made on first need; -1 */
	struct entry *e;
	size_t n;
};

/* Under root, symbolic links resolved within it (a chroot's absolute links point into the chroot). */
static int
resolve(const struct plan *p, const char *path, char *out)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	char link[64];
	int fd = (int)syscall(SYS_openat2, p->rootfd, path, &how, sizeof(how));
	ssize_t n;

	if (fd == -1)
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, PATH_MAX);
	close(fd);
	if (n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (n == -1)
		return -1;
	out[n] = '\0';
	return 0;
}

/* implicit: a path the key names for the sysadmin (protect_system's /boot): skipped where it is not */
static int
add(struct plan *p, const char *path, enum layer layer, bool implicit)
{
	struct entry *e = &p->e[p->n];

	if (resolve(p, path, e->path) == -1) {
		if (implicit && errno == ENOENT)
			return 0;
		log_error("service %s: filesystem path %s", p->service, path);
		return -1;
	}
	e->layer = layer;
	p->n++;
	return 0;
}

static int
add_list(struct plan *p, const struct config_strv *l, enum layer layer)
{
	for (size_t i = 0; i < l->n; i++)
		if (add(p, l->v[i], layer, false) == -1)
			return -1;
	return 0;
}

static int
add_implicit(struct plan *p, const char *const *paths, enum layer layer)
{
	for (; *paths != NULL; paths++)
		if (add(p, *paths, layer, true) == -1)
			return -1;
	return 0;
}

/* systemd's ProtectSystem=, ProtectHome=, PrivateTmp= tables */
static int
add_all(struct plan *p, const struct confine_conf *c)
{
	static const char *const full[] = { "/usr", "/boot", "/efi", "/etc", NULL };
	static const char *const strict_root[] = { "/", NULL };
	static const char *const strict_rw[] = { "/dev", "/proc", "/sys", NULL };
	static const char *const home[] = { "/home", "/root", "/run/user", NULL };
	static const char *const tmp[] = { "/tmp", "/var/tmp", NULL };

	if (c->protect == PROTECT_SYSTEM_FULL && add_implicit(p, full, L_RO) == -1)
		return -1;
	if (c->protect == PROTECT_SYSTEM_STRICT &&
	    (add_implicit(p, strict_root, L_RO) == -1 || add_implicit(p, strict_rw, L_RW) == -1))
		return -1;
	if (c->protect_home && add_implicit(p, home, L_INACCESSIBLE) == -1)
		return -1;
	if (c->private_tmp && add_implicit(p, tmp, L_TMP) == -1)
		return -1;
	return add_list(p, &c->read_only_paths, L_RO) == -1 ||
	    add_list(p, &c->read_write_paths, L_RW) == -1 ||
	    add_list(p, &c->inaccessible_paths, L_INACCESSIBLE) == -1 ? -1 : 0;
}

/* a parent before its children; at one path, the strongest layer first */
static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->path, y->path);

	return r != 0 ? r : (int)x->layer - (int)y->layer;
}

static void
sort_and_dedupe(struct plan *p)
{
	size_t out = 0;

	qsort(p->e, p->n, sizeof(*p->e), entry_cmp);
	for (size_t i = 0; i < p->n; i++)
		if (out == 0 || strcmp(p->e[out - 1].path, p->e[i].path) != 0)
			p->e[out++] = p->e[i];
	p->n = out;
}

/* path is dir or below it */
static bool
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int
mnt(const struct plan *p, const char *src, const char *path, const char *type, unsigned long flags,
    const char *data)
{
	const char *what = type != NULL ? type : (flags & MS_REMOUNT) ? "remount,ro" :
	    (flags & MS_PRIVATE) ? "make-rprivate" : "bind";

	if (mount(src, path, type, flags, data) == 0)
		return 0;
	log_error("service %s: mount %s on %s", p->service, what, path);
	return -1;
}

/* systemd's /run/systemd/inaccessible/reg, in a tmpfs that no path names */
static int
make_empty_file(struct plan *p)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	int fs, m = -1, f = -1;

	if ((fs = fsopen("tmpfs", FSOPEN_CLOEXEC)) == -1 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "000", 0) == -1 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == -1 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) == -1 ||
	    (f = openat(m, "empty", O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0)) == -1) {
		log_error("service %s: an empty tmpfs for inaccessible files", p->service);
		goto fail;
	}
	close(f);
	if (mount_setattr(m, "", AT_EMPTY_PATH, &ro, sizeof(ro)) == -1) {
		log_error("service %s: mount_setattr(MOUNT_ATTR_RDONLY) on the empty tmpfs", p->service);
		goto fail;
	}
	close(fs);
	p->empty_fd = m;
	return 0;
fail:
	if (m != -1)
		close(m);
	if (fs != -1)
		close(fs);
	return -1;
}

static int
empty_file_over(struct plan *p, const char *path)
{
	int t;

	if (p->empty_fd == -1 && make_empty_file(p) == -1)
		return -1;
	if ((t = open_tree(p->empty_fd, "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) == -1 ||
	    move_mount(t, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) == -1) {
		log_error("service %s: mount an empty file on %s", p->service, path);
		if (t != -1)
			close(t);
		return -1;
	}
	close(t);
	return 0;
}

/* the root of a mount (/, /proc): no bind needed to make it one */
static bool
mount_root(const char *path)
{
	struct statx sx;

	return statx(AT_FDCWD, path, AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/*
 * A read-only or read-write path becomes a mount of its own (a bind onto
 * itself, with what is mounted below it), so the read-only pass can tell
 * a read-write path inside a read-only one apart.
 */
static int
apply(struct plan *p, const struct entry *e)
{
	struct stat st;

	switch (e->layer) {
	case L_RO:
	case L_RW:
		return mount_root(e->path) ? 0 : mnt(p, e->path, e->path, NULL, MS_BIND | MS_REC, NULL);
	case L_TMP:
		return mnt(p, "tmpfs", e->path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	case L_INACCESSIBLE:
		if (stat(e->path, &st) == -1) {
			log_error("service %s: inaccessible path %s", p->service, e->path);
			return -1;
		}
		if (S_ISDIR(st.st_mode))
			return mnt(p, "tmpfs", e->path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			    "mode=000");
		return empty_file_over(p, e->path);
	}
	return 0;
}

/* the deepest layer over a mount point decides; none (outside every path): as it was */
static bool
read_only_at(const struct plan *p, const char *mp)
{
	const struct entry *best = NULL;

	for (size_t i = 0; i < p->n; i++)
		if (under(mp, p->e[i].path) && (best == NULL || strlen(p->e[i].path) > strlen(best->path)))
			best = &p->e[i];
	return best != NULL && (best->layer == L_RO || best->layer == L_INACCESSIBLE);
}

/* mountinfo's fifth field, its octal escapes (\040 for a space) undone */
static bool
mount_point(const char *line, char *out)
{
	char field[PATH_MAX];
	size_t o = 0;

	if (sscanf(line, "%*s %*s %*s %*s %4095s", field) != 1)
		return false;
	for (const char *s = field; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			out[o++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return true;
}

/* a bind remount changes this mount's flags only; the others it has are said again, or cleared */
static int
remount_read_only(const struct plan *p, const char *mp)
{
	static const struct { unsigned long st, ms; } keep[] = {
		{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
	struct statvfs sv;

	if (statvfs(mp, &sv) == -1) {
		if (errno == ENOENT)
			return 0;	/* a mount point deleted under its mount: nothing reaches it */
		log_error("service %s: statvfs %s", p->service, mp);
		return -1;
	}
	if (sv.f_flag & ST_RDONLY)
		return 0;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	return mnt(p, NULL, mp, NULL, flags, NULL);
}

/*
 * Every mount at or below a read-only path, the host's submounts included
 * (bind_remount_recursive in systemd's namespace.c), but those a deeper
 * read-write path or private tmp holds. mount_setattr(AT_RECURSIVE) would
 * do a subtree at once but cannot leave the read-write ones out.
 */
static int
make_read_only(const struct plan *p)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, mp[PATH_MAX];
	size_t len = 0;
	int rc = 0;

	if (f == NULL) {
		log_error("service %s: /proc/self/mountinfo", p->service);
		return -1;
	}
	while (rc == 0 && getline(&line, &len, f) != -1)
		if (mount_point(line, mp) && read_only_at(p, mp))
			rc = remount_read_only(p, mp);
	free(line);
	fclose(f);
	return rc;
}

static int
build_namespace(const char *service, const struct confine_conf *c, const char *root)
{
	struct plan p = { .service = service, .rootfd = -1, .empty_fd = -1 };
	size_t max = c->read_only_paths.n + c->read_write_paths.n + c->inaccessible_paths.n + 16;
	int rc = -1;

	if ((p.e = calloc(max, sizeof(*p.e))) == NULL) {
		log_errorx("service %s: out of memory", service);
		return -1;
	}
	if ((p.rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_error("service %s: %s", service, root);
		goto done;
	}
	if (add_all(&p, c) == -1)
		goto done;
	sort_and_dedupe(&p);
	if (unshare(CLONE_NEWNS) == -1) {
		log_error("service %s: unshare(CLONE_NEWNS)", service);
		goto done;
	}
	/* first: nothing mounted from here on propagates back to the host's namespace */
	if (mnt(&p, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		goto done;
	for (size_t i = 0; i < p.n; i++)
		if (apply(&p, &p.e[i]) == -1)
			goto done;
	rc = make_read_only(&p);
done:
	if (p.empty_fd != -1)
		close(p.empty_fd);
	if (p.rootfd != -1)
		close(p.rootfd);
	free(p.e);
	return rc;
}

int
confine_filesystem(const char *service, const struct confine_conf *c, const char *root)
{
	if (c->mount_ns && build_namespace(service, c, root != NULL ? root : "/") == -1)
		return -1;
	return root != NULL ? sandbox_chroot(root) : 0;
}
