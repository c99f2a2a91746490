/* Dropping root in workers: setgroups, setgid, setuid, then proof it stuck; every capability, and proof of that too. */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config_types.h"
#include "log.h"
#include "privs.h"
#include "program_filter.h"

/* Only root can become someone else; say so at startup, not in every worker. */
int
privs_check_possible(uid_t uid, gid_t gid, const char *user, char *err, size_t errlen)
{
	if (geteuid() == 0)
		return 0;
	if (uid == geteuid() && gid == getegid())
		return 0;
	snprintf(err, errlen, "cannot drop privileges to %s%s (uid %ld, gid %ld): not running as root",
	    user ? "user " : "group ", user ? user : "", (long)uid, (long)gid);
	return -1;
}

int
privs_drop(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	if (geteuid() == 0) {
		/* groups: the user's supplementary groups, as initgroups(3) made them at load */
		if (groups != NULL ? setgroups(ngroups, groups) == -1 : setgroups(1, &gid) == -1) {
			log_error("setgroups(%ld%s)", (long)gid, groups != NULL ? " and the user's groups" : "");
			return -1;
		}
		if (setgid(gid) == -1) {
			log_error("setgid(%ld)", (long)gid);
			return -1;
		}
		if (setuid(uid) == -1) {
			log_error("setuid(%ld)", (long)uid);
			return -1;
		}
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid) {
		log_errorx("privilege drop did not stick: uid %ld/%ld gid %ld/%ld, wanted %ld/%ld",
		    (long)getuid(), (long)geteuid(), (long)getgid(), (long)getegid(),
		    (long)uid, (long)gid);
		return -1;
	}
	/* the proof: root must be out of reach now */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		log_errorx("privilege drop failed: could regain root");
		return -1;
	}
	return 0;
}

/*
 * Drops from the bounding set what it holds but the capabilities in keep
 * (bit n: capability n). Without CAP_SETPCAP (a systemd unit's
 * CapabilityBoundingSet= that leaves it out, an unprivileged master) the
 * kernel refuses: what it keeps is counted, and privs_check_powerless()
 * must then prove it can no longer be used.
 */
int
privs_drop_bounding_set_except(uint64_t keep)
{
	int kept = 0;

	for (unsigned long cap = 0;; cap++) {
		int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (held == -1 && errno == EINVAL)
			return kept;	/* past the last capability this kernel knows */
		if (held == -1) {
			log_error("prctl(PR_CAPBSET_READ, %lu)", cap);
			return -1;
		}
		if (held == 0 || (cap < 64 && (keep & (UINT64_C(1) << cap)) != 0) ||
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno != EPERM) {
			log_error("prctl(PR_CAPBSET_DROP, %lu)", cap);
			return -1;
		}
		kept++;
	}
}

int
privs_drop_bounding_set(void)
{
	return privs_drop_bounding_set_except(0);
}

/* The header of capget/capset(2) for this process, in the 64-bit format. */
static struct __user_cap_header_struct
this_process_caps(void)
{
	return (struct __user_cap_header_struct){ .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
}

/*
 * The proof that a bounding set we could not empty bounds nothing:
 * no_new_privs (execve and set-user-ID files grant nothing), and the
 * effective, permitted, inheritable and ambient sets empty (capset can
 * only take away from the permitted set, never add).
 */
int
privs_check_powerless(int kept)
{
	struct __user_cap_header_struct hdr = this_process_caps();
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

	if (nnp == -1) {
		log_error("prctl(PR_GET_NO_NEW_PRIVS)");
		return -1;
	}
	if (nnp != 1) {
		log_errorx("the bounding set keeps %d capabilities (no CAP_SETPCAP to drop them) "
		    "and no_new_privs is not set", kept);
		return -1;
	}
	memset(data, 0, sizeof(data));	/* valgrind counts only the first word as written */
	if (syscall(SYS_capget, &hdr, data) == -1) {
		log_error("capget");
		return -1;
	}
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective != 0 || data[i].permitted != 0 || data[i].inheritable != 0) {
			log_errorx("capabilities still held after dropping them all (word %d: "
			    "effective %#x, permitted %#x, inheritable %#x)", i, data[i].effective,
			    data[i].permitted, data[i].inheritable);
			return -1;
		}
	for (unsigned long cap = 0;; cap++) {
		int amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);

		if (amb == -1 && errno == EINVAL)
			break;	/* past the last capability (or no ambient set at all) */
		if (amb == -1) {
			log_error("prctl(PR_CAP_AMBIENT_IS_SET, %lu)", cap);
			return -1;
		}
		if (amb != 0) {
			log_errorx("capability %lu still in the ambient set", cap);
			return -1;
		}
	}
	return 0;
}

/* No libcap for one call: capset(2) with every set empty. */
int
privs_clear_capabilities(void)
{
	struct __user_cap_header_struct hdr = this_process_caps();
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1) {
		log_error("capset (dropping every capability)");
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 && errno != EINVAL) {
		log_error("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
		return -1;
	}
	return 0;
}

/*
 * A filter the programs cannot get here (valgrind runs us, a sanitizer
 * build): they run without one, as the workers do without theirs, and
 * the master says so once per load (start, each reload), not each worker.
 */
static void
warn_unfiltered(const struct service_config *s)
{
	const char *why;

	if (s->confine.syscall_filter != NULL && (why = program_filter_unavailable()) != NULL)
		log_warnx("service %s: syscall_filter \"%s\" not applied, %s: its programs run "
		    "without a filter", s->name, s->confine.syscall_filter, why);
}

int
privs_check_config(const struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		if (s->enabled && s->id.drop &&
		    privs_check_possible(s->id.uid, s->id.gid, s->user, err, errlen) == -1)
			return -1;
		if (s->enabled)
			warn_unfiltered(s);
	}
	if (cfg->chroot_dir != NULL && geteuid() != 0) {
		snprintf(err, errlen, "cannot chroot workers to %s: not running as root",
		    cfg->chroot_dir);
		return -1;
	}
	return 0;
}

/*
 * What an exec service's confinement takes from its programs: the
 * bounding set they keep (capabilities = [ ... ]) and no_new_privs. In
 * the worker, while still root (dropping from the bounding set takes
 * CAP_SETPCAP), before it becomes the service's user. The worker keeps
 * its own effective capabilities: a program run as root gets, through
 * execve, exactly the bounding set's. A capability we were refused the
 * drop of would reach the programs: the worker does not start.
 */
int
privs_confine_programs(const struct service_config *svc)
{
	const struct confine_conf *c = &svc->confine;
	int kept;

	if (c->caps_set) {
		if ((kept = privs_drop_bounding_set_except(c->cap_keep)) == -1)
			return -1;
		if (kept > 0) {
			log_errorx("service %s: capabilities: %d capabilities not listed stay in the bounding set "
			    "(no CAP_SETPCAP to drop them); its programs are not started with more than asked",
			    svc->name, kept);
			return -1;
		}
	}
	if (c->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_error("service %s: prctl(PR_SET_NO_NEW_PRIVS)", svc->name);
		return -1;
	}
	return 0;
}

bool
privs_program_keeps(const struct service_config *svc, int cap)
{
	uid_t uid = svc->id.drop ? svc->id.uid : geteuid();
	const struct confine_conf *c = &svc->confine;

	return uid == 0 && (!c->caps_set || (cap >= 0 && cap < 64 && (c->cap_keep & (UINT64_C(1) << cap)) != 0));
}
