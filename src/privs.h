/* Dropping root in workers: setgroups, setgid, setuid, then proof it stuck; every capability. */
#ifndef NETSRVD_PRIVS_H
#define NETSRVD_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

struct config;

/* What the workers of cfg will need to do (their users, the chroot), we must be able to do: 0, or -1 and err. */
int privs_check_config(const struct config *cfg, char *err, size_t errlen);
int privs_check_possible(uid_t uid, gid_t gid, const char *user, char *err, size_t errlen);
/* groups NULL: gid alone; else exactly those (the user's, groups = true). */
int privs_drop(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups);
/*
 * Drops every capability the bounding set holds (call while still root:
 * it takes CAP_SETPCAP); returns how many it was refused (no CAP_SETPCAP),
 * or -1. Then, after any setuid, privs_clear_capabilities empties the
 * effective, permitted, inheritable and ambient sets: a worker that stays
 * root keeps none. privs_check_powerless proves, after both, that the kept
 * capabilities cannot come back (no_new_privs, every other set empty).
 */
int privs_drop_bounding_set(void);
int privs_clear_capabilities(void);
int privs_check_powerless(int kept);

#endif
