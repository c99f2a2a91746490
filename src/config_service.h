/* One service's checks across its keys, once they are stored and defaulted. */
#ifndef NETSRVD_CONFIG_SERVICE_H
#define NETSRVD_CONFIG_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "config_schema.h"
#include "config_types.h"

/*
 * The keys that concern TCP connections on a UDP service, the ones that
 * need another, an interface that does not exist, the banner files read
 * (banner.h; their paths already absolute). set flags the schema rows the
 * service or the globals it inherits set. -1: *key is the key at fault,
 * why says what is wrong (the loader puts it on that key's line).
 */
int config_service_check(struct service_config *s, const bool set[SCHEMA_MAX], const char **key,
    char *why, size_t len);

#endif
