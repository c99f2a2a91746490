/* netsrvd -t --explain SERVICE: what the loaded configuration gives a service's workers and programs. */
#include "autoconfig.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_confine.h"
#include "explain.h"
#include "handler.h"
#include "privs.h"

static const char *
user_name(uid_t uid)
{
	const struct passwd *pw = getpwuid(uid);

	return pw != NULL ? pw->pw_name : "?";
}

static const char *
group_name(gid_t gid)
{
	const struct group *gr = getgrgid(gid);

	return gr != NULL ? gr->gr_name : "?";
}

static void
explain_identity(const struct service_config *s, FILE *out)
{
	uid_t uid = s->id.drop ? s->id.uid : geteuid();
	gid_t gid = s->id.drop ? s->id.gid : getegid();

	fprintf(out, "  user:             %s (uid %ld)%s\n", user_name(uid), (long)uid,
	    s->id.drop ? "" : ", netsrvd's own: no user or group set");
	fprintf(out, "  group:            %s (gid %ld)\n", group_name(gid), (long)gid);
	fprintf(out, "  groups:          ");
	if (s->id.groups == NULL)
		fprintf(out, " %s only\n", group_name(gid));
	else {
		for (size_t i = 0; i < s->id.ngroups; i++)
			fprintf(out, " %s", group_name(s->id.groups[i]));
		fprintf(out, " (groups = true)\n");
	}
}

static void
explain_caps(const struct service_config *s, FILE *out)
{
	const struct confine_conf *c = &s->confine;
	bool any = false;

	/* the filter brings no_new_privs, unless the program keeps CAP_SYS_ADMIN (worker.c, as systemd) */
	bool nnp = c->no_new_privileges || !s->handler->runs_programs ||
	    (c->syscall_filter != NULL && !privs_program_keeps(s, CAP_SYS_ADMIN));

	fprintf(out, "  no_new_privs:     %s\n", nnp ? "yes" : "no");
	fprintf(out, "  bounding set:    ");
	if (!c->caps_set) {
		fprintf(out, " %s\n", s->handler->runs_programs ? "every capability (none dropped)" :
		    "none (built-in workers drop all)");
		return;
	}
	for (int i = 0; config_cap_name(i) != NULL; i++)
		if (c->cap_keep & (UINT64_C(1) << i)) {
			fprintf(out, " %s", config_cap_name(i));
			any = true;
		}
	fprintf(out, "%s\n", any ? "" : " none (capabilities = [ ])");
}

static void
explain_paths(const char *what, const struct config_strv *v, FILE *out)
{
	if (v->n == 0)
		return;
	fprintf(out, "    %-15s", what);
	for (size_t i = 0; i < v->n; i++)
		fprintf(out, " %s", v->v[i]);
	fprintf(out, "\n");
}

static void
explain_filesystem(const struct config *cfg, const struct service_config *s, FILE *out)
{
	const struct confine_conf *c = &s->confine;
	const char *root = c->chroot;

	if (root == NULL && !s->handler->runs_programs)
		root = cfg->chroot_dir;
	fprintf(out, "  root:             %s\n", root != NULL ? root : "/ (the host's)");
	if (!c->mount_ns) {
		fprintf(out, "  file system:      the host's, no mount namespace\n");
		return;
	}
	fprintf(out, "  file system:      a mount namespace per worker, its programs' too:\n");
	if (c->protect == PROTECT_SYSTEM_STRICT)
		fprintf(out, "    read-only:      / but /dev /proc /sys (protect_system = \"strict\")\n");
	else if (c->protect == PROTECT_SYSTEM_FULL)
		fprintf(out, "    read-only:      /usr /boot /efi /etc (protect_system = \"full\")\n");
	explain_paths("read-only:", &c->read_only_paths, out);
	explain_paths("read-write:", &c->read_write_paths, out);
	explain_paths("inaccessible:", &c->inaccessible_paths, out);
	if (c->protect_home)
		fprintf(out, "    inaccessible:   /home /root /run/user (protect_home)\n");
	if (c->private_tmp)
		fprintf(out, "    private:        /tmp /var/tmp (private_tmp)\n");
}

static void
explain_syscalls(const struct config *cfg, const struct service_config *s, FILE *out)
{
	if (s->handler->runs_programs)
		fprintf(out, "  system calls:     %s\n", s->confine.syscall_filter != NULL ?
		    "programs (and their workers): systemd's @system-service, others refused with EPERM" : "programs: any");
	else
		fprintf(out, "  system calls:     %s\n", cfg->seccomp ?
		    "the built-in workers' allow list (seccomp = true)" : "any (seccomp = false)");
}

/* A built-in worker's nice and umask (an exec service's handler says its programs'). */
static void
explain_worker_limits(const struct service_config *s, FILE *out)
{
	if (!s->confine.nice_set && s->confine.umask == NULL)
		return;
	fprintf(out, "  worker:          ");
	if (s->confine.nice_set)
		fprintf(out, " nice=%d", s->confine.nice);
	if (s->confine.umask != NULL)
		fprintf(out, " umask=%s", s->confine.umask);
	fprintf(out, "\n");
}

static void
explain_cgroup(const struct service_config *s, FILE *out)
{
	const struct cgroup_conf *g = &s->confine.cgroup;

	if (!g->on) {
		fprintf(out, "  cgroup:           netsrvd's; a program's process group is killed at its end\n");
		return;
	}
	fprintf(out, "  cgroup:           the service's own under netsrvd's (cgroup v2), one per connection, "
	    "killed whole at its end\n");
	if (g->memory_max != CONFINE_UNSET)
		fprintf(out, "    memory.max      %lld\n", g->memory_max);
	if (g->pids_max != CONFINE_UNSET)
		fprintf(out, "    pids.max        %d\n", g->pids_max);
	if (g->cpu_weight != CONFINE_UNSET)
		fprintf(out, "    cpu.weight      %d\n", g->cpu_weight);
}

int
explain_service(const struct config *cfg, const char *name, FILE *out)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];

		if (strcmp(s->name, name) != 0)
			continue;
		fprintf(out, "service %s: %s, %s port %d%s\n", s->name, s->handler->name,
		    s->protocol == PROTO_TCP ? "tcp" : "udp", s->port, s->enabled ? "" : " (enabled = false)");
		explain_identity(s, out);
		explain_caps(s, out);
		explain_filesystem(cfg, s, out);
		explain_syscalls(cfg, s, out);
		if (s->handler->explain != NULL)
			s->handler->explain(s, out);
		else
			explain_worker_limits(s, out);
		explain_cgroup(s, out);
		return 0;
	}
	return -1;
}
