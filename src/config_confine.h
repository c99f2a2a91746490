/* A service's confinement keys, checked whole at load (the struct: confine_conf.h). */
#ifndef NETSRVD_CONFIG_CONFINE_H
#define NETSRVD_CONFIG_CONFINE_H

#include <stddef.h>

struct service_config;

/* The capability(7) name of bit n ("CAP_NET_BIND_SERVICE"), or NULL past the last this build knows. */
const char *config_cap_name(int n);
/* Its number, or -1; case as capabilities(7) writes it, "CAP_" included. */
int config_cap_number(const char *name);

/*
 * Once the service's keys are loaded: the capability names, the chroot
 * and the paths (absolute, there: under the workers' root, the service's
 * chroot or for built-ins global_chroot, as they will see them; none under
 * a private_tmp), root where a key needs it; makes caps_set, cap_keep,
 * protect and mount_ns. -1: *key is the key at fault, why says what.
 */
int config_confine_check(struct service_config *s, const char *global_chroot, const char **key, char *why,
    size_t len);
/* A path as the service's workers see it: under its chroot, if any (into buf). */
const char *config_confine_host_path(const struct service_config *s, const char *path, char *buf,
    size_t len);
void config_confine_free(struct service_config *s);

#endif
