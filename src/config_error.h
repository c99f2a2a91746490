/* libconfig's parse errors ("syntax error", "duplicate setting name") said with what and where. */
#ifndef NETSRVD_CONFIG_ERROR_H
#define NETSRVD_CONFIG_ERROR_H

#include <stddef.h>

/*
 * What libconfig said (why) at line of text, as -t says the rest: the
 * line at fault quoted, or the name set twice and where it was first set.
 * Into out (the part after "FILE:LINE: "); anything else is copied as is.
 */
void config_error_describe(const char *text, int line, const char *why, char *out, size_t outlen);

#endif
