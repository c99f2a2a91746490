/* The systemd notify protocol (sd_notify), spoken directly over NOTIFY_SOCKET. */
#ifndef NETSRVD_NOTIFY_H
#define NETSRVD_NOTIFY_H

#include <stdint.h>

int notify_init(void);
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int notify_fd(void);
/* Half of WATCHDOG_USEC when systemd asks us for keep-alives, else -1. */
int64_t notify_watchdog_ms(void);
void notify_close(void);

#endif
