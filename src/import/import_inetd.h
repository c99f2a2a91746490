/* --import: inetd.conf (openbsd-inetd, the BSDs' and netkit's inetd). */
#ifndef NETSRVD_IMPORT_INETD_H
#define NETSRVD_IMPORT_INETD_H

#include <stdbool.h>

#include "import_model.h"

/* update-inetd's mark of a disabled entry */
#define IMPORT_INETD_OFF "#<off>#"

/* line (no newline) is an inetd.conf service entry or a "host:" default line. */
bool import_inetd_is_entry(const char *line);

/* Every entry of text (the file at path) appended to r as a service. */
void import_inetd_parse(struct import_result *r, const struct import_host *h,
    const char *path, const char *text);

#endif
