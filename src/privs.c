/* Dropping root in workers: setgroups, setgid, setuid, then proof it stuck; every capability. */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

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

int
privs_drop_bounding_set(void)
{
	for (unsigned long cap = 0;; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			return 0;	/* past the last capability this kernel knows */
		if (errno == EPERM && geteuid() != 0)
			return 0;	/* an unprivileged master has nothing to give */
		log_error("prctl(PR_CAPBSET_DROP, %lu)", cap);
		return -1;
	}
}

/* No libcap for one call: capset(2) with every set empty. */
int
privs_clear_capabilities(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
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
