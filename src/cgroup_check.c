/* cgroup v2 on this host: where it is, which cgroup we are in, and whether a service's cgroup group can be given. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_check.h"
#include "config_types.h"
#include "util.h"

/*
 * Found once per process (the loader's check, then the master's setup):
 * after the master moved itself into I/master, /proc/self/cgroup says
 * I/master, and C must stay what it was.
 */
static struct cgroup_host host;

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

int
cgroup_probe(void)
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
	if (cgroup_probe() == 0)
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

const struct cgroup_limit cgroup_limits[CGROUP_NLIMITS] = {
	{ "memory_max", "memory", "memory.max", "max" },
	{ "pids_max", "pids", "pids.max", "max" },
	{ "cpu_weight", "cpu", "cpu.weight", "100" },
};

bool
cgroup_limit_value(const struct cgroup_conf *g, size_t i, char *buf, size_t len)
{
	long long v = i == 0 ? g->memory_max : i == 1 ? (long long)g->pids_max : (long long)g->cpu_weight;

	if (v == CONFINE_UNSET)
		return false;
	snprintf(buf, len, "%lld", v);
	return true;
}

const struct cgroup_host *
cgroup_host(void)
{
	return &host;
}

int
cgroup_config_check(const struct service_config *s, char *why, size_t len)
{
	const struct cgroup_conf *g = &s->confine.cgroup;
	char v[32];

	if (!g->on)
		return 0;
	if (cgroup_probe() == -1) {
		snprintf(why, len, "service \"%s\": cgroup: %s", s->name, host.why);
		return -1;
	}
	for (size_t i = 0; i < CGROUP_NLIMITS; i++)
		if (cgroup_limit_value(g, i, v, sizeof(v)) && !has_controller(cgroup_limits[i].controller)) {
			snprintf(why, len, "service \"%s\": cgroup %s: the %s controller is not available in %s/ "
			    "(cgroup.controllers %s%s)", s->name, cgroup_limits[i].key, cgroup_limits[i].controller, host.self,
			    host.controllers[0] != '\0' ? "has only: " : "has none", host.controllers);
			return -1;
		}
	return 0;
}

