/* Whom workers run as: user and group names to ids, a user's groups, who may share a user. */
#ifndef NETSRVD_CONFIG_IDENTITY_H
#define NETSRVD_CONFIG_IDENTITY_H

#include <stddef.h>
#include <sys/types.h>

struct config;
struct identity;
struct service_config;

/*
 * Each check returns 0, or -1 with why saying what is wrong (the message
 * after "FILE:LINE: ") and *key the setting at fault, whose line the
 * loader names (NULL: the group's own line).
 */

/* user and group (either may be NULL) to ids in id, for the global keys or a service's. */
int config_identity_resolve(const char *user, const char *group, struct identity *id,
    const char **key, char *why, size_t len);
/* groups = true: the service user's groups, as initgroups(3) would set them, into s->id. */
int config_identity_groups(struct service_config *s, const char **key, char *why, size_t len);
/*
 * The first enabled service whose programs would run as the user of a
 * built-in service's workers without share_user: its index, why filled;
 * or -1 when there is none.
 */
ssize_t config_identity_shared(const struct config *cfg, char *why, size_t len);

#endif
