/* The guards on netsrv.conf's raw text, before libconfig sees it. */
#ifndef NETSRVD_CONFIG_TEXT_H
#define NETSRVD_CONFIG_TEXT_H

#include <stddef.h>

/*
 * Whether libconfig may be given text: len bytes, with a NUL at text[len].
 * Refused, with err holding "NAME[:LINE]: why" and -1 returned: a NUL byte
 * inside (not a text file), an @include (libconfig 1.5 may exit(2) on
 * one), an integer literal that libconfig 1.5 would wrap silently.
 */
int config_text_check(const char *text, size_t len, const char *name, char *err, size_t errlen);

#endif
