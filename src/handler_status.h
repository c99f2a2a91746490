/* status: what the status handler formats, for its TCP half and its tests. */
#ifndef NETSRVD_HANDLER_STATUS_H
#define NETSRVD_HANDLER_STATUS_H

#include <stddef.h>

/*
 * The plain-text status and the Prometheus text, into buf; return the
 * length (0 before the handler's init ran in this process).
 */
size_t status_format_text(char *buf, size_t len);
size_t status_format_metrics(char *buf, size_t len);

#endif
