/* cgroup v2: a cgroup per service and one per exec connection, killed whole when the connection ends. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "stats.h"
#include "util.h"

/* --- the host: where cgroup v2 is, and which cgroup we are in --------------- */

/*
 * Found once per process (the loader's check, then the master's setup):
 * after the master moved itself into I/master, /proc/self/cgroup says
 * I/master, and C must stay what it was.
 */
static struct {
	bool probed;
	int ok;				/* 0: usable; -1: why says why not */
	char why[PATH_MAX + 128];
	char mount[PATH_MAX];		/* the cgroup2 mount point */
	char self[PATH_MAX];		/* C */
	char controllers[256];		/* C's cgroup.controllers, one line */
	bool in_own_master;		/* we are in C/netsrvd.<ourpid>/master already (an upgrade's new image) */
} host;

/* mountinfo escapes a space, tab, newline and backslash as \ooo */
static void
unescape(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else
			*out++ = *s;
	}
	*out = '\0';
}

/* The first cgroup2 mount in /proc/self/mountinfo: its point and the cgroup it shows as its root. */
static int
find_mount(char *mnt, size_t mlen, char *root, size_t rlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[2 * PATH_MAX + 256];
	int found = -1;

	if (f == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		const char *sep = strstr(line, " - ");
		char *save = NULL, *tok;
		char *fields[5];
		int n = 0;

		if (sep == NULL || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		for (tok = strtok_r(line, " ", &save); tok != NULL && n < 5; tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 5)
			continue;
		unescape(fields[3]);
		unescape(fields[4]);
		snprintf(root, rlen, "%s", fields[3]);
		snprintf(mnt, mlen, "%s", fields[4]);
		found = 0;
	}
	fclose(f);
	return found;
}

/* Our v2 cgroup: /proc/self/cgroup's "0::" line. */
static int
find_own(char *path, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX];
	int found = -1;

	if (f == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, len, "%s", line + 3);
		found = 0;
	}
	fclose(f);
	return found;
}

static bool
is_dir_named(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL && strcmp(slash + 1, name) == 0;
}

/* C/netsrvd.<ourpid>/master: an upgrade's image of a master that had moved; C is two levels up. */
static void
undo_own_master(char *self)
{
	char inst[32];
	char *slash;

	snprintf(inst, sizeof(inst), "netsrvd.%ld", (long)getpid());
	if (!is_dir_named(self, "master"))
		return;
	slash = strrchr(self, '/');
	*slash = '\0';
	if (!is_dir_named(self, inst)) {
		*slash = '/';
		return;
	}
	*strrchr(self, '/') = '\0';
	host.in_own_master = true;
}

static int
probe(void)
{
	char root[PATH_MAX], own[PATH_MAX], procs[PATH_MAX + 16], ctl[PATH_MAX + 24];
	const char *rel;

	if (host.probed)
		return host.ok;
	host.probed = true;
	host.ok = -1;
	if (find_mount(host.mount, sizeof(host.mount), root, sizeof(root)) == -1) {
		snprintf(host.why, sizeof(host.why), "no cgroup v2 is mounted (no cgroup2 in /proc/self/mountinfo)");
		return -1;
	}
	if (find_own(own, sizeof(own)) == -1) {
		snprintf(host.why, sizeof(host.why), "no cgroup v2 line (0::) in /proc/self/cgroup");
		return -1;
	}
	/* the mount shows the hierarchy from root down (a cgroup namespace's, a bind mount's) */
	rel = own;
	if (strcmp(root, "/") != 0 && strncmp(own, root, strlen(root)) == 0)
		rel = own + strlen(root);
	if (strcmp(rel, "/") == 0)
		rel = "";
	if ((size_t)snprintf(host.self, sizeof(host.self), "%s%s", host.mount, rel) >= sizeof(host.self)) {
		snprintf(host.why, sizeof(host.why), "netsrvd's cgroup path is too long");
		return -1;
	}
	undo_own_master(host.self);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", host.self);
	if (access(host.self, W_OK) == -1 || access(procs, W_OK) == -1) {
		snprintf(host.why, sizeof(host.why), "netsrvd's cgroup %s is not writable by uid %ld (%s): "
		    "it needs a delegated cgroup v2 (systemd: Delegate=yes)", host.self, (long)geteuid(),
		    strerror(errno));
		return -1;
	}
	snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", host.self);
	if (util_read_small(ctl, host.controllers, sizeof(host.controllers)) == -1)
		host.controllers[0] = '\0';
	host.controllers[strcspn(host.controllers, "\n")] = '\0';
	host.ok = 0;
	return 0;
}

int
cgroup_host_check(char *why, size_t len)
{
	if (probe() == 0)
		return 0;
	snprintf(why, len, "%s", host.why);
	return -1;
}

const char *
cgroup_self_path(void)
{
	return host.probed && host.ok == 0 ? host.self : "";
}

static bool
has_controller(const char *name)
{
	size_t n = strlen(name);

	for (const char *p = host.controllers; *p != '\0'; p += strspn(p, " ")) {
		size_t w = strcspn(p, " ");
		if (w == n && strncmp(p, name, n) == 0)
			return true;
		p += w;
	}
	return false;
}

/* The limit keys, the controller each needs, the file it writes and its "unset" value. */
struct limit {
	const char *key, *controller, *file, *unset;
};
static const struct limit limits[] = {
	{ "memory_max", "memory", "memory.max", "max" },
	{ "pids_max", "pids", "pids.max", "max" },
	{ "cpu_weight", "cpu", "cpu.weight", "100" },
};
#define NLIMITS (sizeof(limits) / sizeof(limits[0]))

/* The value of limit i as the file takes it; false: unset. */
static bool
limit_value(const struct cgroup_conf *g, size_t i, char *buf, size_t len)
{
	long long v = i == 0 ? g->memory_max : i == 1 ? (long long)g->pids_max : (long long)g->cpu_weight;

	if (v == CONFINE_UNSET)
		return false;
	snprintf(buf, len, "%lld", v);
	return true;
}

int
cgroup_config_check(const struct service_config *s, char *why, size_t len)
{
	const struct cgroup_conf *g = &s->confine.cgroup;
	char v[32];

	if (!g->on)
		return 0;
	if (probe() == -1) {
		snprintf(why, len, "service \"%s\": cgroup: %s", s->name, host.why);
		return -1;
	}
	for (size_t i = 0; i < NLIMITS; i++)
		if (limit_value(g, i, v, sizeof(v)) && !has_controller(limits[i].controller)) {
			snprintf(why, len, "service \"%s\": cgroup %s: the %s controller is not available in %s/ "
			    "(cgroup.controllers %s%s)", s->name, limits[i].key, limits[i].controller, host.self,
			    host.controllers[0] != '\0' ? "has only: " : "has none", host.controllers);
			return -1;
		}
	return 0;
}

/* --- files ------------------------------------------------------------------ */

static int
write_at(int dirfd, const char *file, const char *value)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(value);
	ssize_t w;
	int e;

	if (fd == -1)
		return -1;
	w = write(fd, value, n);
	e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)n ? 0 : -1;
}

static int
write_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return write_at(AT_FDCWD, path, value);
}

/* cgroup.events says "populated 0"; fd is read from its start. -1: unreadable. */
static int
populated(int events_fd)
{
	char buf[128];
	ssize_t n = pread(events_fd, buf, sizeof(buf) - 1, 0);
	const char *p;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "populated ")) == NULL)
		return -1;
	return p[10] != '0';
}

/*
 * Everything in the cgroup dir_fd is killed, and waited for up to
 * bound_ms (cgroup.events wakes POLLPRI at each change). Returns 0 once
 * it is empty, -1 when it is not by then (or cannot be asked).
 */
static int
kill_and_wait(int dir_fd, int bound_ms)
{
	int ev = openat(dir_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	int64_t deadline = util_now_ms() + bound_ms;
	int p;

	if (ev == -1)
		return -1;
	/* the common case: the program was alone and has been reaped; no kill to send */
	if ((p = populated(ev)) == 1 && write_at(dir_fd, "cgroup.kill", "1") == -1)
		p = -1;
	while (p == 1) {
		int64_t left = deadline - util_now_ms();
		struct pollfd pf = { .fd = ev, .events = POLLPRI };
		if (left <= 0)
			break;
		if (poll(&pf, 1, (int)left) == -1 && errno != EINTR)
			break;
		p = populated(ev);
	}
	close(ev);
	return p == 0 ? 0 : -1;
}

/* --- the instance, the master's ----------------------------------------------- */

struct cg_service {
	char name[NETSRVD_NAME_MAX + 1];
	bool on;			/* in the running configuration with a cgroup group */
};

/* A connection cgroup a dead worker left that did not empty at once: removed at a later tick. */
struct cg_pending {
	struct cg_pending *next;
	int64_t since_ms;
	char path[];
};

static struct {
	bool made;			/* the instance directory exists */
	bool moved;			/* the master is in I/master */
	pid_t master;
	char path[PATH_MAX];		/* I */
	unsigned added;			/* bit i: we enabled limits[i]'s controller in C */
	struct cg_service *svcs;
	size_t nsvcs;
	struct cg_pending *pending;
} inst;

const char *
cgroup_instance_path(void)
{
	return inst.made ? inst.path : "";
}

static int
service_path(const char *name, const char *sub, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s/svc.%s%s%s", inst.path, name, sub != NULL ? "/" : "",
	    sub != NULL ? sub : "");

	if (n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
mkdir_ok(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int
make_instance(char *why, size_t len)
{
	char kill_file[PATH_MAX + 16];

	inst.master = getpid();
	if ((size_t)snprintf(inst.path, sizeof(inst.path), "%s/netsrvd.%ld", host.self, (long)inst.master) >=
	    sizeof(inst.path) || mkdir_ok(inst.path) == -1) {
		snprintf(why, len, "cgroup: mkdir %s: %s", inst.path, strerror(errno));
		return -1;
	}
	snprintf(kill_file, sizeof(kill_file), "%s/cgroup.kill", inst.path);
	if (access(kill_file, F_OK) == -1) {
		snprintf(why, len, "cgroup: %s has no cgroup.kill (it needs Linux 5.14 or later)", inst.path);
		(void)rmdir(inst.path);
		return -1;
	}
	inst.made = true;
	inst.moved = host.in_own_master;
	log_debug("cgroup: instance %s", inst.path);
	return 0;
}

/*
 * Controllers are enabled in C's and I's cgroup.subtree_control, which
 * the kernel refuses while C holds a process (the "no internal
 * processes" rule): the master first moves itself into a leaf.
 */
static int
move_master(char *why, size_t len)
{
	char leaf[PATH_MAX + 8];

	snprintf(leaf, sizeof(leaf), "%s/master", inst.path);
	if (mkdir_ok(leaf) == -1 || write_file(leaf, "cgroup.procs", "0") == -1) {
		snprintf(why, len, "cgroup: moving the master into %s: %s", leaf, strerror(errno));
		return -1;
	}
	inst.moved = true;
	return 0;
}

static int
enable_controllers(const struct config *cfg, char *why, size_t len)
{
	char v[32], word[16];

	for (size_t i = 0; i < NLIMITS; i++) {
		bool used = false;
		for (size_t k = 0; k < cfg->nservices; k++)
			used |= cfg->services[k].confine.cgroup.on &&
			    limit_value(&cfg->services[k].confine.cgroup, i, v, sizeof(v));
		if (!used)
			continue;
		snprintf(word, sizeof(word), "+%s", limits[i].controller);
		if (write_file(host.self, "cgroup.subtree_control", word) == -1 ||
		    write_file(inst.path, "cgroup.subtree_control", word) == -1) {
			snprintf(why, len, "cgroup %s: enabling the %s controller under %s: %s%s", limits[i].key,
			    limits[i].controller, host.self, strerror(errno),
			    errno == EBUSY ? " (another process is in that cgroup)" : "");
			return -1;
		}
		inst.added |= 1u << i;
	}
	return 0;
}

static struct cg_service *
service_entry(const char *name, bool add)
{
	struct cg_service *n;

	for (size_t i = 0; i < inst.nsvcs; i++)
		if (strcmp(inst.svcs[i].name, name) == 0)
			return &inst.svcs[i];
	if (!add || (n = realloc(inst.svcs, (inst.nsvcs + 1) * sizeof(*n))) == NULL)
		return NULL;
	inst.svcs = n;
	n = &inst.svcs[inst.nsvcs++];
	snprintf(n->name, sizeof(n->name), "%s", name);
	return n;
}

/* As systemd's Delegate=: the service's user may make cgroups there and move its programs into them. */
static int
delegate(const struct service_config *s, const char *dir)
{
	static const char *const files[] = { "", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control" };
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, files[i]);
		if (chown(path, s->id.uid, s->id.gid) == -1)
			return -1;
	}
	return 0;
}

static int
service_dirs(const struct service_config *s, char *why, size_t len)
{
	char dir[PATH_MAX], sub[PATH_MAX], v[32], file[PATH_MAX + 16];
	struct cg_service *e;

	if (service_path(s->name, NULL, dir, sizeof(dir)) == -1 || mkdir_ok(dir) == -1 ||
	    service_path(s->name, "workers", sub, sizeof(sub)) == -1 || mkdir_ok(sub) == -1) {
		snprintf(why, len, "service \"%s\": cgroup: mkdir under %s: %s", s->name, inst.path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < NLIMITS; i++) {
		bool set = limit_value(&s->confine.cgroup, i, v, sizeof(v));
		snprintf(file, sizeof(file), "%s/%s", dir, limits[i].file);
		/* unset after a reload that removed it: back to the kernel's default */
		if (!set && access(file, F_OK) == -1)
			continue;
		if (write_file(dir, limits[i].file, set ? v : limits[i].unset) == -1) {
			snprintf(why, len, "service \"%s\": cgroup %s: writing %s to %s: %s", s->name, limits[i].key,
			    set ? v : limits[i].unset, file, strerror(errno));
			return -1;
		}
	}
	if (s->id.drop && s->id.uid != geteuid() && delegate(s, dir) == -1) {
		snprintf(why, len, "service \"%s\": cgroup: chown %s to uid %ld: %s", s->name, dir,
		    (long)s->id.uid, strerror(errno));
		return -1;
	}
	if ((e = service_entry(s->name, true)) == NULL) {
		snprintf(why, len, "cgroup: out of memory");
		return -1;
	}
	e->on = true;
	return 0;
}

int
cgroup_setup(const struct config *cfg, char *why, size_t len)
{
	bool any = false, limited = false;
	char v[32];

	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		if (!s->confine.cgroup.on)
			continue;
		if (cgroup_config_check(s, why, len) == -1)
			return -1;
		any = true;
		for (size_t k = 0; k < NLIMITS; k++)
			limited |= limit_value(&s->confine.cgroup, k, v, sizeof(v));
	}
	if (!any && !inst.made)
		return 0;
	if (!inst.made && make_instance(why, len) == -1)
		return -1;
	if (limited && !inst.moved && move_master(why, len) == -1)
		return -1;
	if (limited && enable_controllers(cfg, why, len) == -1)
		return -1;
	for (size_t i = 0; i < inst.nsvcs; i++)
		inst.svcs[i].on = false;
	for (size_t i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].confine.cgroup.on && service_dirs(&cfg->services[i], why, len) == -1)
			return -1;
	return 0;
}

/* --- sweeping what dead workers left ------------------------------------------ */

static void
pending_add(const char *path)
{
	size_t n = strlen(path) + 1;
	struct cg_pending *p = malloc(sizeof(*p) + n);

	if (p == NULL) {
		log_warnx("cgroup: out of memory: %s stays", path);
		return;
	}
	memcpy(p->path, path, n);
	p->since_ms = util_now_ms();
	p->next = inst.pending;
	inst.pending = p;
}

/* Kill now; remove when empty, or later (pending). */
static void
sweep_one(const char *dir, const char *name, bool wait)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if (write_at(fd, "cgroup.kill", "1") == -1)
		log_warn("cgroup: kill %s", path);
	if (wait)
		(void)kill_and_wait(fd, CGROUP_KILL_WAIT_MS);
	close(fd);
	if (rmdir(path) == -1 && errno != ENOENT) {
		if (!wait)
			pending_add(path);
		else
			log_debug("cgroup: rmdir %s: %s", path, strerror(errno));
	}
}

/* Each connection cgroup of the service dirs whose name starts with prefix ("conn.": all). */
static size_t
sweep_service(const char *svc, const char *prefix, bool wait)
{
	char dir[PATH_MAX];
	struct dirent *d;
	size_t n = 0, plen = strlen(prefix);
	DIR *dp;

	if (service_path(svc, NULL, dir, sizeof(dir)) == -1 || (dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL)
		if (d->d_type == DT_DIR && strncmp(d->d_name, prefix, plen) == 0) {
			sweep_one(dir, d->d_name, wait);
			n++;
		}
	closedir(dp);
	return n;
}

void
cgroup_worker_reaped(pid_t pid)
{
	char prefix[32];

	if (!inst.made)
		return;
	snprintf(prefix, sizeof(prefix), "conn.%ld.", (long)pid);
	for (size_t i = 0; i < inst.nsvcs; i++) {
		size_t n = sweep_service(inst.svcs[i].name, prefix, false);
		if (n > 0)
			log_info("service %s: worker %ld left %zu connection cgroups: killed", inst.svcs[i].name,
			    (long)pid, n);
	}
}

static void
retry_pending(void)
{
	struct cg_pending **pp = &inst.pending;
	int64_t now = util_now_ms();

	while (*pp != NULL) {
		struct cg_pending *p = *pp;
		if (rmdir(p->path) == 0 || errno == ENOENT) {
			*pp = p->next;
			free(p);
			continue;
		}
		/* still populated a while after its kill: say so once, keep trying */
		if (now - p->since_ms > 10000 && p->since_ms != 0) {
			log_warnx("cgroup: %s is not empty 10 s after its kill", p->path);
			p->since_ms = 0;
		}
		pp = &p->next;
	}
}

/* One number from a file: the whole file ("123\n"), or the value after key ("usage_usec 123"). */
static bool
read_number(const char *dir, const char *file, const char *key, uint64_t *v)
{
	char path[PATH_MAX + 32], buf[1024];
	const char *p = buf;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (util_read_small(path, buf, sizeof(buf)) == -1)
		return false;
	if (key != NULL) {
		size_t n = strlen(key);
		for (p = buf; p != NULL; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
			if (strncmp(p, key, n) == 0 && p[n] == ' ')
				break;
		if (p == NULL)
			return false;
		p += n + 1;
	}
	if (*p < '0' || *p > '9')
		return false;
	*v = strtoull(p, NULL, 10);
	return true;
}

static void
sample(struct stats *st)
{
	for (size_t i = 0; i < inst.nsvcs; i++) {
		struct stats_cgroup *c = stats_cgroup(st, inst.svcs[i].name);
		char dir[PATH_MAX];
		uint64_t cpu = 0, cur = 0, peak = 0;
		bool mem;

		if (c == NULL)
			continue;
		if (!inst.svcs[i].on || service_path(inst.svcs[i].name, NULL, dir, sizeof(dir)) == -1) {
			atomic_store_explicit(&c->on, 0, memory_order_relaxed);
			continue;
		}
		(void)read_number(dir, "cpu.stat", "usage_usec", &cpu);
		mem = read_number(dir, "memory.current", NULL, &cur);
		if (mem && !read_number(dir, "memory.peak", NULL, &peak))
			peak = cur;
		atomic_store_explicit(&c->cpu_usec, cpu, memory_order_relaxed);
		atomic_store_explicit(&c->memory_bytes, cur, memory_order_relaxed);
		atomic_store_explicit(&c->memory_peak_bytes, peak, memory_order_relaxed);
		atomic_store_explicit(&c->have_memory, mem, memory_order_relaxed);
		atomic_store_explicit(&c->on, 1, memory_order_release);
	}
}

void
cgroup_tick(struct stats *st)
{
	if (!inst.made)
		return;
	retry_pending();
	if (st != NULL)
		sample(st);
}

static void
remove_dir(const char *path)
{
	if (rmdir(path) == -1 && errno != ENOENT)
		log_debug("cgroup: rmdir %s: %s", path, strerror(errno));
}

void
cgroup_finish(void)
{
	char path[PATH_MAX + 16], word[16];

	if (!inst.made || inst.master != getpid())
		return;
	for (size_t i = 0; i < inst.nsvcs; i++) {
		(void)sweep_service(inst.svcs[i].name, "conn.", true);
		if (service_path(inst.svcs[i].name, "workers", path, sizeof(path)) == 0)
			remove_dir(path);
		if (service_path(inst.svcs[i].name, NULL, path, sizeof(path)) == 0)
			remove_dir(path);
	}
	retry_pending();
	if (inst.moved) {
		/* a process may not join a cgroup with controllers in its subtree_control: ours go first */
		for (size_t i = 0; i < NLIMITS; i++) {
			snprintf(word, sizeof(word), "-%s", limits[i].controller);
			if ((inst.added & (1u << i)) && write_file(host.self, "cgroup.subtree_control", word) == -1)
				log_debug("cgroup: %s to %s/cgroup.subtree_control: %s", word, host.self, strerror(errno));
		}
		if (write_file(host.self, "cgroup.procs", "0") == -1)
			log_debug("cgroup: moving the master back into %s: %s", host.self, strerror(errno));
		snprintf(path, sizeof(path), "%s/master", inst.path);
		remove_dir(path);
	}
	remove_dir(inst.path);
	while (inst.pending != NULL) {
		struct cg_pending *p = inst.pending;
		inst.pending = p->next;
		free(p);
	}
	free(inst.svcs);
	inst.svcs = NULL;
	inst.nsvcs = 0;
	inst.made = false;
}

/* --- a worker ------------------------------------------------------------------- */

int
cgroup_join_workers(const struct service_config *svc)
{
	char dir[PATH_MAX];

	if (!svc->confine.cgroup.on)
		return 0;
	if (!inst.made || service_path(svc->name, "workers", dir, sizeof(dir)) == -1) {
		log_errorx("service %s: cgroup: no cgroup was made for it", svc->name);
		return -1;
	}
	if (write_file(dir, "cgroup.procs", "0") == -1) {
		log_error("service %s: cgroup: joining %s", svc->name, dir);
		return -1;
	}
	return 0;
}

/* The worker's service directory, opened once. */
static int svc_fd = -1;
static pid_t svc_fd_pid;

static int
service_fd(const struct service_config *svc)
{
	char dir[PATH_MAX];

	if (svc_fd >= 0 && svc_fd_pid == getpid())
		return svc_fd;
	if (service_path(svc->name, NULL, dir, sizeof(dir)) == -1)
		return -1;
	svc_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	svc_fd_pid = getpid();
	return svc_fd;
}

int
cgroup_conn_open(const struct service_config *svc, struct cgroup_conn *cc)
{
	static unsigned long serial;
	int sfd;

	cc->dir_fd = cc->procs_fd = -1;
	cc->name[0] = '\0';
	if (!svc->confine.cgroup.on)
		return 0;
	snprintf(cc->name, sizeof(cc->name), "conn.%ld.%lu", (long)getpid(), ++serial);
	if ((sfd = service_fd(svc)) == -1 || mkdirat(sfd, cc->name, 0755) == -1) {
		log_error("service %s: cgroup: mkdir %s/svc.%s/%s", svc->name, inst.path, svc->name, cc->name);
		return -1;
	}
	if ((cc->dir_fd = openat(sfd, cc->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (cc->procs_fd = openat(cc->dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC)) == -1) {
		log_error("service %s: cgroup: opening %s", svc->name, cc->name);
		if (cc->dir_fd >= 0)
			close(cc->dir_fd);
		cc->dir_fd = -1;
		(void)unlinkat(sfd, cc->name, AT_REMOVEDIR);
		return -1;
	}
	return 0;
}

void
cgroup_conn_started(struct cgroup_conn *cc)
{
	if (cc->procs_fd >= 0)
		close(cc->procs_fd);
	cc->procs_fd = -1;
}

long long
cgroup_conn_close(const struct service_config *svc, struct cgroup_conn *cc)
{
	int64_t t0 = util_now_us();
	long long took = -1;

	cgroup_conn_started(cc);
	if (cc->dir_fd < 0)
		return -1;
	if (kill_and_wait(cc->dir_fd, CGROUP_KILL_WAIT_MS) == 0)
		took = (long long)(util_now_us() - t0);
	else
		log_warnx("service %s: cgroup %s: not empty %d ms after its kill", svc->name, cc->name,
		    CGROUP_KILL_WAIT_MS);
	close(cc->dir_fd);
	cc->dir_fd = -1;
	if (svc_fd >= 0 && unlinkat(svc_fd, cc->name, AT_REMOVEDIR) == -1)
		log_warn("service %s: cgroup: rmdir %s (the master removes it when this worker ends)", svc->name,
		    cc->name);
	return took;
}
