/* The systemd notify protocol (sd_notify), spoken directly over NOTIFY_SOCKET. */
#ifndef NETSRVD_NOTIFY_H
#define NETSRVD_NOTIFY_H

int notify_init(void);
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int notify_fd(void);
void notify_close(void);

#endif
