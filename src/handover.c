/* The hand-over across an exec: what a master passes to the binary it becomes (SIGUSR2), read back at the start as what was inherited, with systemd's sockets (LISTEN_FDS) as the other way in. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handover.h"
#include "listener.h"
#include "log.h"
#include "util.h"

#define SD_LISTEN_FDS_START 3
/* the largest descriptor number a hand-over may name */
#define HANDOVER_FD_MAX (1 << 20)
/* the largest worker list we read: far beyond any real pool */
#define WORKERS_FILE_MAX ((size_t)64 << 20)

/* A value being written: any length (one entry per socket). */
struct buf {
	char *s;
	size_t len, cap;
};

/* The writer's side of one variable. */
struct put {
	const struct handover *h;
	struct buf *val;
	int *workers_fd;	/* the memfd NETSRVD_WORKERS_FD names, once made */
};

/* The reader's side: what is filled in, the fds already taken, and where the first error goes. */
struct take {
	struct inherited *in;
	unsigned char *claimed;	/* a bit per fd up to HANDOVER_FD_MAX */
	const char *name;	/* the variable being read, for errors */
	char *err;
	size_t errlen;
};

/*
 * put: 1 with the value in c->val, 0 when the variable is not passed (it
 * is unset), -1 with errno set. take: value is the variable's (never
 * NULL); -1 with c->err on anything malformed.
 */
static int put_listen_fds(struct put *c);
static int take_listen_fds(struct take *c, const char *value);
static int put_pidfile_fd(struct put *c);
static int take_pidfile_fd(struct take *c, const char *value);
static int put_workers(struct put *c);
static int take_workers(struct take *c, const char *value);
static int put_workers_fd(struct put *c);
static int take_workers_fd(struct take *c, const char *value);
static int put_detached(struct put *c);
static int take_detached(struct take *c, const char *value);
static int put_recovered(struct put *c);
static int take_recovered(struct take *c, const char *value);
static int put_guard_fd(struct put *c);
static int take_guard_fd(struct take *c, const char *value);

enum handover_var {
	V_LISTEN_FDS, V_PIDFILE_FD, V_WORKERS, V_WORKERS_FD, V_DETACHED, V_RECOVERED,
	V_GUARD_FD, V_COUNT
};

/*
 * The protocol, whole: every variable an old master (or its guard) writes
 * and a new one reads, each written by one put and read back by one take,
 * read in this order. It is a contract between two binaries of different
 * releases: a name or a format changes only with a take that still reads
 * what the releases before wrote. NETSRVD_LISTEN_FDS, even empty, is what
 * makes a start an upgrade; without it the rest is ignored (and cleared).
 */
static const struct {
	const char *name;
	int (*put)(struct put *c);
	int (*take)(struct take *c, const char *value);
} vars[V_COUNT] = {
	/* the listening sockets, "FD PROTO ADDR:PORT" comma-separated; only the FD counts */
	[V_LISTEN_FDS] = { "NETSRVD_LISTEN_FDS", put_listen_fds, take_listen_fds },
	/* the locked pid file's FD */
	[V_PIDFILE_FD] = { "NETSRVD_PIDFILE_FD", put_pidfile_fd, take_pidfile_fd },
	/* releases before 0.1.1: the workers, "PID NAME" comma-separated; read, never written */
	[V_WORKERS] = { "NETSRVD_WORKERS", put_workers, take_workers },
	/* a memfd's FD: "PID NAME" lines, then tab-separated grace=S proto=tcp|udp [kind=K] [pidfd=FD] */
	[V_WORKERS_FD] = { "NETSRVD_WORKERS_FD", put_workers_fd, take_workers_fd },
	/* "1": a daemon already, not to fork again */
	[V_DETACHED] = { "NETSRVD_DETACHED", put_detached, take_detached },
	/* "1": the guard brought the old binary back */
	[V_RECOVERED] = { "NETSRVD_RECOVERED", put_recovered, take_recovered },
	/* the FD of the guard's pipe, where the new image writes 'R' once it serves */
	[V_GUARD_FD] = { "NETSRVD_UPGRADE_GUARD_FD", put_guard_fd, take_guard_fd },
};

/* --- shared by both sides ---------------------------------------------- */

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
parse_fd(const char *s, long *fd)
{
	return parse_int(s, 3, HANDOVER_FD_MAX, fd);
}

/*
 * Each descriptor is taken once, as systemd's deserializer takes an fd out
 * of its set: one named twice would be closed by one owner while another
 * uses it.
 */
static int
claim(struct take *c, long fd)
{
	unsigned char bit = (unsigned char)(1u << (fd % 8));

	if (c->claimed[fd / 8] & bit) {
		snprintf(c->err, c->errlen, "%s: fd %ld is named twice in the hand-over", c->name, fd);
		return -1;
	}
	c->claimed[fd / 8] |= bit;
	return 0;
}

/* What take_fd found; on FD_TWICE c->err says so, FD_MALFORMED is the caller's to word. */
enum fd_taken { FD_TAKEN, FD_MALFORMED, FD_TWICE };

static enum fd_taken
take_fd(struct take *c, const char *s, long *fd)
{
	if (parse_fd(s, fd) == -1)
		return FD_MALFORMED;
	return claim(c, *fd) == -1 ? FD_TWICE : FD_TAKEN;
}

/* A name or kind as a release writes it: visible ASCII (it reaches the logs), fitting size. */
static bool
is_word(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n == 0 || n >= size)
		return false;
	for (; *s != '\0'; s++)
		if (*s < '!' || *s > '~')
			return false;
	return true;
}

static int
append(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		size_t c = (b->cap + n + 1) * 2;
		char *p = realloc(b->s, c);
		if (p == NULL)
			return -1;
		b->s = p;
		b->cap = c;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
	return 0;
}

static int
put_number(struct put *c, int v)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", v);
	return append(c->val, num) == -1 ? -1 : 1;
}

/* --- the listening sockets --------------------------------------------- */

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

static int
put_listen_fds(struct put *c)
{
	char item[160];

	for (size_t i = 0; i < c->h->nls; i++) {
		snprintf(item, sizeof(item), "%s%d %s", i ? "," : "", c->h->ls[i]->fd, c->h->ls[i]->desc);
		if (append(c->val, item) == -1)
			return -1;
	}
	return 1;	/* even empty: it says this start is an upgrade */
}

static int
take_listen_fds(struct take *c, const char *value)
{
	for (const char *s = value; *s != '\0';) {
		char item[160];
		size_t len = strcspn(s, ",");
		long fd;
		enum fd_taken r;

		snprintf(item, sizeof(item), "%.*s", (int)len, s);
		item[strcspn(item, " ")] = '\0';
		if ((r = take_fd(c, item, &fd)) == FD_TWICE)
			return -1;
		if (r == FD_MALFORMED) {
			snprintf(c->err, c->errlen, "%s: bad entry \"%.*s\"", c->name, (int)len, s);
			return -1;
		}
		if (add_listener(c->in, (int)fd, "", c->err, c->errlen) == -1)
			return -1;
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* --- the pid file ------------------------------------------------------ */

static int
put_pidfile_fd(struct put *c)
{
	return c->h->pidfile_fd >= 0 ? put_number(c, c->h->pidfile_fd) : 0;
}

static int
take_pidfile_fd(struct take *c, const char *value)
{
	long v;
	enum fd_taken r = take_fd(c, value, &v);

	if (r == FD_MALFORMED)
		snprintf(c->err, c->errlen, "%s=%s: not an fd", c->name, value);
	if (r != FD_TAKEN)
		return -1;
	c->in->pidfile_fd = (int)v;
	return 0;
}

/* --- the workers ------------------------------------------------------- */

/*
 * What follows an entry's name, tab-separated key=value fields:
 * kind=HANDLER grace=SECONDS proto=tcp|udp pidfd=FD. Unknown keys are
 * skipped (a later release may add some); a known one must be well formed.
 */
static int
parse_fields(struct take *c, struct inherited_worker *w, char *fields)
{
	char *save = NULL;

	for (char *f = strtok_r(fields, "\t", &save); f != NULL; f = strtok_r(NULL, "\t", &save)) {
		long v;
		enum fd_taken r;

		if (strncmp(f, "kind=", 5) == 0 && is_word(f + 5, sizeof(w->kind)))
			snprintf(w->kind, sizeof(w->kind), "%s", f + 5);
		else if (strncmp(f, "grace=", 6) == 0 && parse_int(f + 6, -1, 0x7fffffff, &v) == 0) {
			w->grace_s = (int)v;
			w->has_grace = true;
		} else if (strcmp(f, "proto=tcp") == 0 || strcmp(f, "proto=udp") == 0)
			w->tcp = f[6] == 't';
		else if (strncmp(f, "pidfd=", 6) == 0 && (r = take_fd(c, f + 6, &v)) != FD_MALFORMED) {
			if (r == FD_TWICE)
				return -1;
			w->pidfd = (int)v;
		} else if (strncmp(f, "kind=", 5) == 0 || strncmp(f, "grace=", 6) == 0 ||
		    strncmp(f, "proto=", 6) == 0 || strncmp(f, "pidfd=", 6) == 0) {
			snprintf(c->err, c->errlen, "%s: bad field \"%.40s\"", c->name, f);
			return -1;
		}
	}
	return 0;
}

/* "pid name[\tfields]" entries separated by any of sep, added to in->workers. */
static int
parse_workers(struct take *c, const char *list, const char *sep)
{
	struct inherited *in = c->in;

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
		if (name == NULL || !is_word(name, sizeof(w->name)) ||
		    parse_int(item, 2, 0x7fffffff, &pid) == -1) {
			snprintf(c->err, c->errlen, "%s: bad entry \"%.*s\"", c->name,
			    (int)(len > 60 ? 60 : len), s);
			return -1;
		}
		w = realloc(in->workers, (in->nworkers + 1) * sizeof(*w));
		if (w == NULL) {
			snprintf(c->err, c->errlen, "out of memory");
			return -1;
		}
		in->workers = w;
		w += in->nworkers;
		memset(w, 0, sizeof(*w));
		w->pid = (pid_t)pid;
		w->pidfd = -1;
		snprintf(w->name, sizeof(w->name), "%s", name);
		if (fields != NULL && parse_fields(c, w, fields) == -1)
			return -1;
		in->nworkers++;
		s += len;
		if (*s != '\0')
			s++;
	}
	return 0;
}

static int
put_workers(struct put *c)
{
	(void)c;
	return 0;	/* the list goes in NETSRVD_WORKERS_FD: any length */
}

static int
take_workers(struct take *c, const char *value)
{
	return parse_workers(c, value, ",");
}

/* One line per worker: "pid name\tgrace=S\tproto=P[\tkind=K][\tpidfd=FD]". */
static int
format_workers(const struct handover *h, struct buf *b)
{
	char item[200];

	for (size_t i = 0; i < h->nworkers; i++) {
		const struct inherited_worker *w = &h->workers[i];
		int n = snprintf(item, sizeof(item), "%ld %s\tgrace=%d\tproto=%s", (long)w->pid,
		    w->name, w->grace_s, w->tcp ? "tcp" : "udp");
		if (w->kind[0] != '\0')
			n += snprintf(item + n, sizeof(item) - (size_t)n, "\tkind=%s", w->kind);
		if (w->pidfd >= 0)
			snprintf(item + n, sizeof(item) - (size_t)n, "\tpidfd=%d", w->pidfd);
		if (append(b, item) == -1 || append(b, "\n") == -1)
			return -1;
	}
	return 0;
}

/*
 * The worker list goes in a memfd, not in the environment: one variable
 * holds at most 128 KiB (MAX_ARG_STRLEN), some 5,000 workers, beyond which
 * execve() fails with E2BIG. The fd crosses the exec (no MFD_CLOEXEC).
 */
static int
put_workers_fd(struct put *c)
{
	struct buf list = { NULL, 0, 0 };
	int fd = -1, r = -1;

	if (append(&list, "") == -1 || format_workers(c->h, &list) == -1)
		goto out;
	if ((fd = memfd_create("netsrvd-workers", 0)) == -1)
		goto out;
	for (size_t off = 0; off < list.len;) {
		ssize_t n = write(fd, list.s + off, list.len - off);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	r = put_number(c, fd);
out:
	if (r == 1)
		*c->workers_fd = fd;
	else if (fd != -1)
		close(fd);
	free(list.s);
	return r;
}

/* The list in a file (a memfd) the old master wrote: read, then closed. */
static int
take_workers_fd(struct take *c, const char *value)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	long fd;
	enum fd_taken taken = take_fd(c, value, &fd);
	int r = -1;

	if (taken == FD_TWICE)
		return -1;
	if (taken == FD_MALFORMED || fstat((int)fd, &st) == -1 ||
	    !S_ISREG(st.st_mode) || (size_t)st.st_size > WORKERS_FILE_MAX) {
		snprintf(c->err, c->errlen, "%s=%s: not a worker list", c->name, value);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(c->err, c->errlen, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = pread((int)fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n <= 0) {
			snprintf(c->err, c->errlen, "%s: read: %s", c->name, n == 0 ? "short" : strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	r = parse_workers(c, buf, "\n");
out:
	free(buf);
	close((int)fd);
	return r;
}

/* --- what the new image is: a daemon already, or the old binary back --- */

/* A flag is "1", as every release writes it, or not passed; anything else was not written by one. */
static int
put_flag(struct put *c, bool flag)
{
	if (!flag)
		return 0;
	return append(c->val, "1") == -1 ? -1 : 1;
}

static int
take_flag(struct take *c, const char *value, bool *flag)
{
	if (strcmp(value, "1") != 0) {
		snprintf(c->err, c->errlen, "%s=%.16s: not 1", c->name, value);
		return -1;
	}
	*flag = true;
	return 0;
}

static int
put_detached(struct put *c)
{
	return put_flag(c, c->h->detached);
}

static int
take_detached(struct take *c, const char *value)
{
	return take_flag(c, value, &c->in->detached);
}

static int
put_recovered(struct put *c)
{
	return put_flag(c, c->h->recovered);
}

static int
take_recovered(struct take *c, const char *value)
{
	return take_flag(c, value, &c->in->recovered);
}

/* --- the guard --------------------------------------------------------- */

static int
put_guard_fd(struct put *c)
{
	return c->h->guard_fd >= 0 ? put_number(c, c->h->guard_fd) : 0;
}

static int
take_guard_fd(struct take *c, const char *value)
{
	struct stat st;
	long v;
	enum fd_taken r = take_fd(c, value, &v);
	int fl = -1;

	if (r == FD_TAKEN && (fstat((int)v, &st) == -1 || (fl = fcntl((int)v, F_GETFL)) == -1 ||
	    util_set_cloexec((int)v, 1) == -1))
		r = FD_MALFORMED;
	if (r == FD_MALFORMED)
		snprintf(c->err, c->errlen, "%s=%s: not an fd", c->name, value);
	if (r != FD_TAKEN)
		return -1;
	/* the guard holds the read end: ours only writes its one byte */
	if (!S_ISFIFO(st.st_mode) || (fl & O_ACCMODE) != O_WRONLY) {
		snprintf(c->err, c->errlen, "%s=%s: not a pipe's write end", c->name, value);
		return -1;
	}
	c->in->guard_fd = (int)v;
	return 0;
}

/* --- the writer -------------------------------------------------------- */

/* Sets or unsets one variable as its put says. */
static int
export_one(enum handover_var v, const struct handover *h, int *workers_fd)
{
	struct buf val = { NULL, 0, 0 };
	struct put c = { h, &val, workers_fd };
	int r = append(&val, "");

	if (r == 0)
		r = vars[v].put(&c);
	if (r == 1)
		r = setenv(vars[v].name, val.s, 1);
	else if (r == 0)
		r = unsetenv(vars[v].name);
	free(val.s);
	return r;
}

static void
clear_environment(void)
{
	for (size_t v = 0; v < V_COUNT; v++)
		unsetenv(vars[v].name);
}

/* The descriptors the variables name cross the exec: on, they do not (the memfd is made so). */
static void
set_cloexec(const struct handover *h, int on)
{
	for (size_t i = 0; i < h->nls; i++)
		if (util_set_cloexec(h->ls[i]->fd, on) == -1)
			log_warn("fcntl %s", h->ls[i]->desc);
	if (h->pidfile_fd != -1 && util_set_cloexec(h->pidfile_fd, on) == -1)
		log_warn("fcntl pid file");
}

int
handover_export(const struct handover *h, int *workers_fd)
{
	int e;

	*workers_fd = -1;
	for (size_t v = 0; v < V_COUNT; v++)
		if (export_one((enum handover_var)v, h, workers_fd) == -1)
			goto fail;
	set_cloexec(h, 0);
	return 0;
fail:
	e = errno;
	if (*workers_fd != -1) {
		close(*workers_fd);
		*workers_fd = -1;
	}
	clear_environment();
	errno = e;
	return -1;
}

int
handover_export_guard(int guard_fd)
{
	const struct handover h = { .pidfile_fd = -1, .guard_fd = guard_fd };

	return export_one(V_GUARD_FD, &h, NULL);
}

int
handover_export_recovered(void)
{
	const struct handover h = { .pidfile_fd = -1, .guard_fd = -1, .recovered = true };

	return export_one(V_RECOVERED, &h, NULL);
}

void
handover_abandon(const struct handover *h, int workers_fd)
{
	set_cloexec(h, 1);
	clear_environment();
	if (workers_fd != -1)
		close(workers_fd);
}

const char *
handover_variable(size_t i)
{
	return i < V_COUNT ? vars[i].name : NULL;
}

/* --- the reader -------------------------------------------------------- */

static int
compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* One worker, one entry: a second would wait for its pid forever, and signal whoever gets it next. */
static int
check_listed_once(const struct inherited *in, char *err, size_t errlen)
{
	pid_t *pids;
	int r = 0;

	if (in->nworkers < 2)
		return 0;
	if ((pids = malloc(in->nworkers * sizeof(*pids))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < in->nworkers; i++)
		pids[i] = in->workers[i].pid;
	qsort(pids, in->nworkers, sizeof(*pids), compare_pids);
	for (size_t i = 1; i < in->nworkers && r == 0; i++)
		if (pids[i] == pids[i - 1]) {
			snprintf(err, errlen, "hand-over: worker %ld listed twice", (long)pids[i]);
			r = -1;
		}
	free(pids);
	return r;
}

static int
collect_upgrade(struct inherited *in, char *err, size_t errlen)
{
	struct take c = { in, NULL, NULL, err, errlen };
	int r = 0;

	if (getenv(vars[V_LISTEN_FDS].name) == NULL)
		return 0;
	in->source = "upgrade";
	if ((c.claimed = calloc(HANDOVER_FD_MAX / 8 + 1, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t v = 0; v < V_COUNT && r == 0; v++) {
		const char *value = getenv(vars[v].name);

		c.name = vars[v].name;
		if (value != NULL)
			r = vars[v].take(&c, value);
	}
	free(c.claimed);
	return r == 0 ? check_listed_once(in, err, errlen) : -1;
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

int
handover_collect(struct inherited *in, char *err, size_t errlen)
{
	int r;

	memset(in, 0, sizeof(*in));
	in->pidfile_fd = -1;
	in->guard_fd = -1;
	r = collect_upgrade(in, err, errlen);
	if (r == 0 && in->source == NULL)
		r = collect_systemd(in, err, errlen);
	/* the error quotes what it refused: none of its bytes may steer a terminal or split a log line */
	for (char *p = err; r == -1 && *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	/* not for our children, nor for a binary we exec later */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	clear_environment();
	return r;
}

bool
handover_keeps_fd(const struct inherited *in, int fd)
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

/* Sockets we were given but no service wants: say so, and let them go. */
void
handover_drop_unused(struct inherited *in)
{
	for (size_t i = 0; in != NULL && i < in->nls; i++) {
		if (in->ls[i]->used)
			continue;
		if (strcmp(in->source, "systemd") == 0)
			log_warnx("socket %s passed by systemd matches no service; closing it",
			    in->ls[i]->desc);
		else
			log_info("socket %s from before the upgrade is no longer configured",
			    in->ls[i]->desc);
		listener_close(in->ls[i]);
		in->ls[i] = NULL;
	}
	for (size_t i = 0; in != NULL && i < in->nls; i++)
		if (in->ls[i] != NULL)
			log_info("service socket %s adopted from %s", in->ls[i]->desc, in->source);
}

void
handover_free(struct inherited *in)
{
	free(in->ls);
	free(in->workers);
	in->ls = NULL;
	in->workers = NULL;
	in->nls = in->nworkers = 0;
}
