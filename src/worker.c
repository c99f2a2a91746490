/* A worker: accepts (or receives) on one service's socket, serves one client at a time. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"
#include "log.h"
#include "privs.h"
#include "proctitle.h"
#include "sandbox.h"
#include "sig.h"
#include "util.h"
#include "worker.h"

/* big enough for any UDP datagram (65527 bytes over IPv6); the TCP echo's pending window */
#define WORKER_BUF ((size_t)64 * 1024)

struct udp_batch;
struct udp_self;

struct worker {
	const struct worker_args *a;
	const struct service_config *svc;
	int epfd;
	int wake[2];		/* self-pipe: SIGTERM wakes the idle wait */
	unsigned char *buf;	/* TCP sessions */
	long connections_left;	/* max_connections_per_worker, with jitter; 0 = no limit */
	bool retire;		/* served its share: leave like a stopping worker */
	struct udp_batch *udp;	/* UDP datagrams and replies */
	struct udp_self *self;	/* UDP: our own ports and addresses */
	bool access_log;
	bool pktinfo;		/* UDP on a wildcard address: replies name their source */
	struct shortage {	/* out of descriptors or memory (see shortage_wait) */
		int pause_ms;		/* the next back-off; 0 = none yet */
		int64_t next_log_ms;	/* the next warning may go out then */
		unsigned long quiet;	/* repeats since the last warning */
	} short_of;
};

/*
 * Idle wait: the listener (EPOLLEXCLUSIVE, so one connection wakes one
 * worker, not the whole pool) and the self-pipe. A SIGTERM that lands
 * anywhere before epoll_wait has already written to the pipe, so the
 * stop is never missed. A UDP listener is not registered: its workers
 * wait in recvmmsg() (see udp_loop), and pause on the self-pipe alone
 * (see shortage_wait).
 */
static int
setup_wait(struct worker *w)
{
	struct epoll_event ev;

	if (pipe2(w->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_error("service %s: pipe", w->svc->name);
		return -1;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd == -1) {
		log_error("service %s: epoll_create1", w->svc->name);
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = w->a->listen_fd;
	if (w->svc->protocol == PROTO_TCP &&
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->a->listen_fd, &ev) == -1) {
		log_error("service %s: epoll_ctl", w->svc->name);
		return -1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = w->wake[0];
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake[0], &ev) == -1) {
		log_error("service %s: epoll_ctl", w->svc->name);
		return -1;
	}
	return sig_worker_setup(w->wake[1], w->a->master_pid,
	    w->svc->protocol == PROTO_TCP ? w->a->listen_fd : -1,
	    w->a->stats != NULL ? &w->a->stats->g->sockets_handed_over : NULL);
}

static void
wait_for_work(struct worker *w, int timeout_ms)
{
	struct epoll_event ev[2];

	if (sig_worker_stop)
		return;
	if (epoll_wait(w->epfd, ev, 2, timeout_ms) == -1 && errno != EINTR)
		log_warn("service %s: epoll_wait", w->svc->name);
}

/*
 * Out of descriptors (EMFILE, ENFILE) or memory, the call that failed left
 * the connection queued, so the listener stays readable: waiting in the
 * epoll that holds it returns at once, and the worker spun on accept()
 * (one warning a try, a million in 3 s). The back-off waits on the
 * self-pipe only, for a pause that doubles from SHORTAGE_MIN_MS up to
 * SHORTAGE_MAX_MS while the shortage lasts; one call that succeeds resets
 * it. The warning goes out once per SHORTAGE_LOG_MS with the number of
 * repeats it stands for.
 */
#define SHORTAGE_MIN_MS	50
#define SHORTAGE_MAX_MS	1000
#define SHORTAGE_LOG_MS	10000

static void
shortage_warn(struct worker *w, const char *call)
{
	struct shortage *sh = &w->short_of;
	int64_t now = util_coarse_now_ms();

	if (now < sh->next_log_ms) {
		sh->quiet++;
		return;
	}
	if (sh->quiet > 0)
		log_warn("service %s: %s (%lu more since the last warning)", w->svc->name,
		    call, sh->quiet);
	else
		log_warn("service %s: %s", w->svc->name, call);
	sh->quiet = 0;
	sh->next_log_ms = now + SHORTAGE_LOG_MS;
}

static void
shortage_wait(struct worker *w, const char *call)
{
	struct shortage *sh = &w->short_of;
	struct pollfd pf = { w->wake[0], POLLIN, 0 };

	shortage_warn(w, call);
	sh->pause_ms = sh->pause_ms == 0 ? SHORTAGE_MIN_MS :
	    (sh->pause_ms * 2 > SHORTAGE_MAX_MS ? SHORTAGE_MAX_MS : sh->pause_ms * 2);
	if (sig_worker_stop)
		return;
	if (poll(&pf, 1, sh->pause_ms) == -1 && errno != EINTR)
		log_warn("service %s: poll", w->svc->name);
}

static void
shortage_over(struct worker *w)
{
	w->short_of.pause_ms = 0;
}

/*
 * A worker told to stop leaves when its socket has nothing waiting, not
 * the moment it is told: with EPOLLEXCLUSIVE, a wake-up it consumed may be
 * the only one a waiting client gets. DRAIN_MAX bounds the extra clients
 * it takes when the queue never empties.
 */
#define DRAIN_MAX 64

static bool
stop_now(int *drained)
{
	return sig_worker_stop && (*drained)++ >= DRAIN_MAX;
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

static int
drop_privileges(const struct config *cfg)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_error("prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	if (privs_drop_bounding_set() == -1)
		return -1;
	if (cfg->drop_privileges && privs_drop(cfg->uid, cfg->gid) == -1)
		return -1;
	return privs_clear_capabilities();
}

/* Order matters: chroot needs root, the filter must come last. */
static int
confine(const struct config *cfg, struct sb_slot *slot, pid_t master_pid)
{
	if (cfg->chroot_dir != NULL && sandbox_chroot(cfg->chroot_dir) == -1)
		return -1;
	if (drop_privileges(cfg) == -1 || bind_to_master(master_pid) == -1)
		return -1;
	if (!cfg->seccomp || !sandbox_seccomp_supported())
		return 0;
	return sandbox_seccomp(&slot->violation);
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
	struct linger lg = { 1, 0 };

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

static bool
acl_allows(const struct service_config *svc, const struct sockaddr *peer)
{
	if (svc->nallow == 0 && svc->ndeny == 0)
		return true;
	return cidr_acl_allows(svc->allow, svc->nallow, svc->deny, svc->ndeny, peer);
}

/* (every worker has its service's counters: worker_run checks) */
static void
count(const struct worker *w, _Atomic uint64_t *counter)
{
	(void)w;
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* The scoreboard knows who else is talking to this service right now. */
static bool
over_per_source_limit(const struct worker *w)
{
	const struct sb_slot *me = w->a->slot;

	if (w->svc->max_per_source == 0 || me == NULL || w->a->sb == NULL)
		return false;
	return scoreboard_busy_from(w->a->sb, w->a->service_id, me->peer, me) >=
	    (size_t)w->svc->max_per_source;
}

static void
serve_connection(struct worker *w, int fd, const struct sockaddr *peer)
{
	struct tcp_session s;
	struct timespec t0, t1;
	char p[80];
	enum session_end end;

	if (!acl_allows(w->svc, peer)) {
		util_format_sockaddr(peer, p, sizeof(p));
		log_info("service %s: refused %s (allow/deny)", w->svc->name, p);
		refuse(fd);
		count(w, &w->a->st->refused_acl);
		return;
	}
	if (w->a->slot != NULL)
		scoreboard_begin(w->a->slot, peer);
	if (over_per_source_limit(w)) {
		util_format_sockaddr(peer, p, sizeof(p));
		log_info("service %s: refused %s: it already has %d connections (max_per_source)",
		    w->svc->name, p, w->svc->max_per_source);
		refuse(fd);
		count(w, &w->a->st->refused_per_source);
		scoreboard_set_state(w->a->slot, SB_IDLE);
		return;
	}
	if (w->access_log)
		clock_gettime(CLOCK_MONOTONIC_COARSE, &t0);
	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.blocking = true;
	s.svc = w->svc;
	s.buf = w->buf;
	s.bufsize = WORKER_BUF;
	s.timeout_ms = timeout_ms(w->svc);
	s.progress = w->a->slot != NULL ? &w->a->slot->progress_ms : NULL;
	end = w->svc->handler->serve_tcp(&s);
	if (end == END_DONE)
		discard_unread(fd, w->buf, WORKER_BUF);
	if (close(fd) == -1 && errno != EINTR)
		log_debug("service %s: close", w->svc->name);
	if (w->a->slot != NULL) {
		scoreboard_end(w->a->slot, s.bytes_in, s.bytes_out);
		if (w->a->st != NULL)
			stats_connection_done(w->a->st, s.bytes_in, s.bytes_out,
			    util_coarse_now_ms() - atomic_load(&w->a->slot->conn_start_ms));
	}
	if (w->connections_left > 0 && --w->connections_left == 0)
		w->retire = true;
	if (end == END_TIMEOUT) {
		util_format_sockaddr(peer, p, sizeof(p));
		log_info("service %s: %s timed out after %d s without progress",
		    w->svc->name, p, w->svc->timeout);
	}
	if (w->access_log) {
		clock_gettime(CLOCK_MONOTONIC_COARSE, &t1);
		util_format_sockaddr(peer, p, sizeof(p));
		log_access("service=%s peer=%s in=%llu out=%llu duration_ms=%lld end=%s",
		    w->svc->name, p, (unsigned long long)s.bytes_in,
		    (unsigned long long)s.bytes_out,
		    (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000,
		    session_end_name(end));
	}
}

/* accept4() errors that concern one connection or a passing shortage, not the socket */
static bool
accept_error_transient(int e)
{
	return e == EINTR || e == ECONNABORTED || e == EPROTO || e == EPERM ||
	    e == ENETDOWN || e == ENOPROTOOPT || e == EHOSTDOWN || e == ENONET ||
	    e == EHOSTUNREACH || e == EOPNOTSUPP || e == ENETUNREACH;
}

static bool
accept_error_resource(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

static void
tcp_loop(struct worker *w)
{
	int drained = 0;

	while (!stop_now(&drained)) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		/* blocking: io_recv_wait may block in it; every other call says MSG_DONTWAIT */
		int fd = accept4(w->a->listen_fd, (struct sockaddr *)&peer, &plen,
		    SOCK_CLOEXEC);

		if (fd >= 0) {
			shortage_over(w);
			serve_connection(w, fd, (struct sockaddr *)&peer);
			if (w->retire)
				return;	/* max_connections_per_worker: the master starts another */
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (sig_worker_stop)
				return;
			wait_for_work(w, -1);
		} else if (accept_error_transient(errno)) {
			continue;
		} else if (accept_error_resource(errno)) {
			/* leave the connection queued for a worker that has room */
			shortage_wait(w, "accept");
		} else if (errno == EINVAL) {
			return;	/* the master shut the socket down: we are stopping */
		} else {
			log_error("service %s: accept", w->svc->name);
			return;
		}
	}
}

/*
 * Never answer what could be a reflection loop or an amplification:
 * privileged source ports (another small service: echo <-> chargen,
 * CVE-1999-0103) and sources that cannot be a real single host.
 */
static bool
udp_source_v4_ok(uint32_t a, uint16_t port)
{
	/* 0.0.0.0/8 unspecified, 224/4 multicast, 240/4 reserved and broadcast */
	return port >= 1024 && (a >> 24) != 0 && (a >> 28) != 0xe && (a >> 28) != 0xf;
}

bool
worker_udp_source_ok(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		const struct in6_addr *a = &s6->sin6_addr;
		uint32_t v4;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(&v4, &a->s6_addr[12], 4);
			return udp_source_v4_ok(ntohl(v4), ntohs(s6->sin6_port));
		}
		return ntohs(s6->sin6_port) >= 1024 && !IN6_IS_ADDR_UNSPECIFIED(a) &&
		    !IN6_IS_ADDR_MULTICAST(a);
	}
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		return udp_source_v4_ok(ntohl(s4->sin_addr.s_addr), ntohs(s4->sin_port));
	}
	return false;
}

/*
 * One spoofed datagram "from" one of our own UDP services on this host
 * starts a loop: echo answers chargen, chargen answers echo, forever (a
 * service port to itself loops one service on itself). The port check
 * above cannot see it when the services listen on ports >= 1024. So a
 * datagram whose source port is the port of any UDP service in our config
 * and whose source address is local is never answered. Local means:
 * loopback (127/8, ::1), the datagram's own destination (pktinfo, on a
 * wildcard bind), or any address the host had when the worker started
 * (getifaddrs, before the sandbox; an address added later is known to the
 * workers the next reload starts). The port test comes first and is one
 * bit of an 8 KiB map, so an ordinary datagram pays nothing more.
 */
struct udp_self {
	uint64_t port[65536 / 64];	/* bit p: a UDP service of ours has port p */
	unsigned char (*local)[16];	/* this host's addresses, IPv4 as v4-mapped */
	size_t nlocal;
};

static void
self_add_local(struct udp_self *u, const struct sockaddr *sa, size_t cap)
{
	uint16_t port;

	if (u->nlocal < cap && sa != NULL &&
	    (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		scoreboard_peer_key(sa, u->local[u->nlocal++], &port);
}

/* Every address of the host's interfaces, and the one the socket is bound to. */
static int
self_find_local(struct worker *w, struct udp_self *u)
{
	struct ifaddrs *ifa = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t cap = 1;

	if (getifaddrs(&ifa) == -1)
		log_warn("service %s: getifaddrs: only loopback and the datagram's own "
		    "destination count as local", w->svc->name);
	for (const struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next)
		cap++;
	if ((u->local = calloc(cap, sizeof(*u->local))) == NULL) {
		log_errorx("service %s: out of memory", w->svc->name);
		freeifaddrs(ifa);
		return -1;
	}
	for (const struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next)
		self_add_local(u, i->ifa_addr, cap);
	freeifaddrs(ifa);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(w->a->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
		self_add_local(u, (struct sockaddr *)&ss, cap);
	return 0;
}

static struct udp_self *
self_new(struct worker *w)
{
	struct udp_self *u = calloc(1, sizeof(*u));
	const struct config *cfg = w->a->cfg;

	if (u == NULL) {
		log_errorx("service %s: out of memory", w->svc->name);
		return NULL;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		if (s->protocol == PROTO_UDP && s->port > 0 && s->port < 65536)
			u->port[s->port / 64] |= UINT64_C(1) << (s->port % 64);
	}
	if (self_find_local(w, u) == -1) {
		free(u);
		return NULL;
	}
	return u;
}

static bool
key_is_loopback(const unsigned char k[16])
{
	static const unsigned char v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const unsigned char v6lo[16] = { [15] = 1 };

	return (memcmp(k, v4mapped, 12) == 0 && k[12] == 127) || memcmp(k, v6lo, 16) == 0;
}

/* The datagram's destination, from its pktinfo; false without one. */
static bool
dest_key(struct msghdr *in, unsigned char k[16])
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			const struct in_pktinfo *pi = (const void *)CMSG_DATA(c);
			memset(k, 0, 16);
			k[10] = k[11] = 0xff;
			memcpy(k + 12, &pi->ipi_addr, 4);
			return true;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			const struct in6_pktinfo *pi = (const void *)CMSG_DATA(c);
			memcpy(k, &pi->ipi6_addr, 16);
			return true;
		}
	}
	return false;
}

static bool
from_our_own_service(const struct worker *w, struct msghdr *in)
{
	const struct udp_self *u = w->self;
	unsigned char src[16], dst[16];
	uint16_t port;

	if (u == NULL)
		return false;
	scoreboard_peer_key(in->msg_name, src, &port);
	if (!(u->port[port / 64] & (UINT64_C(1) << (port % 64))))
		return false;
	if (key_is_loopback(src) || (dest_key(in, dst) && memcmp(src, dst, 16) == 0))
		return true;
	for (size_t i = 0; i < u->nlocal; i++)
		if (memcmp(src, u->local[i], 16) == 0)
			return true;
	return false;
}

/*
 * UDP batching: one recvmmsg() takes up to UDP_BATCH datagrams that are
 * already waiting, one sendmmsg() sends their replies. Each slot has its
 * own buffer as large as any datagram (pages never written cost nothing:
 * small datagrams dirty one page per slot), its own peer address and its
 * own pktinfo, so every reply still leaves from the address its datagram
 * came to. Replies are packed into one arena; the handler always gets
 * WORKER_BUF bytes of room, and the pending replies go out first when the
 * arena cannot offer that much.
 *
 * Memory: slots and arena are mapped, not malloc'ed, so they are page
 * aligned and hold nothing else. Small datagrams dirty one page per slot
 * used and one of the arena. A large one dirties up to 16 more, and eight
 * of them at once some 640 KiB: a worker that saw any (`big`) gives
 * those pages back when it next idles for UDP_IDLE_S (see udp_loop), one
 * madvise() per region, never on the way of a datagram.
 */
#define UDP_BATCH	8
#define UDP_ARENA	(2 * WORKER_BUF)
#define UDP_ALIGN(n)	(((n) + 15) & ~(size_t)15)
#define UDP_SMALL	((size_t)4096)	/* fits the one page a slot keeps */

struct udp_slot {
	struct sockaddr_storage peer;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
	} control;
	struct iovec in;
	struct iovec reply;
};

struct udp_batch {
	struct mmsghdr in[UDP_BATCH];
	struct mmsghdr out[UDP_BATCH];
	struct udp_slot slot[UDP_BATCH];
	unsigned nout;		/* replies waiting in out[] */
	size_t arena_used;
	bool big;		/* a datagram or reply larger than UDP_SMALL since the last trim */
	unsigned char *slots;	/* UDP_BATCH * WORKER_BUF bytes */
	unsigned char *arena;	/* UDP_ARENA bytes */
};

static struct udp_batch *
udp_batch_new(const struct service_config *svc)
{
	struct udp_batch *b = calloc(1, sizeof(*b));
	unsigned char *in;

	if (b == NULL) {
		log_errorx("service %s: out of memory", svc->name);
		return NULL;
	}
	b->slots = mmap(NULL, UDP_BATCH * WORKER_BUF, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b->arena = mmap(NULL, UDP_ARENA, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->slots == MAP_FAILED || b->arena == MAP_FAILED) {
		log_error("service %s: mmap", svc->name);
		free(b);
		return NULL;	/* the worker exits: the mappings go with it */
	}
	in = b->slots;
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		struct msghdr *m = &b->in[i].msg_hdr;

		b->slot[i].in.iov_base = in + (size_t)i * WORKER_BUF;
		b->slot[i].in.iov_len = WORKER_BUF;
		m->msg_name = &b->slot[i].peer;
		m->msg_iov = &b->slot[i].in;
		m->msg_iovlen = 1;
		m->msg_control = b->slot[i].control.buf;
	}
	return b;
}

/*
 * Sends the pending replies. A full send buffer (a 64 KiB reply among
 * many) is waited out briefly, not taken as a reason to drop a reply; a
 * reply that still cannot go is dropped and logged at debug.
 */
static void
udp_flush(struct worker *w, struct udp_batch *b)
{
	unsigned i = 0;
	int full = 0;

	while (i < b->nout) {
		const struct msghdr *m = &b->out[i].msg_hdr;
		int r;

		/* one reply: the shortest call that can send it (see udp_receive) */
		if (b->nout - i == 1 && m->msg_controllen == 0)
			r = sendto(w->a->listen_fd, m->msg_iov->iov_base, m->msg_iov->iov_len,
			    MSG_NOSIGNAL | MSG_DONTWAIT, m->msg_name, m->msg_namelen) == -1 ? -1 : 1;
		else if (b->nout - i == 1)
			r = sendmsg(w->a->listen_fd, m, MSG_NOSIGNAL | MSG_DONTWAIT) == -1 ? -1 : 1;
		else
			r = sendmmsg(w->a->listen_fd, b->out + i, b->nout - i,
			    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r > 0) {
			i += (unsigned)r;
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == ENOBUFS) && full++ < 3) {
			struct pollfd pf = { w->a->listen_fd, POLLOUT, 0 };
			if (poll(&pf, 1, 50) == -1 && errno != EINTR)
				log_debug("service %s: poll", w->svc->name);
			continue;
		}
		log_debug("service %s: sendmmsg", w->svc->name);
		i++;
		full = 0;
	}
	b->nout = 0;
	b->arena_used = 0;
}

/*
 * Builds the reply to datagram i of the batch into the arena and queues
 * it; the peer and pktinfo it refers to stay in the slot until the next
 * recvmmsg(), and the batch is always flushed before that.
 */
static bool
within_udp_rate(const struct worker *w, const struct sockaddr *peer)
{
	unsigned char key[16];
	uint16_t port;

	if (w->svc->udp_rate == 0 || w->a->rl == NULL)
		return true;
	scoreboard_peer_key(peer, key, &port);
	return ratelimit_allow(w->a->rl, w->a->service_id, key, (unsigned)w->svc->udp_rate,
	    (unsigned)w->svc->udp_burst, util_coarse_now_ms());
}

static void
udp_answer(struct worker *w, struct udp_batch *b, unsigned i)
{
	struct msghdr *in = &b->in[i].msg_hdr;
	struct udp_slot *slot = &b->slot[i];
	const struct sockaddr *peer = in->msg_name;
	size_t len = b->in[i].msg_len;
	unsigned char *out;
	char p[80];
	ssize_t rlen;

	count(w, &w->a->st->datagrams);
	if (!worker_udp_source_ok(peer)) {
		count(w, &w->a->st->dropped_reflection);
		if (log_enabled(LOG_LVL_DEBUG)) {
			util_format_sockaddr(peer, p, sizeof(p));
			log_debug("service %s: dropped datagram from %s (possible reflection)",
			    w->svc->name, p);
		}
		return;
	}
	if (from_our_own_service(w, in)) {
		count(w, &w->a->st->dropped_reflection);
		if (log_enabled(LOG_LVL_DEBUG)) {
			util_format_sockaddr(peer, p, sizeof(p));
			log_debug("service %s: dropped datagram from %s (our own UDP service port: a loop)",
			    w->svc->name, p);
		}
		return;
	}
	if (!acl_allows(w->svc, peer)) {
		util_format_sockaddr(peer, p, sizeof(p));
		log_info("service %s: refused datagram from %s (allow/deny)", w->svc->name, p);
		count(w, &w->a->st->dropped_acl);
		return;
	}
	if (!within_udp_rate(w, peer)) {
		count(w, &w->a->st->dropped_rate);
		if (log_enabled(LOG_LVL_DEBUG)) {
			util_format_sockaddr(peer, p, sizeof(p));
			log_debug("service %s: dropped datagram from %s (over udp_rate %d/s)",
			    w->svc->name, p, w->svc->udp_rate);
		}
		return;
	}
	if (b->arena_used + WORKER_BUF > UDP_ARENA)
		udp_flush(w, b);
	out = b->arena + b->arena_used;
	rlen = w->svc->handler->answer_udp(w->svc, slot->in.iov_base, len, out, WORKER_BUF);
	if (rlen >= 0) {
		struct msghdr *m = &b->out[b->nout++].msg_hdr;
		struct cmsghdr *c;

		/* reuse the received pktinfo as the source of the reply */
		for (c = CMSG_FIRSTHDR(in); c != NULL; c = CMSG_NXTHDR(in, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo *pi = (struct in_pktinfo *)(void *)CMSG_DATA(c);
				pi->ipi_spec_dst = pi->ipi_addr;
				pi->ipi_ifindex = 0;
			}
		}
		slot->reply.iov_base = out;
		slot->reply.iov_len = (size_t)rlen;
		if ((size_t)rlen > UDP_SMALL)
			b->big = true;
		m->msg_name = in->msg_name;
		m->msg_namelen = in->msg_namelen;
		m->msg_iov = &slot->reply;
		m->msg_iovlen = 1;
		m->msg_control = in->msg_controllen == 0 ? NULL : in->msg_control;
		m->msg_controllen = in->msg_controllen;
		m->msg_flags = 0;
		b->arena_used += UDP_ALIGN((size_t)rlen);
	}
	if (w->access_log) {
		util_format_sockaddr(peer, p, sizeof(p));
		log_access("service=%s peer=%s in=%zu out=%zd duration_ms=0 end=%s",
		    w->svc->name, p, len, rlen < 0 ? (ssize_t)0 : rlen,
		    rlen < 0 ? "dropped" : "answered");
	}
}

/* The pages large datagrams dirtied go back to the kernel; they read as zeroes if used again. */
static void
udp_trim(struct worker *w, struct udp_batch *b)
{
	if (madvise(b->slots, UDP_BATCH * WORKER_BUF, MADV_DONTNEED) == -1 ||
	    madvise(b->arena, UDP_ARENA, MADV_DONTNEED) == -1)
		log_debug("service %s: madvise", w->svc->name);
	b->big = false;
}

/*
 * A socket bound to a wildcard address receives on every local address,
 * and a reply must leave from the one its datagram came to, or the client
 * drops it: the destination comes in as pktinfo and goes back as the
 * reply's source. A socket bound to one address needs none of that, and
 * skips the control messages both ways (some 5% of a datagram's cost).
 */
static bool
bound_to_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		static const unsigned char v4any[16] = { [10] = 0xff, [11] = 0xff };

		return IN6_IS_ADDR_UNSPECIFIED(a) || memcmp(a, v4any, sizeof(v4any)) == 0;
	}
	return true;
}

static void
enable_pktinfo(struct worker *w)
{
	int on = 1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(w->a->listen_fd, (struct sockaddr *)&ss, &sl) == -1) {
		log_debug("service %s: getsockname", w->svc->name);
		ss.ss_family = AF_UNSPEC;	/* unknown: take the safe way */
	}
	w->pktinfo = bound_to_wildcard(&ss);
	if (!w->pktinfo)
		return;
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(w->a->listen_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) == -1)
		log_debug("service %s: IPV6_RECVPKTINFO", w->svc->name);
	/* on a dual-stack socket IPv4 datagrams carry IP_PKTINFO */
	if (setsockopt(w->a->listen_fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1)
		log_debug("service %s: IP_PKTINFO", w->svc->name);
}

/*
 * UDP workers wait in recvmmsg() itself, not in epoll. An epoll entry per
 * worker stays on the socket's wait queue, so every datagram's sender ran
 * one callback per busy worker before it found an idle one, and every
 * wake-up cost the worker a second syscall: together 10-15% of the CPU a
 * datagram costs on loopback. A blocking receive is what the kernel wakes
 * exclusively, one worker per datagram, like the reference server.
 *
 * So the socket loses O_NONBLOCK (shared by all its workers; nothing else
 * reads it, and every non-blocking call here says MSG_DONTWAIT) and gets a
 * receive timeout. Stopping: SIGTERM interrupts the blocked call (EINTR:
 * no SA_RESTART). One that lands between the flag test and the call is
 * seen at the next datagram, or after UDP_IDLE_S at the latest: that is
 * the timeout's only purpose. A stopping worker takes what is queued with
 * MSG_DONTWAIT, so a wake-up it consumed is never lost, and leaves at
 * EAGAIN (or after DRAIN_MAX datagrams).
 */
#define UDP_IDLE_S	1

static int
udp_block(struct worker *w)
{
	struct timeval tv = { UDP_IDLE_S, 0 };
	int fl = fcntl(w->a->listen_fd, F_GETFL);

	if (fl == -1 || ((fl & O_NONBLOCK) &&
	    fcntl(w->a->listen_fd, F_SETFL, fl & ~O_NONBLOCK) == -1)) {
		log_error("service %s: fcntl", w->svc->name);
		return -1;
	}
	if (setsockopt(w->a->listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
		log_error("service %s: setsockopt(SO_RCVTIMEO)", w->svc->name);
		return -1;
	}
	return 0;
}

/*
 * One datagram at a time is the common case under light load, and there
 * the single-message calls are the shorter way through the kernel (no
 * message headers and iovecs to copy in, no batch loop): recvfrom() and
 * sendto(), or recvmsg() and sendmsg() where pktinfo must come along.
 * Together some 5% of a datagram's CPU (bench, udp mode). The
 * multi-message calls are kept for real batches.
 */
static int
udp_receive(struct worker *w, struct udp_batch *b, unsigned want, int flags)
{
	struct msghdr *m = &b->in[0].msg_hdr;
	size_t room = m->msg_iov->iov_len;
	ssize_t r;

	if (want > 1)
		return recvmmsg(w->a->listen_fd, b->in, want, flags, NULL);
	if (w->pktinfo) {
		r = recvmsg(w->a->listen_fd, m, flags & MSG_DONTWAIT);
		if (r == -1)
			return -1;
		b->in[0].msg_len = (unsigned)r;
		return 1;
	}
	/* MSG_TRUNC: the datagram's whole length, to tell a truncated one */
	r = recvfrom(w->a->listen_fd, m->msg_iov->iov_base, room,
	    (flags & MSG_DONTWAIT) | MSG_TRUNC, m->msg_name, &m->msg_namelen);
	if (r == -1)
		return -1;
	m->msg_flags = (size_t)r > room ? MSG_TRUNC : 0;
	b->in[0].msg_len = (size_t)r > room ? (unsigned)room : (unsigned)r;
	return 1;
}

/*
 * How many datagrams to ask for adapts to the queue. MSG_WAITFORONE waits
 * for the first only; a batch that comes back short means the queue was
 * empty, so the next call asks for one (and waits). A full batch of more
 * than one means more may be waiting: ask for twice as many, up to
 * UDP_BATCH. Under light load a worker so takes one datagram at a time:
 * grabbing a datagram whose arrival already woke another worker only
 * wastes that wake-up, and replies sent in a burst cost the clients more
 * than they save here.
 *
 * One datagram asked for and got says nothing about the queue, so a batch
 * of two is tried now and then. A try that finds nothing behind the first
 * datagram costs a second look into the queue, some 10% of a datagram's
 * CPU (bench, udp mode), so after each miss the next try waits twice as
 * long, up to every UDP_PROBE_MAX datagrams; a hit starts over at once.
 */
#define UDP_PROBE_MAX	64

struct udp_pace {
	unsigned want;		/* datagrams the next call asks for */
	unsigned probe_every;	/* singles between two tries of a batch */
	unsigned singles;	/* singles since the last try */
};

static void
udp_pace_after(struct udp_pace *p, unsigned got)
{
	if (p->want > 1) {
		if (got > 1)
			p->probe_every = 1;
		else if (p->probe_every < UDP_PROBE_MAX)
			p->probe_every *= 2;
		p->singles = 0;
		p->want = got == p->want ? (p->want * 2 > UDP_BATCH ? UDP_BATCH : p->want * 2) : 1;
		return;
	}
	if (got == 1 && ++p->singles >= p->probe_every) {
		p->singles = 0;
		p->want = 2;
	}
}

static void
udp_loop(struct worker *w)
{
	struct udp_batch *b = w->udp;
	struct udp_pace pace = { 1, 1, 0 };
	int drained = 0;

	enable_pktinfo(w);
	if (udp_block(w) == -1)
		return;
	for (;;) {
		int n, flags = MSG_WAITFORONE;

		if (sig_worker_stop) {
			if (drained >= DRAIN_MAX)
				return;
			flags = MSG_DONTWAIT;
		}
		unsigned want = pace.want;

		for (unsigned i = 0; i < want; i++) {
			b->in[i].msg_hdr.msg_namelen = sizeof(b->slot[i].peer);
			b->in[i].msg_hdr.msg_controllen = w->pktinfo ? sizeof(b->slot[i].control.buf) : 0;
		}
		n = udp_receive(w, b, want, flags);
		if (n > 0) {
			shortage_over(w);
			for (unsigned i = 0; i < (unsigned)n; i++) {
				if (b->in[i].msg_len > UDP_SMALL ||
				    (b->in[i].msg_hdr.msg_flags & MSG_TRUNC))
					b->big = true;
				if (!(b->in[i].msg_hdr.msg_flags & MSG_TRUNC))
					udp_answer(w, b, i);	/* a truncated one: larger than any we answer */
			}
			udp_flush(w, b);
			if (sig_worker_stop)
				drained += n;
			udp_pace_after(&pace, (unsigned)n);
			if ((unsigned)n < want && sig_worker_stop)
				return;	/* the queue was empty */
			continue;
		}
		pace.want = 1;
		if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
			if (sig_worker_stop)
				return;
			/* the idle timeout: hand back what large datagrams dirtied, wait again */
			if (b->big)
				udp_trim(w, b);
		} else if (errno == EINTR || errno == ECONNREFUSED)
			continue;
		else if (accept_error_resource(errno))
			shortage_wait(w, "recvmmsg"); else {
			log_error("service %s: recvmmsg", w->svc->name);
			return;
		}
	}
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
	w.epfd = -1;
	w.wake[0] = w.wake[1] = -1;
	w.access_log = a->cfg->log.connections;
	proctitle_set("netsrvd: worker %s", a->svc->name);
	if (a->st == NULL || a->slot == NULL) {
		log_errorx("service %s: no scoreboard line or counters", a->svc->name);
		_exit(WORKER_EXIT_SETUP);
	}
	/* from here on the only shared page we can write is our own line */
	if (scoreboard_confine(a->sb, a->slot_index) == -1 || stats_confine(a->stats) == -1)
		_exit(WORKER_EXIT_SETUP);
	/* what the handler reads while serving; its init logs its own failure */
	struct handler_env env = { a->sb, a->stats, a->cfg };
	if (a->svc->handler->init != NULL && a->svc->handler->init(a->svc, &env) == -1)
		_exit(WORKER_EXIT_SETUP);
	if (a->svc->protocol == PROTO_UDP) {
		if ((w.udp = udp_batch_new(a->svc)) == NULL || (w.self = self_new(&w)) == NULL)
			_exit(WORKER_EXIT_SETUP);
	} else if ((w.buf = malloc(WORKER_BUF)) == NULL) {
		log_errorx("service %s: out of memory", a->svc->name);
		_exit(WORKER_EXIT_SETUP);
	}
	if (setup_wait(&w) == -1 || confine(a->cfg, a->slot, a->master_pid) == -1)
		_exit(WORKER_EXIT_SETUP);
	/* up to a tenth more, so a pool started at once does not renew at once */
	if (a->svc->max_connections_per_worker > 0)
		w.connections_left = a->svc->max_connections_per_worker +
		    (long)handler_random((uint32_t)a->svc->max_connections_per_worker / 10 + 1);

	if (a->slot != NULL)
		scoreboard_set_state(a->slot, SB_IDLE);
	if (a->svc->protocol == PROTO_TCP)
		tcp_loop(&w);
	else
		udp_loop(&w);
	if (a->slot != NULL)
		scoreboard_set_state(a->slot, SB_STOPPING);
	_exit(WORKER_EXIT_OK);
}
