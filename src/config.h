/* netsrv.conf: loading it whole, checking it whole (the schema: config_schema.h). */
#ifndef NETSRVD_CONFIG_H
#define NETSRVD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config_free.h"
#include "config_inetd.h"
#include "config_schema.h"
#include "config_types.h"

/*
 * Returns a new, fully checked config with every default applied, or NULL
 * with err holding "FILE:LINE: message". Never exits, never leaks.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
struct config *config_parse_string(const char *text, const char *name,
    char *err, size_t errlen);
/*
 * The same, with inetd_conf's translation (import_live_translate; NULL:
 * a configuration that sets inetd_conf is refused). What it loads with
 * but does not serve is in cfg->warnings.
 */
struct config *config_load_with(const char *path, config_inetd_translate_fn *translate,
    char *err, size_t errlen);
const char *config_proto_name(enum proto p);

/*
 * For handlers' checks (struct handler): w is the service group being
 * loaded. config_error fills the loader's error with "FILE:LINE: ...", the
 * line of key in that group (the group's own without one), and returns -1.
 * config_path_relative makes a relative path relative to the file.
 */
struct config_where;
int config_error(const struct config_where *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int config_path_relative(const struct config_where *w, char **path);
/* Whether the service group itself sets key (not inherited, not defaulted). */
bool config_where_sets(const struct config_where *w, const char *key);


#endif
