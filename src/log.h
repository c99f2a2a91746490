/* Logging to syslog, stderr or an append-only file, shared by master and workers. */
#ifndef NETSRVD_LOG_H
#define NETSRVD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARNING,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

/* Where log lines go; a target of NULL means stderr. */
struct log_settings {
	const char *target;	/* "syslog", "stderr" or an absolute path */
	int facility;		/* syslog facility (LOG_DAEMON, ...) */
	enum log_level level;
};

void log_init(const char *ident);
int log_apply(const struct log_settings *ls, char *err, size_t errlen);
int log_reopen(void);
void log_close(void);
void log_set_ident(const char *ident);
bool log_enabled(enum log_level lvl);

int log_level_parse(const char *name, enum log_level *out);
int log_facility_parse(const char *name, int *out);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the access log: written whatever the level, when log.connections is on */
void log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
