/* Time (RFC 868): seconds since 1900 in 32 bits. */
#ifndef NETSRVD_HANDLER_TIME_H
#define NETSRVD_HANDLER_TIME_H

#include <stdint.h>

/* RFC 868: seconds since 1900-01-01T00:00Z, modulo 2^32. */
uint32_t time_rfc868(int64_t unix_seconds);

#endif
