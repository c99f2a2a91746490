/* Dropping root in workers: setgroups, setgid, setuid, then proof it stuck. */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
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
privs_drop(uid_t uid, gid_t gid)
{
	if (geteuid() == 0) {
		if (setgroups(1, &gid) == -1) {
			log_error("setgroups(%ld)", (long)gid);
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
