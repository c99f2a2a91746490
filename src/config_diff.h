/* What a reload changes that it cannot apply (config_diff.c). */
#ifndef NETSRVD_CONFIG_DIFF_H
#define NETSRVD_CONFIG_DIFF_H

#include <stddef.h>

struct config;

/*
 * What a reload cannot apply: the keys whose row says reloadable = false
 * and whose value differs from old to new (global, log, and services of
 * one name), as "pid_file: \"/a\" -> \"/b\"", several joined by "; ",
 * into report (cut to fit). Returns how many; 0 leaves report "".
 */
size_t config_reload_changes(const struct config *old, const struct config *new,
    char *report, size_t len);

#endif
