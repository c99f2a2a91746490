/* exec: the sysadmin's own program per connection (TCP, inetd's nowait) or per quiet socket (UDP or TCP, wait). */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "cgroup.h"
#include "config.h"
#include "config_confine.h"
#include "control.h"
#include "exec_spawn.h"
#include "exec_watch.h"
#include "handler.h"
#include "log.h"
#include "orphans.h"
#include "perm.h"
#include "pool.h"
#include "sig.h"
#include "sockdiag.h"
#include "stats.h"
#include "util.h"
#ifdef HAVE_TLS
#include "tls_conn.h"
#include "tls_relay.h"
#endif

/* An unset limit: the program inherits ours. */
#define LIMIT_UNSET (-1)

struct exec_limits {
	int cpu;			/* seconds */
	long long memory;		/* bytes of address space */
	int files;
	int processes;
	long long core;			/* bytes */
	long long fsize;		/* bytes */
};

struct exec_conf {
	struct config_strv command;
	bool wait;
	struct config_strv env;
	struct config_strv passenv;
	struct exec_limits limits;
	int max_runtime;
	char **argv;			/* command, NULL-terminated (check makes it) */
};

/* --- config ---------------------------------------------------------------- */

static int
check_env(const struct service_config *svc, const struct exec_conf *x, const struct config_where *w)
{
	for (size_t i = 0; i < x->env.n; i++) {
		const char *eq = strchr(x->env.v[i], '=');
		if (eq == NULL || !exec_env_name_valid(x->env.v[i], (size_t)(eq - x->env.v[i])))
			return config_error(w, "env", "service \"%s\": env entry \"%s\" must be NAME=value",
			    svc->name, x->env.v[i]);
	}
	for (size_t i = 0; i < x->passenv.n; i++)
		if (!exec_env_name_valid(x->passenv.v[i], strlen(x->passenv.v[i])))
			return config_error(w, "passenv", "service \"%s\": passenv entry \"%s\" is not a variable name",
			    svc->name, x->passenv.v[i]);
	return 0;
}

static int
check_command(const struct service_config *svc, const struct exec_conf *x, const struct config_where *w)
{
	char dir[PATH_MAX], under_root[PATH_MAX];
	const char *path;
	struct stat st;
	mode_t mode;

	if (x->command.n == 0)
		return config_error(w, "command", "service \"%s\": command is empty (expected [ \"/path/to/program\", args... ])",
		    svc->name);
	path = x->command.v[0];
	if (path[0] != '/')
		return config_error(w, "command", "service \"%s\": command \"%s\" must be an absolute path",
		    svc->name, path);
	/* the program starts inside the service's chroot: that is where it must be */
	path = config_confine_host_path(svc, path, under_root, sizeof(under_root));
	/* the kernel asks for search (x) on each directory first: say which one refuses */
	if (perm_unsearchable_dir(path, &svc->id, dir, sizeof(dir), &mode))
		return config_error(w, "command", "service \"%s\": command %s: directory %s (mode %04o) cannot be searched by %s%s",
		    svc->name, path, dir, (unsigned)(mode & 07777), svc->user != NULL ? "user " : "netsrvd's user",
		    svc->user != NULL ? svc->user : "");
	if (stat(path, &st) == -1)
		return config_error(w, "command", "service \"%s\": command %s: %s", svc->name, path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return config_error(w, "command", "service \"%s\": command %s is not a regular file",
		    svc->name, path);
	if (!perm_allows(&st, &svc->id, PERM_X))
		return config_error(w, "command", "service \"%s\": command %s is not executable by %s%s",
		    svc->name, path, svc->user != NULL ? "user " : "netsrvd's user",
		    svc->user != NULL ? svc->user : "");
	return 0;
}

/*
 * A TCP wait program accepts its own connections: netsrvd never sees
 * them, so what it would check on or send to each one cannot apply;
 * refused rather than left unenforced. (Keys a build lacks are refused
 * as unknown before this.)
 */
static int
check_tcp_wait(const struct service_config *svc, const struct config_where *w)
{
	static const char *const per_connection[] = { "allow", "deny", "proxy_from", "tcp_wrappers",
	    "banner", "banner_success", "banner_fail", "max_load" };

	for (size_t i = 0; i < sizeof(per_connection) / sizeof(per_connection[0]); i++)
		if (config_where_sets(w, per_connection[i]))
			return config_error(w, per_connection[i], "service \"%s\": %s does not apply to a TCP wait "
			    "service (its program accepts the connections itself)", svc->name, per_connection[i]);
	return 0;
}

/* inetd's wait: one program owns the socket (UDP, or a TCP listener), so one worker. */
static int
check_mode(struct service_config *svc, const struct exec_conf *x, const struct config_where *w)
{
	if (svc->protocol == PROTO_UDP && !x->wait)
		return config_error(w, "handler", "service \"%s\": exec over UDP needs wait = true (the program gets the socket)",
		    svc->name);
	svc->serves_socket = x->wait;
	if (!x->wait)
		return 0;
	if (svc->protocol == PROTO_TCP && check_tcp_wait(svc, w) == -1)
		return -1;
	if (config_where_sets(w, "workers") && svc->workers > 1)
		return config_error(w, "workers", "service \"%s\": a wait service has exactly one worker (workers = %d)",
		    svc->name, svc->workers);
	if (config_where_sets(w, "max_workers") && svc->max_workers > 1)
		return config_error(w, "max_workers", "service \"%s\": a wait service has exactly one worker (max_workers = %d)",
		    svc->name, svc->max_workers);
	svc->workers = svc->max_workers = 1;
	svc->min_spare = svc->max_spare = 0;
	return 0;
}

static int
exec_check(struct service_config *svc, const struct config_where *w)
{
	struct exec_conf *x = svc->hconf;

	if (check_command(svc, x, w) == -1 || check_env(svc, x, w) == -1 || check_mode(svc, x, w) == -1)
		return -1;
	x->argv = calloc(x->command.n + 1, sizeof(char *));
	if (x->argv == NULL)
		return config_error(w, NULL, "out of memory");
	for (size_t i = 0; i < x->command.n; i++)
		x->argv[i] = x->command.v[i];
	return 0;
}

static void
exec_release(struct service_config *svc)
{
	struct exec_conf *x = svc->hconf;

	if (x != NULL) {
		free(x->argv);
		x->argv = NULL;
	}
}

/* --- in the worker ----------------------------------------------------------- */

/* The handler's state: one worker serves one service, and this is what its starts share. */
struct exec_state {
	struct exec_prep prep;
	const _Atomic int *daemon_stopping;
	/* NETLINK_SOCK_DIAG, to watch a connection the worker no longer holds; -1: none */
	int diag_fd;
	struct tls_relay *relay;	/* a TLS service's: the worker carries each program's stream */
	uint64_t relay_seen;		/* its moves when `timeout` last asked */
	struct cgroup_worker cgroups;	/* cgroup = { }: the connections' cgroups (cgroup.c) */
};

static void
add_limit(struct exec_prep *prep, int resource, long long v)
{
	if (v != LIMIT_UNSET)
		exec_prep_limit(prep, resource, v);
}

static int
exec_init(const struct service_config *svc, const struct handler_env *env, void **state)
{
	const struct exec_conf *x = svc->hconf;
	struct exec_state *xs = calloc(1, sizeof(*xs));

	if (xs == NULL) {
		log_errorx("service %s: out of memory", svc->name);
		return -1;
	}
	xs->diag_fd = -1;
	if (cgroup_worker_open(svc, &xs->cgroups) == -1 ||
	    exec_prepare(&xs->prep, x->argv, &x->env, &x->passenv, svc->protocol == PROTO_UDP) == -1) {
		free(xs);
		return -1;	/* logged; the worker exits, its descriptors with it */
	}
	add_limit(&xs->prep, RLIMIT_CPU, x->limits.cpu);
	add_limit(&xs->prep, RLIMIT_AS, x->limits.memory);
	add_limit(&xs->prep, RLIMIT_NOFILE, x->limits.files);
	add_limit(&xs->prep, RLIMIT_NPROC, x->limits.processes);
	add_limit(&xs->prep, RLIMIT_CORE, x->limits.core);
	add_limit(&xs->prep, RLIMIT_FSIZE, x->limits.fsize);
	/* nice and umask: the service's (config_confine.c), the program's here, a built-in worker's own */
	if (svc->confine.nice_set)
		exec_prep_nice(&xs->prep, svc->confine.nice);
	if (svc->confine.umask != NULL)
		exec_prep_umask(&xs->prep, svc->confine.umask_mode);
	/* syscall_filter: the worker puts it on itself, for its programs to inherit (worker.c) */
	xs->daemon_stopping = env != NULL && env->control != NULL ? &env->control->stopping : NULL;
#ifdef HAVE_TLS
	if (svc->tls.on && (xs->relay = malloc(sizeof(*xs->relay))) == NULL) {
		log_errorx("service %s: out of memory", svc->name);
		exec_prep_free(&xs->prep);
		free(xs);
		return -1;
	}
#endif
	if (svc->protocol == PROTO_TCP && !x->wait && !svc->tls.on && (xs->diag_fd = sockdiag_open()) == -1)
		log_warn("service %s: NETLINK_SOCK_DIAG socket: the worker keeps its copy of each connection", svc->name);
	*state = xs;
	return 0;
}

/* The connection's end (or the program's failure to start): its cgroup emptied, kept for the next. */
static void
cgroup_after(struct exec_state *xs, const struct service_config *svc, struct cgroup_conn *cg)
{
	(void)cgroup_conn_close(svc, &xs->cgroups, cg);
}

/*
 * The program, on io_fd. cgroup = { }: it starts in a cgroup of its
 * connection's own (cgroup.c), and whatever it starts, setsid or double
 * fork included, is killed with it at cgroup_after; without a cgroup
 * group, the process group as before. -1 (logged): not started.
 */
static int
start_program(struct exec_state *xs, const struct service_config *svc, int io_fd, struct exec_child *c,
    struct cgroup_conn *cg)
{
	char why[256];
	int r = -1;

	if (cgroup_conn_open(svc, &xs->cgroups, cg) == 0) {	/* its failure is logged there */
		xs->prep.cgroup_procs_fd = cg->procs_fd;
		if ((r = exec_start(&xs->prep, io_fd, c, why, sizeof(why))) == -1)
			log_warnx("service %s: program not started: %s", svc->name, why);
		xs->prep.cgroup_procs_fd = -1;	/* the next start joins no cgroup unless given one */
	}
	if (r == -1)
		cgroup_after(xs, svc, cg);
	return r;
}

static void
count_result(struct svc_stats *st, const struct exec_result *r)
{
	_Atomic uint64_t *c;

	if (st == NULL)
		return;
	if (r->timed_out)
		c = &st->exec_timed_out;
	else if (WIFSIGNALED(r->status))
		c = &st->exec_signaled;
	else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
		c = &st->exec_exit_ok;
	else
		c = &st->exec_exit_error;
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void
count_start_failure(struct svc_stats *st)
{
	if (st != NULL)
		atomic_fetch_add_explicit(&st->exec_start_failed, 1, memory_order_relaxed);
}

static struct exec_watch
watch_for(const struct exec_state *xs, const struct service_config *svc, int wake_fd,
    _Atomic int64_t *progress, int shutdown_timeout, bool (*moved)(void *), void *ctx)
{
	const struct exec_conf *x = svc->hconf;

	return (struct exec_watch){ .service = svc->name, .wake_fd = wake_fd,
	    .max_runtime = x->max_runtime, .shutdown_timeout = shutdown_timeout,
	    .daemon_stopping = xs->daemon_stopping, .progress = progress,
	    .idle_timeout = svc->timeout, .moved = moved, .moved_ctx = ctx };
}

/* The kernel's TCP states (include/net/tcp_states.h); <linux/tcp.h> does not name them. */
enum { ST_FIN_WAIT2 = 5, ST_TIME_WAIT = 6, ST_CLOSE_WAIT = 8, ST_LAST_ACK = 9, ST_CLOSING = 11 };

/*
 * A connection while its program runs. Once the program has the socket,
 * the worker closes its own copy, as inetd does: the program's last close
 * is the client's EOF, whether the program then exits or lingers. What
 * the worker still needs it asks the kernel by the connection's addresses
 * (sock_diag), holding no descriptor: activity for `timeout`, and once
 * the program exited, whether processes it left still hold the socket;
 * those lose it (orphans_release_socket). The worker never reads the
 * socket: it is the program's. Where sock_diag is refused, the worker
 * keeps its copy and asks through it, and shuts it down when the program
 * exits; only the early EOF is lost.
 *
 * The price is the byte counts. The kernel keeps none for a closed
 * connection (a TIME_WAIT socket has no tcp_info), and the program closes
 * it before the worker learns it exited; the counts sock_diag gives while
 * the program runs miss whatever moved after the last look, all of a
 * short session. So in= and out= are the kernel's own only where the
 * worker held its copy to the end; elsewhere the access log says in=? out=?
 * and the byte metrics leave the session out, rather than count short.
 */
struct conn_watch {
	int fd;				/* our copy while we keep it; -1 once the program alone has it */
	int diag_fd;			/* the handler's sock_diag socket; -1: none */
	struct sockaddr_storage local, remote;
	unsigned long ino;
	uint64_t in, acked;		/* the counters when last looked at, for `timeout` */
	struct tcp_info last;		/* the view once the program exited, through our own copy */
	bool final;			/* last is filled: in= and out= are known */
};

/* The kernel's view of our connection; false when it is gone or another now has its addresses. */
static bool
conn_look(struct conn_watch *cw, struct sockdiag_tcp *v)
{
	socklen_t len = sizeof(v->info);

	memset(v, 0, sizeof(*v));
	if (cw->fd >= 0) {
		if (getsockopt(cw->fd, IPPROTO_TCP, TCP_INFO, &v->info, &len) == -1)
			return false;
		v->found = v->have_info = true;
		v->inode = (uint32_t)cw->ino;
		v->state = v->info.tcpi_state;
		return true;
	}
	if (sockdiag_tcp_query(cw->diag_fd, (struct sockaddr *)&cw->local, (struct sockaddr *)&cw->remote, v) == -1) {
		log_debug("sock_diag query");
		return false;
	}
	return v->found && (v->inode == cw->ino || v->inode == 0);
}

/* exec_watch's probe: a byte came in, or one we sent was acknowledged. */
static bool
conn_moved(void *ctx)
{
	struct conn_watch *cw = ctx;
	struct sockdiag_tcp v;
	bool moved;

	if (!conn_look(cw, &v) || !v.have_info)
		return false;
	moved = v.info.tcpi_bytes_received != cw->in || v.info.tcpi_bytes_acked != cw->acked;
	cw->in = v.info.tcpi_bytes_received;
	cw->acked = v.info.tcpi_bytes_acked;
	return moved;
}

/* Before the start: who the connection is, for the kernel's lookup. */
static void
conn_watch_init(struct conn_watch *cw, int fd, int diag_fd)
{
	socklen_t llen = sizeof(cw->local), rlen = sizeof(cw->remote);
	struct stat st;

	memset(cw, 0, sizeof(*cw));
	cw->fd = fd;
	cw->diag_fd = diag_fd;
	if (fstat(fd, &st) == 0)
		cw->ino = (unsigned long)st.st_ino;
	if (getsockname(fd, (struct sockaddr *)&cw->local, &llen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&cw->remote, &rlen) == -1)
		cw->local.ss_family = AF_UNSPEC;
}

/* After the start: our copy goes when the kernel can tell us about the connection without it. */
static void
conn_let_go(struct conn_watch *cw, struct tcp_session *s)
{
	struct sockdiag_tcp v;
	int fd = cw->fd;

	cw->fd = -1;
	if (cw->diag_fd < 0 || cw->local.ss_family == AF_UNSPEC || !conn_look(cw, &v) || v.inode != cw->ino) {
		cw->fd = fd;
		return;
	}
	if (close(fd) == -1 && errno != EINTR)
		log_debug("service %s: close", s->svc->name);
	s->fd = -1;
}

/* The program exited: the connection ends with it, for whatever it left behind too. */
static void
conn_end(struct conn_watch *cw, struct tcp_session *s, pid_t program)
{
	struct sockdiag_tcp v;

	if (cw->fd >= 0) {
		/* still ours, and the program gone: what the kernel counted is the session's */
		if (conn_look(cw, &v) && v.have_info) {
			cw->last = v.info;
			cw->final = true;
		}
		if (shutdown(cw->fd, SHUT_RDWR) == -1 && errno != ENOTCONN)
			log_debug("service %s: shutdown", s->svc->name);
		if (close(cw->fd) == -1 && errno != EINTR)
			log_debug("service %s: close", s->svc->name);
		cw->fd = s->fd = -1;
	} else if (conn_look(cw, &v) && v.inode == cw->ino) {
		(void)orphans_release_socket(s->svc->name, program, cw->ino);
	}
}

/* What the kernel moved on the connection, for the access log's in= and out=; unknown without a final view. */
static void
tcp_bytes(struct tcp_session *s, const struct conn_watch *cw)
{
	const struct tcp_info *ti = &cw->last;

	if (!cw->final) {
		s->bytes_unknown = true;
		return;
	}
	/* the kernel counts a FIN as a byte: the client's when it closed, ours when the program shut down */
	bool fin_in = ti->tcpi_state == ST_CLOSE_WAIT || ti->tcpi_state == ST_LAST_ACK ||
	    ti->tcpi_state == ST_CLOSING || ti->tcpi_state == ST_TIME_WAIT;
	bool fin_out_acked = ti->tcpi_state == ST_FIN_WAIT2 || ti->tcpi_state == ST_TIME_WAIT;
	s->bytes_in = ti->tcpi_bytes_received - (fin_in && ti->tcpi_bytes_received > 0);
	s->bytes_out = ti->tcpi_bytes_acked - (fin_out_acked && ti->tcpi_bytes_acked > 0);
}

#ifdef HAVE_TLS
static void
relay_events(void *ctx, struct pollfd *pf)
{
	tls_relay_events(((struct exec_state *)ctx)->relay, pf);
}

static void
relay_step(void *ctx)
{
	(void)tls_relay_step(((struct exec_state *)ctx)->relay);
}

/* `timeout`: did the relay move anything since we last asked? */
static bool
relay_moved(void *ctx)
{
	struct exec_state *xs = ctx;
	bool moved = xs->relay->moves != xs->relay_seen;

	xs->relay_seen = xs->relay->moves;
	return moved;
}

static void
tls_variables(struct exec_prep *prep, const struct tls_info *in)
{
	const char *v[TV_COUNT] = {
		[TV_VERSION] = in->version, [TV_CIPHER] = in->cipher, [TV_SNI] = in->sni,
		[TV_CLIENT_SUBJECT] = in->client_cert ? in->subject : NULL,
		[TV_CLIENT_ISSUER] = in->client_cert ? in->issuer : NULL,
		[TV_CLIENT_SERIAL] = in->client_cert ? in->serial : NULL,
		[TV_CLIENT_SHA256] = in->client_cert ? in->sha256 : NULL,
	};

	exec_set_tls(prep, v);
}

/*
 * Over TLS the program gets one end of a socket pair and the worker keeps
 * the client, relaying between them while it watches the program; the
 * program's last words reach the client after it exits. The kernel's byte
 * counts are not the session's here: in= and out= are the relay's.
 */
static enum session_end
exec_serve_tls(struct tcp_session *s, struct exec_state *xs)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	struct exec_child c;
	struct exec_result r;
	struct exec_watch w;
	struct cgroup_conn cg;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("service %s: socketpair for the program", s->svc->name);
		snprintf(s->log_extra, sizeof(s->log_extra), "exit=not-started");
		count_start_failure(s->counters);
		return END_ERROR;
	}
	exec_set_peer(&xs->prep, s->peer, getsockname(s->fd, (struct sockaddr *)&local, &llen) == 0 ?
	    (struct sockaddr *)&local : NULL);
	tls_variables(&xs->prep, &s->tls->info);
	if (start_program(xs, s->svc, sp[1], &c, &cg) == -1) {
		snprintf(s->log_extra, sizeof(s->log_extra), "exit=not-started");
		count_start_failure(s->counters);
		close(sp[0]);
		close(sp[1]);
		return END_ERROR;
	}
	close(sp[1]);
	if (util_set_nonblock(sp[0], 1) == -1)
		log_warn("service %s: O_NONBLOCK on the program's socket pair", s->svc->name);
	tls_relay_init(xs->relay, s, sp[0]);
	xs->relay_seen = 0;
	w = watch_for(xs, s->svc, s->wake_fd, s->progress, s->shutdown_timeout, relay_moved, xs);
	w.side_events = relay_events;
	w.side_step = relay_step;
	w.side_ctx = xs;
	exec_watch(&w, &c, &r);
	cgroup_after(xs, s->svc, &cg);
	tls_relay_drain(xs->relay, s->timeout_ms);
	close(sp[0]);
	exec_result_format(&r, c.pid, s->log_extra, sizeof(s->log_extra));
	count_result(s->counters, &r);
	if (r.timed_out)
		return END_TIMEOUT;
	return xs->relay->broken ? END_RESET : END_DONE;
}
#endif

static enum session_end
exec_serve_tcp(struct tcp_session *s)
{
	struct conn_watch cw;
	struct exec_child c;
	struct exec_result r;
	struct exec_watch w;
	struct exec_state *xs = s->state;
	struct cgroup_conn cg;

#ifdef HAVE_TLS
	if (s->tls != NULL)
		return exec_serve_tls(s, xs);
#endif
	conn_watch_init(&cw, s->fd, xs->diag_fd);
	exec_set_peer(&xs->prep, s->peer, cw.local.ss_family != AF_UNSPEC ? (struct sockaddr *)&cw.local : NULL);
	if (start_program(xs, s->svc, s->fd, &c, &cg) == -1) {
		snprintf(s->log_extra, sizeof(s->log_extra), "exit=not-started");
		count_start_failure(s->counters);
		return END_ERROR;
	}
	conn_let_go(&cw, s);
	w = watch_for(xs, s->svc, s->wake_fd, s->progress, s->shutdown_timeout, conn_moved, &cw);
	exec_watch(&w, &c, &r);
	/* the connection's end: what the program left is killed before the socket is looked at */
	cgroup_after(xs, s->svc, &cg);
	conn_end(&cw, s, c.pid);
	tcp_bytes(s, &cw);
	exec_result_format(&r, c.pid, s->log_extra, sizeof(s->log_extra));
	count_result(s->counters, &r);
	return r.timed_out ? END_TIMEOUT : END_DONE;
}

/*
 * Until a client waits (true: a datagram, or a connection in the TCP
 * listener's queue) or we are told to stop (false).
 */
static bool
wait_for_client(const struct socket_session *u, int64_t not_before)
{
	while (!sig_worker_stop) {
		int64_t now = util_now_ms();
		bool pausing = now < not_before;
		struct pollfd pf[2] = { { .fd = u->wake_fd, .events = POLLIN },
		    { .fd = u->fd, .events = pausing ? 0 : POLLIN } };
		int64_t t = pausing ? not_before - now : 1000;

		if (u->progress != NULL)
			atomic_store_explicit(u->progress, util_coarse_now_ms(), memory_order_relaxed);
		if (poll(pf, 2, (int)(t > 1000 ? 1000 : t)) == -1 && errno != EINTR) {
			log_warn("service %s: poll", u->svc->name);
			return false;
		}
		if (!pausing && (pf[1].revents & POLLIN))
			return true;
	}
	return false;
}

/*
 * A wait program's socket, watched without a read or an accept: an
 * edge-triggered epoll entry reports each datagram or connection that
 * arrives (the one that started the program was there before, and is not
 * one of them).
 */
struct arrival_watch {
	int ep;
	bool arrived;			/* a client came while the program ran */
};

static bool
arrivals(void *ctx)
{
	struct arrival_watch *aw = ctx;
	struct epoll_event ev[4];
	int n;

	if (aw->ep < 0)
		return false;
	while ((n = epoll_wait(aw->ep, ev, 4, 0)) == -1 && errno == EINTR)
		;
	aw->arrived |= n > 0;
	return n > 0;
}

static void
arrival_watch_open(struct arrival_watch *aw, const struct socket_session *u)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };

	aw->arrived = false;
	if ((aw->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 || epoll_ctl(aw->ep, EPOLL_CTL_ADD, u->fd, &ev) == -1) {
		log_warn("service %s: epoll: timeout and clients left waiting go unseen", u->svc->name);
		if (aw->ep >= 0)
			close(aw->ep);
		aw->ep = -1;
		return;
	}
	/* the client waiting now is reported at once: not an arrival */
	(void)arrivals(aw);
	aw->arrived = false;
}

/* After it exited: the client it was started for still waits, and none came since. */
static bool
left_waiting(const struct socket_session *u, struct arrival_watch *aw)
{
	struct pollfd pf = { .fd = u->fd, .events = POLLIN };

	(void)arrivals(aw);
	if (aw->ep < 0 || poll(&pf, 1, 0) != 1 || !(pf.revents & POLLIN))
		return false;
	return !aw->arrived;
}

/*
 * A program that dies abnormally within a second of its start, again and
 * again, backs off; so does one that leaves its datagram unread or its
 * connection unaccepted, whatever its exit status (it would be started
 * for the same client at once). Each back-off step is logged once.
 */
static int64_t
note_wait_result(const struct socket_session *u, struct backoff *b, bool failed, bool left)
{
	int64_t now = util_now_ms(), delay;
	const char *why = !left ? "keeps failing at once" : u->svc->protocol == PROTO_TCP ?
	    "leaves the connection it was started for unaccepted" :
	    "leaves the datagram it was started for unread";

	if (!failed)
		return 0;
	delay = backoff_start_failure(b, now);
	if (delay > 0)
		log_warnx("service %s: the program %s; next start in %lld ms", u->svc->name, why,
		    (long long)delay);
	return delay > 0 ? now + delay : 0;
}

/* A wait program's access-log line: no peer (it took its own), its run time and end. */
static void
log_program(const struct socket_session *u, const struct exec_child *c,
    const struct exec_result *r, const char *words)
{
	struct access_line l = { .service = u->svc->name, .timed = true,
	    .duration_ms = util_now_ms() - c->started_ms, .end = r->timed_out ? "timeout" : "done",
	    .words = words };

	access_log(&l, u->access_log, ACCESS_ONLY);
}

/*
 * inetd's wait, over UDP or TCP: the program gets the socket itself, the
 * listener for TCP (blocking: exec_start clears O_NONBLOCK), and we
 * neither read nor accept on it until it exits. Over TCP there is no
 * `timeout`: the program's connections are its own, out of our sight
 * (max_runtime still bounds it).
 */
static void
exec_serve_socket(struct socket_session *u)
{
	struct exec_state *xs = u->state;
	struct backoff b = { .fails = 0, .last_fail_ms = 0, .next_start_ms = 0 };
	bool udp = u->svc->protocol == PROTO_UDP;
	int64_t not_before = 0;

	exec_clear_peer(&xs->prep);
	while (wait_for_client(u, not_before)) {
		struct exec_child c;
		struct exec_result r;
		struct exec_watch w;
		struct arrival_watch aw;
		struct cgroup_conn cg;
		char res[64];
		bool fast, left;

		arrival_watch_open(&aw, u);
		if (start_program(xs, u->svc, u->fd, &c, &cg) == -1) {
			count_start_failure(u->counters);
			not_before = note_wait_result(u, &b, true, false);
			if (aw.ep >= 0)
				close(aw.ep);
			continue;
		}
		w = watch_for(xs, u->svc, u->wake_fd, u->progress, u->shutdown_timeout,
		    udp ? arrivals : NULL, &aw);
		exec_watch(&w, &c, &r);
		cgroup_after(xs, u->svc, &cg);
		exec_result_format(&r, c.pid, res, sizeof(res));
		count_result(u->counters, &r);
		log_program(u, &c, &r, res);
		fast = util_now_ms() - c.started_ms < POOL_START_FAILURE_MS &&
		    !(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		left = left_waiting(u, &aw);
		if (aw.ep >= 0)
			close(aw.ep);
		not_before = note_wait_result(u, &b, fast || left, left);
	}
}

/* A reload lets a program run its course: max_runtime, then its SIGTERM's grace. */
static int
exec_reload_grace_s(const struct service_config *svc, int shutdown_timeout)
{
	const struct exec_conf *x = svc->hconf;

	if (x->max_runtime == 0)
		return -1;
	return x->max_runtime + shutdown_timeout + 1;
}

static void
explain_limit(FILE *out, const char *name, long long v, const char *unit)
{
	if (v != LIMIT_UNSET)
		fprintf(out, " %s=%lld%s", name, v, unit);
}

/* netsrvd -t --explain: the program, its limits, nice, umask, max_runtime. */
static void
exec_explain(const struct service_config *svc, FILE *out)
{
	const struct exec_conf *x = svc->hconf;
	const struct exec_limits *l = &x->limits;

	fprintf(out, "  program:         ");
	for (size_t i = 0; i < x->command.n; i++)
		fprintf(out, " %s", x->command.v[i]);
	fprintf(out, "%s\n", x->wait ? " (wait = true)" : "");
	fprintf(out, "  limits:          ");
	explain_limit(out, "cpu", l->cpu, "s");
	explain_limit(out, "memory", l->memory, "B");
	explain_limit(out, "files", l->files, "");
	explain_limit(out, "processes", l->processes, "");
	explain_limit(out, "core", l->core, "B");
	explain_limit(out, "fsize", l->fsize, "B");
	if (svc->confine.nice_set)
		fprintf(out, " nice=%d", svc->confine.nice);
	if (svc->confine.umask != NULL)
		fprintf(out, " umask=%s", svc->confine.umask);
	if (x->max_runtime > 0)
		fprintf(out, " max_runtime=%ds", x->max_runtime);
	fprintf(out, "%s\n", l->cpu == LIMIT_UNSET && l->memory == LIMIT_UNSET && l->files == LIMIT_UNSET &&
	    l->processes == LIMIT_UNSET && l->core == LIMIT_UNSET && l->fsize == LIMIT_UNSET &&
	    !svc->confine.nice_set && svc->confine.umask == NULL && x->max_runtime == 0 ? " the worker's own" : "");
}

static const struct config_key limit_keys[] = {
	{ .name = "cpu", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 0, .max = INT_MAX,
	  .def = "-1", .reloadable = true, .offset = offsetof(struct exec_limits, cpu) },
	{ .name = "memory", .scope = SCOPE_SERVICE, .type = TYPE_INT, .wide = true, .min = 1048576,
	  .max = LLONG_MAX, .def = "-1", .reloadable = true, .offset = offsetof(struct exec_limits, memory) },
	{ .name = "files", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 3, .max = 1048576,
	  .def = "-1", .reloadable = true, .offset = offsetof(struct exec_limits, files) },
	{ .name = "processes", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 1, .max = 4194304,
	  .def = "-1", .reloadable = true, .offset = offsetof(struct exec_limits, processes) },
	{ .name = "core", .scope = SCOPE_SERVICE, .type = TYPE_INT, .wide = true, .min = 0,
	  .max = LLONG_MAX, .def = "-1", .reloadable = true, .offset = offsetof(struct exec_limits, core) },
	{ .name = "fsize", .scope = SCOPE_SERVICE, .type = TYPE_INT, .wide = true, .min = 0,
	  .max = LLONG_MAX, .def = "-1", .reloadable = true, .offset = offsetof(struct exec_limits, fsize) },
};

static const struct config_key exec_keys[] = {
	{ .name = "command", .scope = SCOPE_SERVICE, .type = TYPE_STRING_LIST, .reloadable = true,
	  .required = true, .need = "a command (command = [ \"/usr/sbin/program\", \"arg\" ];)",
	  .offset = offsetof(struct exec_conf, command) },
	{ .name = "wait", .scope = SCOPE_SERVICE, .type = TYPE_BOOL, .def = "false",
	  .reloadable = true, .offset = offsetof(struct exec_conf, wait) },
	{ .name = "env", .scope = SCOPE_SERVICE, .type = TYPE_STRING_LIST, .def = "[]",
	  .reloadable = true, .offset = offsetof(struct exec_conf, env) },
	{ .name = "passenv", .scope = SCOPE_SERVICE, .type = TYPE_STRING_LIST, .def = "[]",
	  .reloadable = true, .offset = offsetof(struct exec_conf, passenv) },
	{ .name = "limits", .scope = SCOPE_SERVICE, .type = TYPE_GROUP, .reloadable = true,
	  .offset = offsetof(struct exec_conf, limits), .sub = limit_keys,
	  .nsub = sizeof(limit_keys) / sizeof(limit_keys[0]) },
	{ .name = "max_runtime", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 0, .max = 86400,
	  .def = "0", .reloadable = true, .offset = offsetof(struct exec_conf, max_runtime) },
};

const struct handler handler_exec = {
	.name = "exec",
	.serve_tcp = exec_serve_tcp,
	.keys = exec_keys,
	.nkeys = sizeof(exec_keys) / sizeof(exec_keys[0]),
	.conf_size = sizeof(struct exec_conf),
	.check = exec_check,
	.release = exec_release,
	.init = exec_init,
	.runs_programs = true,
	.serve_socket = exec_serve_socket,
	.reload_grace_s = exec_reload_grace_s,
	.stop_extra_ms = EXEC_STOP_KILL_MS + 1000,
	.explain = exec_explain,
};
