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
#include "cgroup_check.h"
#include "config_types.h"
#include "log.h"
#include "stats.h"
#include "util.h"

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
 * Everything in the cgroup dir_fd (its cgroup.events: events_fd) is
 * killed, and waited for up to bound_ms (cgroup.events wakes POLLPRI at
 * each change). Returns 0 once it is empty, -1 when it is not by then
 * (or cannot be asked).
 */
static int
kill_and_wait(int dir_fd, int events_fd, int bound_ms)
{
	int64_t deadline = util_now_ms() + bound_ms;
	int p;

	/* the common case: the program was alone and has been reaped; no kill to send */
	if ((p = populated(events_fd)) == 1 && write_at(dir_fd, "cgroup.kill", "1") == -1)
		p = -1;
	while (p == 1) {
		int64_t left = deadline - util_now_ms();
		struct pollfd pf = { .fd = events_fd, .events = POLLPRI };
		if (left <= 0)
			break;
		if (poll(&pf, 1, (int)left) == -1 && errno != EINTR)
			break;
		p = populated(events_fd);
	}
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
	unsigned added;			/* bit i: we enabled cgroup_limits[i]'s controller in C */
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
	const struct cgroup_host *h = cgroup_host();
	char kill_file[PATH_MAX + 16];

	inst.master = getpid();
	if ((size_t)snprintf(inst.path, sizeof(inst.path), "%s/netsrvd.%ld", h->self, (long)inst.master) >=
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
	inst.moved = h->in_own_master;
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
	const struct cgroup_host *h = cgroup_host();
	char v[32], word[16];

	for (size_t i = 0; i < CGROUP_NLIMITS; i++) {
		bool used = false;
		for (size_t k = 0; k < cfg->nservices; k++)
			used |= cfg->services[k].confine.cgroup.on &&
			    cgroup_limit_value(&cfg->services[k].confine.cgroup, i, v, sizeof(v));
		if (!used)
			continue;
		snprintf(word, sizeof(word), "+%s", cgroup_limits[i].controller);
		if (write_file(h->self, "cgroup.subtree_control", word) == -1 ||
		    write_file(inst.path, "cgroup.subtree_control", word) == -1) {
			snprintf(why, len, "cgroup %s: enabling the %s controller under %s: %s%s", cgroup_limits[i].key,
			    cgroup_limits[i].controller, h->self, strerror(errno),
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
	for (size_t i = 0; i < CGROUP_NLIMITS; i++) {
		bool set = cgroup_limit_value(&s->confine.cgroup, i, v, sizeof(v));
		snprintf(file, sizeof(file), "%s/%s", dir, cgroup_limits[i].file);
		/* unset after a reload that removed it: back to the kernel's default */
		if (!set && access(file, F_OK) == -1)
			continue;
		if (write_file(dir, cgroup_limits[i].file, set ? v : cgroup_limits[i].unset) == -1) {
			snprintf(why, len, "service \"%s\": cgroup %s: writing %s to %s: %s", s->name, cgroup_limits[i].key,
			    set ? v : cgroup_limits[i].unset, file, strerror(errno));
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
		for (size_t k = 0; k < CGROUP_NLIMITS; k++)
			limited |= cgroup_limit_value(&s->confine.cgroup, k, v, sizeof(v));
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

/*
 * Kill now; remove when empty, or later (pending). True when it still
 * held processes (a worker's spare, emptied, holds none).
 */
static bool
sweep_one(const char *dir, const char *name, bool wait)
{
	char path[PATH_MAX];
	bool busy = false;
	int fd, ev;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return false;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return false;
	if ((ev = openat(fd, "cgroup.events", O_RDONLY | O_CLOEXEC)) >= 0)
		busy = populated(ev) != 0;	/* unreadable counts as populated: killed all the same */
	if (busy && write_at(fd, "cgroup.kill", "1") == -1)
		log_warn("cgroup: kill %s", path);
	if (busy && wait && ev >= 0)
		(void)kill_and_wait(fd, ev, CGROUP_KILL_WAIT_MS);
	if (ev >= 0)
		close(ev);
	close(fd);
	if (rmdir(path) == -1 && errno != ENOENT) {
		if (!wait)
			pending_add(path);
		else
			log_debug("cgroup: rmdir %s: %s", path, strerror(errno));
	}
	return busy;
}

/* Each connection cgroup of the service dirs whose name starts with prefix ("conn.": all); how many held processes. */
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
		if (d->d_type == DT_DIR && strncmp(d->d_name, prefix, plen) == 0)
			n += sweep_one(dir, d->d_name, wait);
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

static void
remove_dir(const char *path)
{
	if (rmdir(path) == -1 && errno != ENOENT)
		log_debug("cgroup: rmdir %s: %s", path, strerror(errno));
}

/* Whether the cgroup dir (a path) holds a process, itself or below; true when it cannot tell. */
static bool
dir_populated(const char *dir)
{
	char path[PATH_MAX + 16];
	int ev, p;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	if ((ev = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno != ENOENT;
	p = populated(ev);
	close(ev);
	return p != 0;
}

/*
 * A service a reload took the cgroup group from (or removed): its
 * directory goes once the last of its old workers has, and not before.
 * Nothing is killed here: those workers are finishing their clients.
 */
static void
retire_services(void)
{
	char dir[PATH_MAX], sub[PATH_MAX];

	for (size_t i = 0; i < inst.nsvcs; i++) {
		if (inst.svcs[i].on || service_path(inst.svcs[i].name, NULL, dir, sizeof(dir)) == -1 ||
		    service_path(inst.svcs[i].name, "workers", sub, sizeof(sub)) == -1 || dir_populated(dir))
			continue;
		(void)sweep_service(inst.svcs[i].name, "conn.", false);	/* empty, all of them: no kill */
		remove_dir(sub);
		if (rmdir(dir) == -1 && errno != ENOENT) {
			log_debug("cgroup: rmdir %s: %s", dir, strerror(errno));
			continue;
		}
		log_debug("cgroup: %s removed: its service has no cgroup group any more", dir);
		inst.svcs[i--] = inst.svcs[--inst.nsvcs];
	}
}

void
cgroup_tick(struct stats *st)
{
	if (!inst.made)
		return;
	retry_pending();
	if (st != NULL)
		sample(st);	/* first: a service retired below has its metrics turned off here */
	retire_services();
}

void
cgroup_finish(void)
{
	const struct cgroup_host *h = cgroup_host();
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
		for (size_t i = 0; i < CGROUP_NLIMITS; i++) {
			snprintf(word, sizeof(word), "-%s", cgroup_limits[i].controller);
			if ((inst.added & (1u << i)) && write_file(h->self, "cgroup.subtree_control", word) == -1)
				log_debug("cgroup: %s to %s/cgroup.subtree_control: %s", word, h->self, strerror(errno));
		}
		if (write_file(h->self, "cgroup.procs", "0") == -1)
			log_debug("cgroup: moving the master back into %s: %s", h->self, strerror(errno));
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

static void
conn_none(struct cgroup_conn *cc)
{
	cc->dir_fd = cc->procs_fd = cc->events_fd = -1;
	cc->name[0] = '\0';
}

int
cgroup_worker_open(const struct service_config *svc, struct cgroup_worker *cw)
{
	char dir[PATH_MAX];

	cw->svc_fd = -1;
	cw->made = 0;
	conn_none(&cw->spare);
	if (!svc->confine.cgroup.on)
		return 0;
	/* before a chroot or a mount namespace hides it: connection cgroups are made through it */
	if (!inst.made || service_path(svc->name, NULL, dir, sizeof(dir)) == -1) {
		log_errorx("service %s: cgroup: no cgroup was made for it", svc->name);
		return -1;
	}
	if ((cw->svc_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_error("service %s: cgroup: opening %s", svc->name, dir);
		return -1;
	}
	return 0;
}

/*
 * The cgroup of the worker's last connection, emptied, is cw's spare:
 * the next one takes it rather than make its own (mkdir, two opens and
 * an rmdir less per connection, and the kernel's setup and teardown of
 * a cgroup). A worker serves one connection at a time; the master
 * removes it when the worker is reaped.
 */
static void
conn_drop(struct cgroup_conn *cc)
{
	if (cc->procs_fd >= 0)
		close(cc->procs_fd);
	if (cc->events_fd >= 0)
		close(cc->events_fd);
	if (cc->dir_fd >= 0)
		close(cc->dir_fd);
	conn_none(cc);
}

static int
conn_make(const struct service_config *svc, struct cgroup_worker *cw, struct cgroup_conn *cc)
{
	snprintf(cc->name, sizeof(cc->name), "conn.%ld.%lu", (long)getpid(), ++cw->made);
	if (mkdirat(cw->svc_fd, cc->name, 0755) == -1) {
		log_error("service %s: cgroup: mkdir %s/svc.%s/%s", svc->name, inst.path, svc->name, cc->name);
		return -1;
	}
	if ((cc->dir_fd = openat(cw->svc_fd, cc->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (cc->procs_fd = openat(cc->dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC)) == -1 ||
	    (cc->events_fd = openat(cc->dir_fd, "cgroup.events", O_RDONLY | O_CLOEXEC)) == -1) {
		log_error("service %s: cgroup: opening %s", svc->name, cc->name);
		(void)unlinkat(cw->svc_fd, cc->name, AT_REMOVEDIR);
		conn_drop(cc);
		return -1;
	}
	return 0;
}

int
cgroup_conn_open(const struct service_config *svc, struct cgroup_worker *cw, struct cgroup_conn *cc)
{
	conn_none(cc);
	if (!svc->confine.cgroup.on)
		return 0;
	if (cw->spare.dir_fd >= 0) {
		*cc = cw->spare;
		conn_none(&cw->spare);
		return 0;
	}
	return conn_make(svc, cw, cc);
}

long long
cgroup_conn_close(const struct service_config *svc, struct cgroup_worker *cw, struct cgroup_conn *cc)
{
	int64_t t0;

	/* a service without a cgroup group: nothing, not even the clock */
	if (cc->dir_fd < 0)
		return -1;
	t0 = util_now_us();
	if (kill_and_wait(cc->dir_fd, cc->events_fd, CGROUP_KILL_WAIT_MS) == 0) {
		long long took = (long long)(util_now_us() - t0);
		/* empty: the next connection's */
		conn_drop(&cw->spare);
		cw->spare = *cc;
		conn_none(cc);
		return took;
	}
	log_warnx("service %s: cgroup %s: not empty %d ms after its kill; the master removes it when this "
	    "worker ends", svc->name, cc->name, CGROUP_KILL_WAIT_MS);
	conn_drop(cc);
	return -1;
}
