/* A worker: setup, confinement and the TCP accept loop; the UDP engine is in worker_udp.c. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "banner.h"
#include "cgroup.h"
#include "confine.h"
#include "handler.h"
#include "log.h"
#include "privs.h"
#include "program_filter.h"
#include "proctitle.h"
#include "sandbox.h"
#include "sig.h"
#include "util.h"
#include "worker.h"
#include "worker_proxy.h"
#include "worker_shared.h"
#include "worker_udp.h"
#include "wrappers.h"
#ifdef HAVE_TLS
#include "tls_conn.h"
#endif

struct worker {
	const struct worker_args *a;
	const struct service_config *svc;
	int wake[2];		/* self-pipe: SIGTERM ends a pause (worker_shortage_wait) */
	unsigned char *buf;	/* TCP sessions */
	long connections_left;	/* max_connections_per_worker, with jitter; 0 = no limit */
	bool retire;		/* served its share: leave like a stopping worker */
	struct worker_udp *udp;	/* UDP: the datagram engine (worker_udp.c) */
	bool access_log;
	struct worker_shortage short_of;	/* out of descriptors or memory */
	void *handler_state;	/* what the handler's init made, for each session */
};

/*
 * The self-pipe: SIGTERM writes to it, so a pause taken on it (the back-off
 * when descriptors or memory run out) ends at once. Idle workers wait in
 * the socket call itself, accept4() here and a receive in worker_udp.c,
 * so a TCP listener loses O_NONBLOCK (see tcp_loop).
 */
static int
setup_wait(struct worker *w)
{
	if (pipe2(w->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_error("service %s: pipe", w->svc->name);
		return -1;
	}
	w->short_of.wake_fd = w->wake[0];
	if (w->svc->protocol == PROTO_TCP && util_set_nonblock(w->a->listen_fd, 0) == -1) {
		log_error("service %s: fcntl", w->svc->name);
		return -1;
	}
	return sig_worker_setup(w->wake[1], w->a->master_pid,
	    w->svc->protocol == PROTO_TCP ? w->a->listen_fd : -1,
	    w->a->control != NULL ? &w->a->control->words->sockets_handed_over : NULL);
}

/* Readable now, without waiting: a stopping worker takes only what is queued. */
static bool
connection_queued(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return poll(&pf, 1, 0) == 1;
}

/*
 * The listener is non-blocking after all (an older image set O_NONBLOCK
 * on the socket it shares with us): wait for a connection or SIGTERM.
 */
static void
wait_for_connection(struct worker *w)
{
	struct pollfd pf[2] = { { .fd = w->a->listen_fd, .events = POLLIN },
	    { .fd = w->wake[0], .events = POLLIN } };

	if (sig_worker_stop)
		return;
	if (poll(pf, 2, -1) == -1 && errno != EINTR)
		log_warn("service %s: poll", w->svc->name);
}

/* (see WORKER_DRAIN_MAX) */
static bool
stop_now(int *drained)
{
	return sig_worker_stop && (*drained)++ >= WORKER_DRAIN_MAX;
}

/*
 * The master is our parent until it dies; then PDEATHSIG (or this check)
 * tells us to stop. Called after the privilege drop: setuid() and
 * setgid() clear PDEATHSIG, and a worker of another user would outlive
 * the master. A master that died before this is seen by the check.
 */
static int
bind_to_master(pid_t master_pid)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1) {
		log_error("prctl(PR_SET_PDEATHSIG)");
		return -1;
	}
	if (getppid() != master_pid) {
		log_warnx("master %ld is gone; worker exits", (long)master_pid);
		_exit(WORKER_EXIT_OK);
	}
	return 0;
}

/*
 * A bounding set the master may not shrink (no CAP_SETPCAP: systemd's
 * CapabilityBoundingSet=, setpriv) is accepted once proven harmless; so
 * is what the service's capabilities = [ ... ] keeps in it (every other
 * set is emptied all the same: the worker holds none of them).
 */
static int
drop_privileges(const struct service_config *svc)
{
	uint64_t keep = svc->confine.caps_set ? svc->confine.cap_keep : 0;
	int kept;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_error("prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	if ((kept = privs_drop_bounding_set_except(keep)) == -1)
		return -1;
	if (svc->id.drop && privs_drop(svc->id.uid, svc->id.gid, svc->id.groups, svc->id.ngroups) == -1)
		return -1;
	if (privs_clear_capabilities() == -1)
		return -1;
	return kept == 0 && keep == 0 ? 0 : privs_check_powerless(kept);
}

/*
 * A worker that runs programs (exec) becomes the service's user and no
 * more: the programs inherit whatever the worker keeps, and they are the
 * sysadmin's to confine (as under inetd). A set-user-ID program still
 * works, a chroot would hide it, a filter would break it.
 */
static int
become_program_user(const struct service_config *svc)
{
	return svc->id.drop ? privs_drop(svc->id.uid, svc->id.gid, svc->id.groups, svc->id.ngroups) : 0;
}

/*
 * syscall_filter: put on the worker, once, after its last change of user,
 * and inherited by every program it starts (across clone and execve).
 * Put on each program instead, it cost some 0.1 ms a connection: the
 * kernel checks, converts and caches a filter at each attach. The
 * worker's own calls are all in the set. no_new_privs with it as for the
 * program (program_filter_install): the worker is the program's user.
 * Where no filter can apply (program_filter_unavailable) -t said so at
 * load, and there is none.
 */
static int
filter_programs(const struct service_config *svc)
{
	struct program_filter f;
	int r;

	if (svc->confine.syscall_filter == NULL || program_filter_unavailable() != NULL)
		return 0;
	if (program_filter_build(&f, svc->confine.syscall_filter) == -1)
		return -1;	/* logged */
	/* without no_new_privs only for a program that keeps CAP_SYS_ADMIN, as systemd */
	f.no_new_privs = !privs_program_keeps(svc, CAP_SYS_ADMIN);
	if ((r = program_filter_install(&f)) == -1)
		log_error("service %s: putting on syscall_filter \"%s\"", svc->name, svc->confine.syscall_filter);
	program_filter_free(&f);
	return r;
}

/*
 * nice and umask (systemd's Nice=, UMask=) of a built-in worker, its own:
 * set while still root, so a nice below 0 is allowed. An exec service's
 * are its programs', set in their child (exec_spawn.c).
 */
static int
set_nice_umask(const struct service_config *svc)
{
	if (svc->confine.umask != NULL)
		(void)umask(svc->confine.umask_mode);
	if (svc->confine.nice_set && setpriority(PRIO_PROCESS, 0, svc->confine.nice) == -1) {
		log_error("service %s: setpriority(%d)", svc->name, svc->confine.nice);
		return -1;
	}
	return 0;
}

/*
 * Order matters: mounts and chroot need root, the filter (which allows no
 * mount) must come last. A service's filesystem keys or chroot (confine.c)
 * apply to both kinds of worker; its chroot replaces the global one,
 * which stays the built-in workers' alone.
 */
static int
confine(const struct config *cfg, const struct service_config *svc, struct sb_slot *slot,
    pid_t master_pid)
{
	const struct confine_conf *cc = &svc->confine;
	bool own_view = cc->mount_ns || cc->chroot != NULL;
	const char *root = cc->chroot != NULL ? cc->chroot :
	    svc->handler->runs_programs ? NULL : cfg->chroot_dir;

	/* cgroup.c: into the service's cgroup while still root, before its view of the files changes */
	if (cgroup_join_workers(svc) == -1)
		return -1;
	if (own_view && confine_filesystem(svc->name, cc, root) == -1)
		return -1;
	/* capabilities and no_new_privileges, for the programs to inherit (privs.c): still root here */
	if (svc->handler->runs_programs && privs_confine_programs(svc) == -1)
		return -1;
	if (svc->handler->runs_programs)
		return become_program_user(svc) == -1 || bind_to_master(master_pid) == -1 ? -1 :
		    filter_programs(svc);
	if (!own_view && cfg->chroot_dir != NULL && sandbox_chroot(cfg->chroot_dir) == -1)
		return -1;
	if (set_nice_umask(svc) == -1 || drop_privileges(svc) == -1 || bind_to_master(master_pid) == -1)
		return -1;
	if (!cfg->seccomp || !sandbox_seccomp_supported())
		return 0;
	return sandbox_seccomp(&slot->violation, svc->handler->connects_out);
}

static int
timeout_ms(const struct service_config *svc)
{
	return svc->timeout == 0 ? -1 : svc->timeout * 1000;
}

/* A refused client learns nothing: a reset, before a byte is sent. */
static void
refuse(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
		log_debug("setsockopt(SO_LINGER)");
	close(fd);
}

/*
 * A server that has said everything (daytime, time, qotd) may hold bytes
 * the client sent and nobody read; closing over them makes the kernel send
 * a reset, which can destroy our reply in the client's receive queue.
 * Read them away first. One recv() that finds nothing is the usual cost.
 */
static void
discard_unread(int fd, unsigned char *buf, size_t len)
{
	for (int i = 0; i < 16; i++)
		if (recv(fd, buf, len, MSG_DONTWAIT) <= 0)
			return;
}

/* Busy on the scoreboard; in turn where max_per_source counts the clients of one source. */
static void
begin_counted(struct worker *w, const struct sockaddr *peer)
{
	if (w->svc->max_per_source == 0)
		scoreboard_begin(w->a->slot, peer, logpeer_mode(w->svc->log_peer));
	else
		scoreboard_begin_in_turn(w->a->slot, w->a->boards, w->a->nboards, peer,
		    logpeer_mode(w->svc->log_peer));
}

/*
 * The scoreboards know who else is talking to this service right now,
 * old generations' workers still finishing their clients included; of
 * those that began at the same moment, only the ones before this worker
 * in turn count, so a burst from one source fills its places exactly.
 */
static bool
over_per_source_limit(const struct worker *w)
{
	const struct sb_slot *me = w->a->slot;
	size_t busy = 0;

	if (w->svc->max_per_source == 0)
		return false;
	for (size_t i = 0; i < w->a->nboards; i++)
		busy += scoreboard_busy_from(w->a->boards[i], w->a->service_id,
		    atomic_load_explicit(&me->source, memory_order_relaxed), me);
	return busy >= (size_t)w->svc->max_per_source;
}

/*
 * connection_rate_per_source, then connection_rate: the source's bucket
 * first, so the connections one address has over its budget are refused
 * without spending the service's, and a flood from there leaves the others
 * their share (rate_test). Both buckets are in the master's table, shared
 * by every worker and generation.
 */
static bool
within_connection_rate(const struct worker *w, const struct sockaddr *peer)
{
	const struct service_config *svc = w->svc;
	int64_t now = util_coarse_now_ms();
	unsigned char key[16];
	uint16_t port;

	if (w->a->rl == NULL)
		return true;
	if (svc->connection_rate_per_source > 0) {
		scoreboard_peer_key(peer, key, &port);
		if (!ratelimit_allow(w->a->rl, w->a->service_id, key,
		    (unsigned)svc->connection_rate_per_source,
		    (unsigned)svc->connection_rate_per_source, now))
			return false;
	}
	return svc->connection_rate == 0 || ratelimit_allow_service(w->a->rl, w->a->service_index,
	    (unsigned)svc->connection_rate, (unsigned)svc->connection_rate, now);
}

/*
 * max_load: the kernel's 1-minute load average, from sysinfo(2), which
 * needs no /proc in a chroot. A failure to read it lets the client in.
 */
static bool
over_max_load(const struct service_config *svc)
{
	struct sysinfo si;

	if (svc->max_load <= 0)
		return false;
	if (sysinfo(&si) == -1) {
		log_debug("service %s: sysinfo: %s", svc->name, strerror(errno));
		return false;
	}
	return (double)si.loads[0] / (double)(1u << SI_LOAD_SHIFT) > svc->max_load;
}

/*
 * A refused client: closed before a byte (or after banner and banner_fail,
 * if the service has them; fd -1: closed already, by a twist), logged as the access log's end=refused line.
 */
static void
refuse_logged(const struct worker *w, int fd, const struct sockaddr *peer,
    const struct worker_proxy *wp, const char *reason, _Atomic uint64_t *counter)
{
	struct access_line l = { .service = w->svc->name, .peer = peer,
	    .log_peer = logpeer_mode(w->svc->log_peer),
	    .proxy = worker_proxy_balancer(wp), .end = "refused", .reason = reason };

	if (fd >= 0 && banner_on_refusal(w->svc))
		banner_refuse(fd, w->svc);
	else if (fd >= 0)
		refuse(fd);
	worker_count(counter);
	access_log(&l, w->access_log, ACCESS_OR_INFO);
}

/*
 * tcp_wrappers: libwrap's verdict, in a child (wrappers.c). A twist had
 * the client and said what it had to: closed without a reset, which could
 * destroy its words in the client's queue, and refused all the same (the
 * service never ran). Busy on the board meanwhile: a lookup or a twist
 * may take a while, and an idle-looking worker would count as a spare.
 */
static bool
wrappers_allow(const struct worker *w, int fd, const struct sockaddr *peer,
    const struct worker_proxy *wp, struct wrappers_check *chk)
{
	enum wrappers_verdict v;

	chk->group = 0;
	if (w->svc->tcp_wrappers == NULL)
		return true;
	scoreboard_begin(w->a->slot, peer, logpeer_mode(w->svc->log_peer));
	v = wrappers_ask(w->svc->tcp_wrappers, fd, worker_proxy_balancer(wp) != NULL ? peer : NULL,
	    w->wake[0], timeout_ms(w->svc), chk);
	scoreboard_set_state(w->a->slot, SB_IDLE);
	if (v == WRAPPERS_ALLOW)
		return true;
	if (v == WRAPPERS_TAKEN && close(fd) == -1 && errno != EINTR)
		log_debug("service %s: close", w->svc->name);
	refuse_logged(w, v == WRAPPERS_TAKEN ? -1 : fd, peer, wp, "wrappers",
	    &w->a->st->refused_wrappers);
	return false;
}

#ifdef HAVE_TLS
static enum stats_tls_result
tls_result(enum tls_accept_result r)
{
	return r == TLS_ACCEPT_OK ? STATS_TLS_OK : r == TLS_ACCEPT_TIMEOUT ? STATS_TLS_TIMEOUT : STATS_TLS_FAILED;
}

/*
 * The handshake, after every check that needs none (a refusal by address
 * costs no cryptography), within handshake_timeout. A failure is refused,
 * with OpenSSL's reason as the line's detail, logged at info even without
 * the access log: the alert OpenSSL sent is the client's answer.
 */
static bool
tls_start(const struct worker *w, int fd, const struct sockaddr *peer, const struct worker_proxy *wp,
    struct tls_conn *tc, char *words, size_t len)
{
	char why[256];
	enum tls_accept_result r = tls_conn_accept(tc, w->svc->tls.ctx, fd, w->svc->handshake_timeout,
	    &w->a->slot->progress_ms, why, sizeof(why));
	struct access_line l = { .service = w->svc->name, .peer = peer,
	    .log_peer = logpeer_mode(w->svc->log_peer), .proxy = worker_proxy_balancer(wp),
	    .end = "refused", .reason = "tls", .detail = why };

	stats_tls_handshake(w->a->st, tls_result(r), tc->info.version, tc->info.resumed, tc->handshake_us);
	if (r == TLS_ACCEPT_OK) {
		int n = snprintf(words, len, "tls=%s%s", tc->info.version, tc->info.resumed ? " resumed=1" : "");
		if (tc->info.client_cert && n > 0 && (size_t)n < len)
			snprintf(words + n, len - (size_t)n, " client_sha256=%s", tc->info.sha256);
		return true;
	}
	if (close(fd) == -1 && errno != EINTR)
		log_debug("service %s: close", w->svc->name);
	worker_count(&w->a->st->refused_tls);
	access_log(&l, w->access_log, ACCESS_OR_INFO);
	return false;
}
#endif

/* The connection's line; a timeout or a handler's reason is logged even without the access log. */
static void
log_connection(const struct worker *w, const struct tcp_session *s, const struct worker_proxy *wp,
    enum session_end end, const struct timespec *t0, const char *tls_words)
{
	struct timespec t1;
	struct access_line l = { .service = w->svc->name, .peer = s->peer,
	    .log_peer = logpeer_mode(w->svc->log_peer), .tls = tls_words,
	    .proxy = worker_proxy_balancer(wp), .counted = true, .in = s->bytes_in,
	    .out = s->bytes_out, .end = session_end_name(end), .reason = s->reason, .words = s->log_extra,
	    .bytes_unknown = s->bytes_unknown };

	/* a handler's reason (redirect: its backend failed) is worth saying as a timeout is */
	bool notable = end == END_TIMEOUT || s->reason != NULL;

	if (!w->access_log && !notable)
		return;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t1);
	l.duration_ms = (long long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
	access_log(&l, w->access_log, notable ? ACCESS_OR_INFO : ACCESS_ONLY);
}

static void
serve_connection(struct worker *w, int fd, const struct sockaddr *peer)
{
	struct tcp_session s;
	struct timespec t0;
	enum session_end end;
	struct worker_proxy wp;
	struct wrappers_check chk;
	char tls_words[128] = "";
#ifdef HAVE_TLS
	struct tls_conn tc;
#endif

	/* from a balancer (proxy_from): its header names the client, the peer from here on */
	if (worker_proxy_accept(w->a, fd, w->buf, WORKER_BUF, &peer, &wp) == -1) {
		refuse(fd);
		return;
	}
	if (!worker_acl_allows(w->a, peer)) {
		refuse_logged(w, fd, peer, &wp, "acl", &w->a->st->refused_acl);
		return;
	}
	if (over_max_load(w->svc)) {
		refuse_logged(w, fd, peer, &wp, "load", &w->a->st->refused_load);
		return;
	}
	if (!wrappers_allow(w, fd, peer, &wp, &chk))
		return;
	if (!within_connection_rate(w, peer)) {
		refuse_logged(w, fd, peer, &wp, "rate", &w->a->st->refused_rate);
		wrappers_end(&chk);
		return;
	}
	begin_counted(w, peer);
	if (over_per_source_limit(w)) {
		refuse_logged(w, fd, peer, &wp, "per_source", &w->a->st->refused_per_source);
		scoreboard_set_state(w->a->slot, SB_IDLE);
		wrappers_end(&chk);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t0);
	memset(&s, 0, sizeof(s));
#ifdef HAVE_TLS
	if (w->svc->tls.on && !tls_start(w, fd, peer, &wp, &tc, tls_words, sizeof(tls_words))) {
		scoreboard_set_state(w->a->slot, SB_IDLE);
		wrappers_end(&chk);
		return;
	}
	s.tls = w->svc->tls.on ? &tc : NULL;
#endif
	s.fd = fd;
	s.blocking = s.tls == NULL;	/* a TLS socket is non-blocking: OpenSSL waits through io.c */
	s.svc = w->svc;
	s.buf = w->buf;
	s.bufsize = WORKER_BUF;
	s.timeout_ms = timeout_ms(w->svc);
	s.progress = &w->a->slot->progress_ms;
	s.peer = peer;
	s.counters = w->a->st;
	s.wake_fd = w->wake[0];
	s.shutdown_timeout = w->a->cfg->shutdown_timeout;
	s.state = w->handler_state;
	end = banner_greet(&s);
	if (end == END_DONE)
		end = w->svc->handler->serve_tcp(&s);
#ifdef HAVE_TLS
	if (s.tls != NULL)
		tls_conn_close(s.tls);
#endif
	/* -1: the handler closed it (exec: the program's, never read by us) */
	if (s.fd >= 0 && end == END_DONE)
		discard_unread(s.fd, w->buf, WORKER_BUF);
	if (s.fd >= 0 && close(s.fd) == -1 && errno != EINTR)
		log_debug("service %s: close", w->svc->name);
	scoreboard_end(w->a->slot);
	wrappers_end(&chk);
	stats_connection_done(w->a->st, s.bytes_in, s.bytes_out,
	    util_coarse_now_ms() - atomic_load(&w->a->slot->conn_start_ms));
	if (w->connections_left > 0 && --w->connections_left == 0)
		w->retire = true;
	log_connection(w, &s, &wp, end, &t0, tls_words);
}

/*
 * keepalive: probes find a client that vanished without a word (a
 * crashed host, a dropped NAT entry) in a long session. Set on each
 * connection, so a reload that changes or drops the timers applies to
 * the next one; a timer left at 0 stays the kernel's.
 */
static void
set_keepalive(const struct service_config *svc, int fd)
{
	const struct { int opt, value; } timers[] = {
		{ .opt = TCP_KEEPIDLE, .value = svc->keepalive_idle },
		{ .opt = TCP_KEEPINTVL, .value = svc->keepalive_interval },
		{ .opt = TCP_KEEPCNT, .value = svc->keepalive_count },
	};
	int on = 1;

	if (!svc->keepalive)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1)
		log_debug("service %s: setsockopt(SO_KEEPALIVE): %s", svc->name, strerror(errno));
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		if (timers[i].value > 0 && setsockopt(fd, IPPROTO_TCP, timers[i].opt,
		    &timers[i].value, sizeof(timers[i].value)) == -1)
			log_debug("service %s: setsockopt(TCP_KEEP*): %s", svc->name, strerror(errno));
}

/* accept4() errors that concern one connection or a passing shortage, not the socket */
static bool
accept_error_transient(int e)
{
	return e == EINTR || e == ECONNABORTED || e == EPROTO || e == EPERM ||
	    e == ENETDOWN || e == ENOPROTOOPT || e == EHOSTDOWN || e == ENONET ||
	    e == EHOSTUNREACH || e == EOPNOTSUPP || e == ENETUNREACH;
}

/*
 * Idle workers wait in a blocking accept4(), as the reference pre-fork
 * server does: the kernel queues them exclusively on the listener, wakes
 * one per connection and hands it the connection in the same call. The
 * epoll wait (EPOLLEXCLUSIVE) this replaces cost every connection an
 * accept4() that failed with EAGAIN and an epoll_wait(), and, in the
 * client's SYN path, one wake-up callback per worker's epoll entry, busy
 * workers' included, before an idle one was found: some 10 us of a 60 us
 * connection, 0.88x the reference's connection rate at 64 workers and
 * 0.83x at 256, against 0.96x and 0.99x now (bench, scale row).
 *
 * Stopping: SIGTERM interrupts the blocked call (EINTR: no SA_RESTART).
 * One that lands after the flag test and before the call interrupts
 * nothing; the master tells an idle stopping worker again every tick
 * (workers_nudge_stopping), and a graceful stop (the master's) or an
 * orphan's (sig.c) shuts the listener down, which ends any accept4() at
 * once (EINVAL). Told to stop, a worker takes what is already queued,
 * up to WORKER_DRAIN_MAX, and never waits for more.
 */
static void
tcp_loop(struct worker *w)
{
	int drained = 0;

	while (!stop_now(&drained)) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);

		if (sig_worker_stop && !connection_queued(w->a->listen_fd))
			return;
		/* blocking: io_recv_wait may block in it; every other call says MSG_DONTWAIT */
		int fd = accept4(w->a->listen_fd, (struct sockaddr *)&peer, &plen,
		    SOCK_CLOEXEC);

		if (fd >= 0) {
			worker_shortage_over(&w->short_of);
			set_keepalive(w->svc, fd);
			serve_connection(w, fd, (struct sockaddr *)&peer);
			if (w->retire)
				return;	/* max_connections_per_worker: the master starts another */
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			wait_for_connection(w);
		} else if (accept_error_transient(errno)) {
			continue;
		} else if (worker_error_resource(errno)) {
			/* leave the connection queued for a worker that has room */
			worker_shortage_wait(&w->short_of, "accept");
		} else if (errno == EINVAL) {
			return;	/* the master shut the socket down: we are stopping */
		} else {
			log_error("service %s: accept", w->svc->name);
			return;
		}
	}
}

/* exec's wait: the handler owns the socket, TCP or UDP, and we never accept or read on it. */
static void
serve_socket(struct worker *w)
{
	struct socket_session u = {
		.fd = w->a->listen_fd, .wake_fd = w->wake[0], .svc = w->svc,
		.progress = &w->a->slot->progress_ms, .counters = w->a->st,
		.shutdown_timeout = w->a->cfg->shutdown_timeout, .access_log = w->access_log,
		.state = w->handler_state,
	};

	w->svc->handler->serve_socket(&u);
}

/*
 * Setup phase: anything failing here is a start failure the master counts.
 * Serve phase: from here on only a stop request or a broken socket ends us.
 */
void
worker_run(const struct worker_args *a)
{
	struct worker w;

	memset(&w, 0, sizeof(w));
	w.a = a;
	w.svc = a->svc;
	w.wake[0] = w.wake[1] = -1;
	w.access_log = a->cfg->log.connections;
	w.short_of.service = a->svc->name;
	proctitle_set("netsrvd: worker %s", a->svc->name);
	if (a->st == NULL || a->slot == NULL) {
		log_errorx("service %s: no scoreboard line or counters", a->svc->name);
		_exit(WORKER_EXIT_SETUP);
	}
	/* from here on the only shared page we can write is our own line */
	if (scoreboard_confine(a->sb, a->slot_index) == -1 || stats_confine(a->stats) == -1 ||
	    control_confine(a->control) == -1)
		_exit(WORKER_EXIT_SETUP);
	/* what the handler reads while serving; its init logs its own failure */
	struct handler_env env = {
		.boards = a->boards, .nboards = a->nboards, .stats = a->stats, .cfg = a->cfg,
		.control = a->control->words,
	};
	if (a->svc->handler->init != NULL && a->svc->handler->init(a->svc, &env, &w.handler_state) == -1)
		_exit(WORKER_EXIT_SETUP);
	if (a->svc->serves_socket) {
		/* the handler serves the socket itself */
	} else if (a->svc->protocol == PROTO_UDP) {
		if ((w.udp = worker_udp_new(a)) == NULL)
			_exit(WORKER_EXIT_SETUP);
	} else if ((w.buf = malloc(WORKER_BUF)) == NULL) {
		log_errorx("service %s: out of memory", a->svc->name);
		_exit(WORKER_EXIT_SETUP);
	}
	if (setup_wait(&w) == -1 || confine(a->cfg, a->svc, a->slot, a->master_pid) == -1)
		_exit(WORKER_EXIT_SETUP);
	/* up to a tenth more, so a pool started at once does not renew at once */
	if (a->svc->max_connections_per_worker > 0)
		w.connections_left = a->svc->max_connections_per_worker +
		    (long)handler_random((uint32_t)a->svc->max_connections_per_worker / 10 + 1);

	scoreboard_set_state(a->slot, SB_IDLE);
	if (a->svc->serves_socket)
		serve_socket(&w);
	else if (a->svc->protocol == PROTO_TCP)
		tcp_loop(&w);
	else
		worker_udp_run(w.udp, &w.short_of);
	scoreboard_set_state(a->slot, SB_STOPPING);
	_exit(WORKER_EXIT_OK);
}
