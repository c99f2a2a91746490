/* inetd_conf: an inetd.conf's entries as services, translated in a child process by --import's code. */
#ifndef NETSRVD_CONFIG_INETD_H
#define NETSRVD_CONFIG_INETD_H

#include <libconfig.h>
#include <stddef.h>
#include <stdio.h>

#include "config_types.h"

/*
 * The translation itself (import_live_translate): the services of the
 * inetd.conf at path as a libconfig text on out. Handed in by whoever
 * loads, so the loader does not depend on the importer that depends on it.
 */
typedef int config_inetd_translate_fn(const char *path, FILE *out);

/* How long a translation may take (it resolves the file's host names and users) before it is killed. */
#define CONFIG_INETD_BOUND_MS 20000

/*
 * Runs translate on cfg->inetd_conf in a child process (so an inetd.conf, however
 * hostile, can neither crash nor bloat the master, and a lookup that
 * hangs is bounded), and hands each entry that can be served to load
 * with the line it starts on (load appends it to cfg's services, or
 * returns -1 with its error in err and nothing kept). An entry refused,
 * one whose program would run as the user of built-in workers
 * (config_identity_shared), and what the translation could not carry
 * over become cfg's warnings; they never stop the rest. A path that does not exist has no entries.
 * What is wrong with the file itself (unreadable, an xinetd.conf) or with
 * the translation (it failed, took too long, said too much) is said as
 * "MAIN: inetd_conf PATH: why" in err, and -1 is returned.
 */
typedef int config_inetd_load_fn(const char *path, int line, const config_setting_t *svc, void *arg);
int config_inetd_each(struct config *cfg, config_inetd_translate_fn *translate, config_inetd_load_fn *load,
    void *arg, char *err, size_t errlen);

#endif
