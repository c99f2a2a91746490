/* Daytime (RFC 867): the line, formatted without the locale. */
#ifndef NETSRVD_HANDLER_DAYTIME_H
#define NETSRVD_HANDLER_DAYTIME_H

#include <stddef.h>
#include <time.h>

/* Room for any daytime line, NUL included. */
#define DAYTIME_MAX		64
/*
 * The RFC 867 line for t: "Wednesday, November 25, 2026 07:38:47-UTC\r\n",
 * English whatever the locale. Returns its length (the NUL not counted),
 * or 0 if t cannot be converted or len is too small.
 */
size_t daytime_format(time_t t, char *buf, size_t len);

#endif
