/* netsrv.conf: freeing what the loader built, and counting what it serves. */
#ifndef NETSRVD_CONFIG_FREE_H
#define NETSRVD_CONFIG_FREE_H

#include <stddef.h>

#include "config_types.h"

void config_free(struct config *cfg);
/* One service's own memory (not s itself): one the loader refused half-built too. */
void config_service_free(struct service_config *s);
size_t config_enabled_services(const struct config *cfg);

#endif
