/* Dropping root in workers: setgroups, setgid, setuid, then proof it stuck. */
#ifndef NETSRVD_PRIVS_H
#define NETSRVD_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

int privs_check_possible(uid_t uid, gid_t gid, const char *user, char *err, size_t errlen);
int privs_drop(uid_t uid, gid_t gid);

#endif
