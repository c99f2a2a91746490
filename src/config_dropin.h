/* include_dir: which files of the drop-in directory are drop-ins, in the order they load. */
#ifndef NETSRVD_CONFIG_DROPIN_H
#define NETSRVD_CONFIG_DROPIN_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Whether a directory entry's name is a drop-in: it ends in ".conf" and is
 * no editor's or package manager's leftover (a leading ".", a "~", or
 * ".dpkg-" / ".ucf-" in it: x.conf.dpkg-dist, .x.conf.swp, x.conf~).
 */
bool config_dropin_wanted(const char *name);

/*
 * The drop-ins of dir, as "dir/name" paths sorted by name (strcmp, so the
 * order is the same on every host and in every locale). Entries are not
 * opened here: what a name points to (a symlink, a FIFO, a directory) is
 * for the reader to refuse. Returns 0 with *paths (free with
 * config_dropin_free) and *n, or -1 with err saying why, naming dir.
 */
int config_dropin_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen);
void config_dropin_free(char **paths, size_t n);

/*
 * Reads, guards and parses every drop-in of dir in order, and hands each
 * one's "services" list to load (with arg), which reports its own errors
 * into err and returns -1 to stop. What is wrong with a drop-in itself (it
 * cannot be read, is no regular file, does not parse, holds a global
 * setting, holds no list) is said here as "DROPIN[:LINE]: why"; what is
 * wrong with dir, as "MAIN: include_dir DIR: why". Returns 0 or -1.
 */
typedef int config_dropin_load_fn(const char *path, const config_setting_t *list, void *arg);
int config_dropin_each(const char *dir, const char *main, config_dropin_load_fn *load, void *arg,
    char *err, size_t errlen);

#endif
