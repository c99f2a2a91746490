/* Logging to syslog, stderr or an append-only file, shared by master and workers. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_kind { LOG_TO_STDERR, LOG_TO_SYSLOG, LOG_TO_FILE };

/* How a line goes out without waiting (see stderr_nonblocking). */
enum log_write {
	WRITE_PLAIN,		/* write(): a file, a terminal, our own O_NONBLOCK pipe */
	WRITE_SEND,		/* send(MSG_DONTWAIT): a socket */
	WRITE_POLL		/* write() if poll() says it will not wait: a shared pipe */
};

static struct {
	enum log_kind kind;
	enum log_level level;
	int facility;
	int fd;			/* stderr or the open file */
	enum log_write how;
	/* lines this process could not write at once, not yet reported */
	unsigned long dropped;
	pid_t dropped_pid;	/* the process they belong to (not a parent's) */
	bool torn;		/* a socket took part of a line: end it first */
	char path[4096];
	char ident[64];
} lg = { .kind = LOG_TO_STDERR, .level = LOG_LVL_INFO, .facility = LOG_DAEMON,
	.fd = STDERR_FILENO, .how = WRITE_PLAIN, .ident = "netsrvd" };

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[LOG_LVL_ERROR] = LOG_ERR,
	[LOG_LVL_WARNING] = LOG_WARNING,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ .name = "daemon", .value = LOG_DAEMON },
	{ .name = "user", .value = LOG_USER },
	{ .name = "auth", .value = LOG_AUTH },
	{ .name = "authpriv", .value = LOG_AUTHPRIV },
	{ .name = "local0", .value = LOG_LOCAL0 },
	{ .name = "local1", .value = LOG_LOCAL1 },
	{ .name = "local2", .value = LOG_LOCAL2 },
	{ .name = "local3", .value = LOG_LOCAL3 },
	{ .name = "local4", .value = LOG_LOCAL4 },
	{ .name = "local5", .value = LOG_LOCAL5 },
	{ .name = "local6", .value = LOG_LOCAL6 },
	{ .name = "local7", .value = LOG_LOCAL7 },
};

int
log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

int
log_facility_parse(const char *name, int *out)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(name, facilities[i].name) == 0) {
			*out = facilities[i].value;
			return 0;
		}
	return -1;
}

void
log_init(const char *ident)
{
	log_set_ident(ident);
	/*
	 * glibc reads /etc/localtime on the first time conversion; do it now,
	 * in the master, so no worker does it inside its chroot or seccomp.
	 */
	tzset();
}

void
log_set_ident(const char *ident)
{
	snprintf(lg.ident, sizeof(lg.ident), "%s", ident);
}

/* What a path that is not a regular file is, for the message. */
static const char *
file_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link (not followed)";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

/*
 * The master opens the log as root, in a directory that may be someone
 * else's: a symbolic link planted there would make root append to any
 * file, a FIFO would hang the open. So the last component is never
 * followed (O_NOFOLLOW), the open never waits (O_NONBLOCK, which means
 * nothing to a regular file), and only a regular file is kept.
 */
static int
open_log_file(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
	    O_NOFOLLOW | O_NONBLOCK, 0640);
	if (fd == -1) {
		int saved = errno;
		/* ELOOP, ENXIO (a FIFO with no reader): say what is there */
		if ((saved == ELOOP || saved == ENXIO) && lstat(path, &sb) == 0 &&
		    !S_ISREG(sb.st_mode))
			snprintf(err, errlen, "log file %s is %s", path, file_kind(sb.st_mode));
		else
			snprintf(err, errlen, "cannot open log file %s: %s", path, strerror(saved));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "cannot stat log file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "log file %s is %s", path, file_kind(sb.st_mode));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Standard error may be a pipe or a socket that nobody reads, and a
 * blocking write() to it would stop every worker. A pipe needs O_NONBLOCK
 * to make write() return at once, but its open file description is shared
 * with whoever started us (a shell, a supervisor), whose writes would then
 * fail with EAGAIN. So the pipe is opened again through /proc/self/fd/2,
 * which makes a description of our own, and that goes in place of fd 2. A
 * socket needs no flag: send() takes MSG_DONTWAIT on each call. Without
 * /proc (or with no reader yet) a pipe is written only when poll() says it
 * has room, which another process can still take first.
 */
static enum log_write
stderr_nonblocking(void)
{
	struct stat sb;
	int fd;

	if (fstat(STDERR_FILENO, &sb) == -1)
		return WRITE_PLAIN;
	if (S_ISSOCK(sb.st_mode))
		return WRITE_SEND;
	if (!S_ISFIFO(sb.st_mode))
		return WRITE_PLAIN;	/* a file, a terminal, /dev/null */
	fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return WRITE_POLL;
	if (dup2(fd, STDERR_FILENO) == -1) {
		close(fd);
		return WRITE_POLL;
	}
	close(fd);
	return WRITE_PLAIN;
}

/*
 * Switches to the target in ls. A file target is opened before the old one
 * is closed, so a failure leaves logging where it was.
 */
int
log_apply(const struct log_settings *ls, char *err, size_t errlen)
{
	enum log_kind kind = LOG_TO_STDERR;
	int fd = STDERR_FILENO;

	if (ls->target != NULL && strcmp(ls->target, "syslog") == 0)
		kind = LOG_TO_SYSLOG;
	else if (ls->target != NULL && strcmp(ls->target, "stderr") != 0) {
		kind = LOG_TO_FILE;
		fd = open_log_file(ls->target, err, errlen);
		if (fd == -1)
			return -1;
	}
	if (lg.kind == LOG_TO_FILE && lg.fd != STDERR_FILENO)
		close(lg.fd);
	if (lg.kind == LOG_TO_SYSLOG && kind != LOG_TO_SYSLOG)
		closelog();
	lg.kind = kind;
	lg.fd = fd;
	lg.how = kind == LOG_TO_STDERR ? stderr_nonblocking() : WRITE_PLAIN;
	lg.level = ls->level;
	lg.facility = ls->facility;
	if (kind == LOG_TO_FILE)
		snprintf(lg.path, sizeof(lg.path), "%s", ls->target);
	if (kind == LOG_TO_SYSLOG)
		openlog(lg.ident, LOG_PID | LOG_NDELAY, lg.facility);
	return 0;
}

/* Log rotation: the old file was renamed away; start a new one at the path. */
int
log_reopen(void)
{
	char err[4200];
	int fd;

	if (lg.kind != LOG_TO_FILE)
		return 0;
	fd = open_log_file(lg.path, err, sizeof(err));
	if (fd == -1) {
		log_warnx("%s; logging stays on the file opened before", err);
		return -1;
	}
	if (dup3(fd, lg.fd, O_CLOEXEC) == -1) {
		log_warn("cannot reopen log file %s", lg.path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void
log_close(void)
{
	if (lg.kind == LOG_TO_FILE)
		close(lg.fd);
	if (lg.kind == LOG_TO_SYSLOG)
		closelog();
	lg.kind = LOG_TO_STDERR;
	lg.fd = STDERR_FILENO;
}

bool
log_enabled(enum log_level lvl)
{
	return lvl <= lg.level;
}

/* "TIME ident[pid]: level: " at the start of line; returns its length. */
static size_t
line_prefix(char *line, size_t len, enum log_level lvl)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, len, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	r = snprintf(line + n, len - n, "%s[%ld]: %s: ", lg.ident, (long)getpid(),
	    level_names[lvl]);
	if (r > 0)
		n += (size_t)r < len - n ? (size_t)r : len - n - 1;
	return n;
}

/* Writes buf if that needs no waiting; true if all of it went. */
static bool
write_now(const char *buf, size_t n)
{
	struct pollfd pfd = { .fd = lg.fd, .events = POLLOUT };
	ssize_t w;

	do {
		if (lg.how == WRITE_SEND)
			w = send(lg.fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		else if (lg.how == WRITE_POLL && poll(&pfd, 1, 0) == 0) {
			w = -1;
			errno = EAGAIN;
		} else
			w = write(lg.fd, buf, n);
	} while (w == -1 && errno == EINTR);
	if (w > 0 && (size_t)w < n)
		lg.torn = true;
	return w >= 0 && (size_t)w == n;
}

/* Before the next line: end a torn one, say how many were dropped. */
static bool
catch_up(void)
{
	char note[256];
	size_t n = 0;
	bool was_torn = lg.torn;
	int r;

	if (was_torn)
		note[n++] = '\n';
	if (lg.dropped > 0) {
		n += line_prefix(note + n, sizeof(note) - n, LOG_LVL_WARNING);
		r = snprintf(note + n, sizeof(note) - n,
		    "%lu log lines dropped: the log target did not take them in time\n", lg.dropped);
		if (r > 0)
			n += (size_t)r < sizeof(note) - n ? (size_t)r : sizeof(note) - n - 1;
	}
	lg.torn = false;
	if (!write_now(note, n)) {
		lg.torn = lg.torn || was_torn;	/* the newline did not go either */
		return false;
	}
	lg.dropped = 0;
	return true;
}

/*
 * A log line never holds up serving: one the target cannot take at once
 * (a stderr pipe nobody reads, a full socket) is dropped and counted, and
 * the count is written before the next line that gets through. Each
 * process counts its own: a worker forked from the master starts at 0.
 */
static void
note_dropped(void)
{
	if (lg.dropped++ == 0)
		lg.dropped_pid = getpid();
}

static void
put_line(const char *line, size_t n)
{
	/* a count a fork inherited is the parent's to report (getpid only then: lines are hot) */
	if (lg.dropped > 0 && lg.dropped_pid != getpid())
		lg.dropped = 0;
	if ((lg.torn || lg.dropped > 0) && !catch_up()) {
		note_dropped();
		return;
	}
	if (!write_now(line, n))
		note_dropped();
}

/*
 * One write() per line: the file is O_APPEND and shared by every process,
 * so lines from master and workers never interleave mid-line.
 */
static void log_emit(enum log_level lvl, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_emit(enum log_level lvl, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n = 0;
	int r;

	if (lvl > LOG_LVL_DEBUG) {
		lvl = LOG_LVL_INFO;	/* the access log */
	} else if (!log_enabled(lvl))
		return;
	if (lg.kind != LOG_TO_SYSLOG)
		n = line_prefix(line, sizeof(line), lvl);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	if (errnum != 0) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
		if (r > 0)
			n += (size_t)r;
		if (n >= sizeof(line) - 1)
			n = sizeof(line) - 2;
	}
	if (lg.kind == LOG_TO_SYSLOG) {
		line[n] = '\0';
		syslog(syslog_prio[lvl], "%s", line);
		return;
	}
	line[n++] = '\n';
	put_line(line, n);
}

#define LOG_FN(fn, lvl, with_errno)				\
	void							\
	fn(const char *fmt, ...)				\
	{							\
		int saved = errno;				\
		va_list ap;					\
		va_start(ap, fmt);				\
		log_emit(lvl, (with_errno) ? saved : 0, fmt, ap);	\
		va_end(ap);					\
		errno = saved;					\
	}

LOG_FN(log_error, LOG_LVL_ERROR, 1)
LOG_FN(log_errorx, LOG_LVL_ERROR, 0)
LOG_FN(log_warn, LOG_LVL_WARNING, 1)
LOG_FN(log_warnx, LOG_LVL_WARNING, 0)
LOG_FN(log_notice, LOG_LVL_NOTICE, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)
LOG_FN(log_access, LOG_LVL_DEBUG + 1, 0)
