/* Dropping root in workers: setgroups, setgid, setuid, then proof it stuck; every capability. */
#ifndef NETSRVD_PRIVS_H
#define NETSRVD_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct config;
struct service_config;

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
/*
 * The same, but the capabilities in keep (bit n: capability n, as
 * confine.cap_keep) stay: what an exec service's programs may still hold
 * (capabilities = [ ... ]). Returns how many others it was refused, or -1.
 */
int privs_drop_bounding_set_except(uint64_t keep);
int privs_clear_capabilities(void);
int privs_check_powerless(int kept);
/*
 * An exec worker's part of the service's confinement, while still root:
 * the bounding set cut to confine.cap_keep (when capabilities is set) and
 * no_new_privs (no_new_privileges), both inherited by its programs.
 * 0, or -1 logged.
 */
int privs_confine_programs(const struct service_config *svc);
/*
 * Whether svc's programs hold capability cap once they run: run as root
 * (execve gives root the bounding set), and the bounding set keeps it.
 */
bool privs_program_keeps(const struct service_config *svc, int cap);

#endif
