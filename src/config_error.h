/* libconfig's parse errors ("syntax error", "duplicate setting name") said with what and where. */
#ifndef NETSRVD_CONFIG_ERROR_H
#define NETSRVD_CONFIG_ERROR_H

#include <libconfig.h>
#include <stddef.h>

/* The main file and each drop-in: more is no configuration but a mistake. */
#define CONFIG_MAX_BYTES (16u << 20)

/*
 * What libconfig said (why) at line of text, as -t says the rest: the
 * line at fault quoted, or the name set twice and where it was first set.
 * Into out (the part after "FILE:LINE: "); anything else is copied as is.
 */
void config_error_describe(const char *text, int line, const char *why, char *out, size_t outlen);

/* A text libconfig could not parse (lc), said as -t says the rest: "FILE:LINE: why" into err. */
void config_error_report(const config_t *lc, const char *text, const char *name, char *err, size_t errlen);

/* Why util_read_file refused a configuration file, from its errno. */
const char *config_read_error(int e);

/* Adds a warning to w (config_types.h), or counts it past the bound. */
struct config_warnings;
void config_warn(struct config_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void config_warnings_free(struct config_warnings *w);

#endif
