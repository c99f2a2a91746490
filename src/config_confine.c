/* A service's confinement keys, checked whole at load: what confine.c and cgroup.c apply can apply. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_check.h"
#include "config_confine.h"
#include "config_schema.h"
#include "config_types.h"
#include "handler.h"

/* capabilities(7), by number; a kernel newer than this list keeps what it adds only by default */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
#define NCAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

const char *
config_cap_name(int n)
{
	return n >= 0 && n < NCAPS ? cap_names[n] : NULL;
}

int
config_cap_number(const char *name)
{
	for (int i = 0; i < NCAPS; i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return i;
	return -1;
}

static int
refuse(const char **key, const char *k, char *why, size_t len, const struct service_config *s,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
refuse(const char **key, const char *k, char *why, size_t len, const struct service_config *s,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	*key = k;
	n = snprintf(why, len, "service \"%s\": %s: ", s->name, k);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < len)
		vsnprintf(why + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
under_root(const char *root, const char *path, char *buf, size_t len)
{
	if (root == NULL || strcmp(root, "/") == 0)
		return path;
	snprintf(buf, len, "%s%s", root, path);
	return buf;
}

const char *
config_confine_host_path(const struct service_config *s, const char *path, char *buf, size_t len)
{
	return under_root(s->confine.chroot, path, buf, len);
}

/* private_tmp puts an empty tmpfs there: a path below would not exist in the worker's view */
static bool
under_private_tmp(const struct service_config *s, const char *p)
{
	return s->confine.private_tmp && (strcmp(p, "/tmp") == 0 || strncmp(p, "/tmp/", 5) == 0 ||
	    strcmp(p, "/var/tmp") == 0 || strncmp(p, "/var/tmp/", 9) == 0);
}

static int
check_caps(struct service_config *s, const char **key, char *why, size_t len)
{
	struct confine_conf *c = &s->confine;
	c->cap_keep = 0;
	for (size_t i = 0; i < c->capabilities.n; i++) {
		int n = config_cap_number(c->capabilities.v[i]);
		if (n < 0)
			return refuse(key, "capabilities", why, len, s,
			    "unknown capability \"%s\" (capabilities(7) names, e.g. \"CAP_NET_BIND_SERVICE\")",
			    c->capabilities.v[i]);
		c->cap_keep |= UINT64_C(1) << n;
	}
	return 0;
}

static int
check_chroot(const struct service_config *s, const char **key, char *why, size_t len)
{
	const char *dir = s->confine.chroot;
	struct stat st;

	if (dir == NULL)
		return 0;
	if (dir[0] != '/')
		return refuse(key, "chroot", why, len, s, "\"%s\" must be an absolute path", dir);
	if (stat(dir, &st) == -1)
		return refuse(key, "chroot", why, len, s, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return refuse(key, "chroot", why, len, s, "%s: not a directory", dir);
	return 0;
}

/* Each entry absolute and there, as the workers will see it (under their root). */
static int
check_paths(const struct service_config *s, const char *root, const char *k,
    const struct config_strv *v, const char **key, char *why, size_t len)
{
	char buf[4096];
	struct stat st;

	for (size_t i = 0; i < v->n; i++) {
		const char *p = v->v[i];
		const char *host;

		if (p[0] != '/')
			return refuse(key, k, why, len, s, "\"%s\" must be an absolute path", p);
		if (strstr(p, "/../") != NULL || (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
			return refuse(key, k, why, len, s, "\"%s\": no \"..\" in a path", p);
		if (under_private_tmp(s, p))
			return refuse(key, k, why, len, s,
			    "%s is under the private /tmp or /var/tmp private_tmp gives (empty)", p);
		host = under_root(root, p, buf, sizeof(buf));
		if (stat(host, &st) == -1)
			return refuse(key, k, why, len, s, "%s: %s", host, strerror(errno));
	}
	return 0;
}

static enum protect_system
protect_level(const char *word)
{
	if (word == NULL)
		return PROTECT_SYSTEM_NO;
	return strcmp(word, "strict") == 0 ? PROTECT_SYSTEM_STRICT : PROTECT_SYSTEM_FULL;
}

/*
 * umask as a string of octal digits: libconfig would read 022 as the
 * decimal 22, the trap xinetd's "umask = 022" would set. Up to four
 * digits, as umask(1) and systemd's UMask= write it.
 */
static int
check_umask(struct service_config *s, const char **key, char *why, size_t len)
{
	struct confine_conf *c = &s->confine;
	size_t n = c->umask != NULL ? strlen(c->umask) : 0;
	unsigned long v;

	if (c->umask == NULL)
		return 0;
	if (n == 0 || n > 4 || strspn(c->umask, "01234567") != n || (v = strtoul(c->umask, NULL, 8)) > 0777) {
		*key = "umask";
		snprintf(why, len, "service \"%s\": umask \"%s\" is not an octal mode 0000 to 0777 (umask = \"0022\")",
		    s->name, c->umask);
		return -1;
	}
	c->umask_mode = (mode_t)v;
	return 0;
}

/* Which key asks for what only root can do in the worker (a mount namespace, chroot, the bounding set). */
static const char *
needs_root(const struct confine_conf *c)
{
	if (c->chroot != NULL)
		return "chroot";
	if (c->read_only_paths.n > 0)
		return "read_only_paths";
	if (c->read_write_paths.n > 0)
		return "read_write_paths";
	if (c->inaccessible_paths.n > 0)
		return "inaccessible_paths";
	if (c->private_tmp)
		return "private_tmp";
	if (c->protect != PROTECT_SYSTEM_NO)
		return "protect_system";
	if (c->protect_home)
		return "protect_home";
	if (c->caps_set)
		return "capabilities";
	return NULL;
}

int
config_confine_check(struct service_config *s, const char *global_chroot, const char **key, char *why,
    size_t len)
{
	struct confine_conf *c = &s->confine;
	/* a built-in worker without a root of its own takes the global chroot (confine.c) */
	const char *root = c->chroot != NULL || s->handler->runs_programs ? c->chroot : global_chroot;
	const char *k;

	if (check_caps(s, key, why, len) == -1 || check_chroot(s, key, why, len) == -1 ||
	    check_umask(s, key, why, len) == -1 ||
	    check_paths(s, root, "read_only_paths", &c->read_only_paths, key, why, len) == -1 ||
	    check_paths(s, root, "read_write_paths", &c->read_write_paths, key, why, len) == -1 ||
	    check_paths(s, root, "inaccessible_paths", &c->inaccessible_paths, key, why, len) == -1)
		return -1;
	c->protect = protect_level(c->protect_system);
	c->mount_ns = c->read_only_paths.n > 0 || c->read_write_paths.n > 0 ||
	    c->inaccessible_paths.n > 0 || c->private_tmp || c->protect != PROTECT_SYSTEM_NO ||
	    c->protect_home;
	if (c->syscall_filter != NULL && !s->handler->runs_programs)
		return refuse(key, "syscall_filter", why, len, s,
		    "a filter for the programs of an exec service; built-in workers have their own "
		    "(seccomp = true)");
	if ((k = needs_root(c)) != NULL && geteuid() != 0)
		return refuse(key, k, why, len, s,
		    "cannot apply: netsrvd is not running as root (a mount namespace, a chroot and the "
		    "bounding set need it)");
	/* cgroup.c: a writable cgroup v2, and the controller of each limit key */
	if (cgroup_config_check(s, why, len) == -1) {
		*key = "cgroup";
		return -1;
	}
	return 0;
}

void
config_confine_free(struct service_config *s)
{
	struct confine_conf *c = &s->confine;

	config_strv_free(&c->capabilities);
	config_strv_free(&c->read_only_paths);
	config_strv_free(&c->read_write_paths);
	config_strv_free(&c->inaccessible_paths);
	free(c->chroot);
	free(c->protect_system);
	free(c->syscall_filter);
	free(c->umask);
	c->chroot = c->protect_system = c->syscall_filter = c->umask = NULL;
}
