/* What a master may inherit at start: sockets from systemd (LISTEN_FDS), or sockets, pid file and workers from the master it replaces (SIGUSR2). */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inherit.h"
#include "listener.h"
#include "log.h"
#include "util.h"

#define SD_LISTEN_FDS_START 3

static int
parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
add_listener(struct inherited *in, int fd, const char *name, char *err, size_t errlen)
{
	struct listener **ls = realloc(in->ls, (in->nls + 1) * sizeof(struct listener *));
	struct listener *l;

	if (ls == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	in->ls = ls;
	l = listener_from_fd(fd, name, err, errlen);
	if (l == NULL)
		return -1;
	in->ls[in->nls++] = l;
	return 0;
}

/*
 * systemd's socket activation: LISTEN_PID is us, LISTEN_FDS sockets start
 * at fd 3, LISTEN_FDNAMES names them (colon-separated) for our logs.
 */
static int
collect_systemd(struct inherited *in, char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	long p, n;

	if (pid == NULL || fds == NULL)
		return 0;
	if (parse_int(pid, 1, 0x7fffffff, &p) == -1 || parse_int(fds, 0, 1024, &n) == -1) {
		snprintf(err, errlen, "LISTEN_PID=%s LISTEN_FDS=%s: not numbers", pid, fds);
		return -1;
	}
	if ((pid_t)p != getpid())
		return 0;	/* meant for another process */
	in->source = "systemd";
	for (long i = 0; i < n; i++) {
		char name[64] = "";
		if (names != NULL) {
			const char *s = names;
			for (long k = 0; k < i && s != NULL; k++)
				if ((s = strchr(s, ':')) != NULL)
					s++;
			if (s != NULL)
				snprintf(name, sizeof(name), "%.*s", (int)strcspn(s, ":"), s);
		}
		if (add_listener(in, SD_LISTEN_FDS_START + (int)i, name, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * What follows an entry's name, tab-separated key=value fields:
 * kind=HANDLER grace=SECONDS proto=tcp|udp pidfd=FD. Unknown keys are
 * skipped (a later release may add some); a known one must be well formed.
 */
static int
parse_fields(struct inherited_worker *w, char *fields, const char *what, char *err, size_t errlen)
{
	char *save = NULL;

	for (char *f = strtok_r(fields, "\t", &save); f != NULL; f = strtok_r(NULL, "\t", &save)) {
		long v;

		if (strncmp(f, "kind=", 5) == 0 && f[5] != '\0' && strlen(f + 5) < sizeof(w->kind))
			snprintf(w->kind, sizeof(w->kind), "%s", f + 5);
		else if (strncmp(f, "grace=", 6) == 0 && parse_int(f + 6, -1, 0x7fffffff, &v) == 0) {
			w->grace_s = (int)v;
			w->has_grace = true;
		} else if (strcmp(f, "proto=tcp") == 0 || strcmp(f, "proto=udp") == 0)
			w->tcp = f[6] == 't';
		else if (strncmp(f, "pidfd=", 6) == 0 && parse_int(f + 6, 3, 1 << 20, &v) == 0)
			w->pidfd = (int)v;
		else if (strncmp(f, "kind=", 5) == 0 || strncmp(f, "grace=", 6) == 0 ||
		    strncmp(f, "proto=", 6) == 0 || strncmp(f, "pidfd=", 6) == 0) {
			snprintf(err, errlen, "%s: bad field \"%.40s\"", what, f);
			return -1;
		}
	}
	return 0;
}

/* "pid name[\tfields]" entries separated by any of sep, added to in->workers. */
static int
parse_workers(struct inherited *in, const char *list, const char *sep, const char *what,
    char *err, size_t errlen)
{
	for (const char *s = list; *s != '\0';) {
		size_t len = strcspn(s, sep);
		char item[200], *name, *fields;
		long pid;
		struct inherited_worker *w;

		snprintf(item, sizeof(item), "%.*s", (int)len, s);
		fields = strchr(item, '\t');
		if (fields != NULL)
			*fields++ = '\0';
		name = strchr(item, ' ');
		if (name != NULL)
			*name++ = '\0';
		if (name == NULL || *name == '\0' || parse_int(item, 2, 0x7fffffff, &pid) == -1) {
			snprintf(err, errlen, "%s: bad entry \"%.*s\"", what, (int)(len > 60 ? 60 : len), s);
			return -1;
		}
		w = realloc(in->workers, (in->nworkers + 1) * sizeof(*w));
		if (w == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		in->workers = w;
		w += in->nworkers;
		memset(w, 0, sizeof(*w));
		w->pid = (pid_t)pid;
		w->pidfd = -1;
		snprintf(w->name, sizeof(w->name), "%s", name);
		if (fields != NULL && parse_fields(w, fields, what, err, errlen) == -1)
			return -1;
		in->nworkers++;
		s += len;
		if (*s != '\0')
			s++;
	}
	return 0;
}

/* the largest worker list we read: far beyond any real pool */
#define WORKERS_FILE_MAX ((size_t)64 << 20)

/* The list in a file (a memfd) the old master wrote: any length, unlike the environment. */
static int
read_workers_fd(struct inherited *in, const char *fdstr, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	long fd;
	int r = -1;

	if (parse_int(fdstr, 3, 1 << 20, &fd) == -1 || fstat((int)fd, &st) == -1 ||
	    !S_ISREG(st.st_mode) || (size_t)st.st_size > WORKERS_FILE_MAX) {
		snprintf(err, errlen, "NETSRVD_WORKERS_FD=%s: not a worker list", fdstr);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = pread((int)fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n <= 0) {
			snprintf(err, errlen, "NETSRVD_WORKERS_FD: read: %s", n == 0 ? "short" : strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	r = parse_workers(in, buf, "\n", "NETSRVD_WORKERS_FD", err, errlen);
out:
	free(buf);
	close((int)fd);
	return r;
}

/*
 * From the master that exec'd us: NETSRVD_LISTEN_FDS="fd proto addr:port,..."
 * (each socket is checked with getsockname all the same),
 * NETSRVD_PIDFILE_FD, NETSRVD_WORKERS_FD (a file of "pid name" lines, each
 * with the worker's kind and grace after a tab; releases before 0.1.1
 * passed NETSRVD_WORKERS="pid name,..."), NETSRVD_DETACHED.
 */
static int
collect_upgrade(struct inherited *in, char *err, size_t errlen)
{
	const char *fds = getenv("NETSRVD_LISTEN_FDS");
	const char *pidfd = getenv("NETSRVD_PIDFILE_FD");
	const char *workers = getenv("NETSRVD_WORKERS");
	const char *workers_fd = getenv("NETSRVD_WORKERS_FD");
	const char *guard = getenv("NETSRVD_UPGRADE_GUARD_FD");
	long v;

	if (fds == NULL)
		return 0;
	in->source = "upgrade";
	for (const char *s = fds; *s != '\0';) {
		char item[160];
		size_t len = strcspn(s, ",");
		long fd;

		/* "fd proto addr:port": the fd is what counts; the rest is for people */
		snprintf(item, sizeof(item), "%.*s", (int)len, s);
		item[strcspn(item, " ")] = '\0';
		if (parse_int(item, 3, 1 << 20, &fd) == -1) {
			snprintf(err, errlen, "NETSRVD_LISTEN_FDS: bad entry \"%.*s\"", (int)len, s);
			return -1;
		}
		if (add_listener(in, (int)fd, "", err, errlen) == -1)
			return -1;
		s += len;
		if (*s == ',')
			s++;
	}
	if (pidfd != NULL) {
		if (parse_int(pidfd, 3, 1 << 20, &v) == -1) {
			snprintf(err, errlen, "NETSRVD_PIDFILE_FD=%s: not an fd", pidfd);
			return -1;
		}
		in->pidfile_fd = (int)v;
	}
	if (workers != NULL && parse_workers(in, workers, ",", "NETSRVD_WORKERS", err, errlen) == -1)
		return -1;
	if (workers_fd != NULL && read_workers_fd(in, workers_fd, err, errlen) == -1)
		return -1;
	in->detached = getenv("NETSRVD_DETACHED") != NULL;
	in->recovered = getenv("NETSRVD_RECOVERED") != NULL;
	if (guard != NULL) {
		if (parse_int(guard, 3, 1 << 20, &v) == -1 || util_set_cloexec((int)v, 1) == -1) {
			snprintf(err, errlen, "NETSRVD_UPGRADE_GUARD_FD=%s: not an fd", guard);
			return -1;
		}
		in->guard_fd = (int)v;
	}
	return 0;
}

int
inherit_collect(struct inherited *in, char *err, size_t errlen)
{
	static const char *const vars[] = {
		"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NETSRVD_LISTEN_FDS",
		"NETSRVD_PIDFILE_FD", "NETSRVD_WORKERS", "NETSRVD_WORKERS_FD", "NETSRVD_DETACHED",
		"NETSRVD_UPGRADE_GUARD_FD", "NETSRVD_RECOVERED",
	};
	int r;

	memset(in, 0, sizeof(*in));
	in->pidfile_fd = -1;
	in->guard_fd = -1;
	r = collect_upgrade(in, err, errlen);
	if (r == 0 && in->source == NULL)
		r = collect_systemd(in, err, errlen);
	/* not for our children, nor for a binary we exec later */
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return r;
}

bool
inherit_keeps_fd(const struct inherited *in, int fd)
{
	if (fd == in->pidfile_fd || fd == in->guard_fd)
		return true;
	for (size_t i = 0; i < in->nworkers; i++)
		if (in->workers[i].pidfd == fd)
			return true;
	for (size_t i = 0; i < in->nls; i++)
		if (in->ls[i] != NULL && in->ls[i]->fd == fd)
			return true;
	return false;
}

void
inherit_free(struct inherited *in)
{
	free(in->ls);
	free(in->workers);
	in->ls = NULL;
	in->workers = NULL;
	in->nls = in->nworkers = 0;
}

static int
append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t c = (*cap + n + 1) * 2;
		char *b = realloc(*buf, c);
		if (b == NULL)
			return -1;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

/*
 * The worker list goes in a memfd, not in the environment: one variable
 * holds at most 128 KiB (MAX_ARG_STRLEN), some 5,000 workers, beyond which
 * execve() fails with E2BIG. The fd crosses the exec (no MFD_CLOEXEC).
 */
static int
export_workers(const char *list, size_t len, int *fd_out)
{
	char num[16];
	int fd = memfd_create("netsrvd-workers", 0);

	if (fd == -1)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, list + off, len - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	snprintf(num, sizeof(num), "%d", fd);
	if (setenv("NETSRVD_WORKERS_FD", num, 1) == -1 || unsetenv("NETSRVD_WORKERS") == -1) {
		close(fd);
		return -1;
	}
	*fd_out = fd;
	return 0;
}

int
inherit_export(struct listener *const *ls, size_t nls, int pidfile_fd,
    const struct inherited_worker *workers, size_t nworkers, bool detached, int *workers_fd)
{
	char *buf = NULL, item[200];
	size_t len = 0, cap = 0;
	int r = -1;

	*workers_fd = -1;
	if (append(&buf, &len, &cap, "") == -1)
		return -1;
	for (size_t i = 0; i < nls; i++) {
		snprintf(item, sizeof(item), "%s%d %s", i ? "," : "", ls[i]->fd, ls[i]->desc);
		if (append(&buf, &len, &cap, item) == -1)
			goto out;
	}
	if (setenv("NETSRVD_LISTEN_FDS", buf, 1) == -1)
		goto out;
	len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < nworkers; i++) {
		const struct inherited_worker *w = &workers[i];
		int n = snprintf(item, sizeof(item), "%ld %s\tgrace=%d\tproto=%s", (long)w->pid,
		    w->name, w->grace_s, w->tcp ? "tcp" : "udp");
		if (w->kind[0] != '\0')
			n += snprintf(item + n, sizeof(item) - (size_t)n, "\tkind=%s", w->kind);
		if (w->pidfd >= 0)
			snprintf(item + n, sizeof(item) - (size_t)n, "\tpidfd=%d", w->pidfd);
		if (append(&buf, &len, &cap, item) == -1 || append(&buf, &len, &cap, "\n") == -1)
			goto out;
	}
	if (export_workers(buf, len, workers_fd) == -1)
		goto out;
	snprintf(item, sizeof(item), "%d", pidfile_fd);
	if (pidfile_fd >= 0 && setenv("NETSRVD_PIDFILE_FD", item, 1) == -1)
		goto out;
	if (detached && setenv("NETSRVD_DETACHED", "1", 1) == -1)
		goto out;
	r = 0;
out:
	if (r == -1 && *workers_fd != -1) {
		close(*workers_fd);
		*workers_fd = -1;
	}
	free(buf);
	return r;
}
