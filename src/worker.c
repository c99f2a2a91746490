/* A worker: accepts (or receives) on one service's socket, serves one client at a time. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

/* big enough for any UDP datagram; the TCP echo's pending window */
#define WORKER_BUF ((size_t)64 * 1024)

struct worker {
	const struct worker_args *a;
	const struct service_config *svc;
	int epfd;
	int wake[2];		/* self-pipe: SIGTERM wakes the idle wait */
	unsigned char *buf;
	unsigned char *out;	/* UDP replies */
	bool access_log;
};

/*
 * Idle wait: the listener (EPOLLEXCLUSIVE, so one connection wakes one
 * worker, not the whole pool) and the self-pipe. A SIGTERM that lands
 * anywhere before epoll_wait has already written to the pipe, so the
 * stop is never missed.
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
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->a->listen_fd, &ev) == -1) {
		log_error("service %s: epoll_ctl", w->svc->name);
		return -1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = w->wake[0];
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake[0], &ev) == -1) {
		log_error("service %s: epoll_ctl", w->svc->name);
		return -1;
	}
	return sig_worker_setup(w->wake[1]);
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

/* The master is our parent until it dies; then PDEATHSIG (or this check) ends us. */
static int
bind_to_master(const struct worker_args *a)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1) {
		log_error("prctl(PR_SET_PDEATHSIG)");
		return -1;
	}
	if (getppid() != a->master_pid) {
		log_warnx("master %ld is gone; worker exits", (long)a->master_pid);
		return -1;
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
	if (!cfg->drop_privileges)
		return 0;
	return privs_drop(cfg->uid, cfg->gid);
}

/* at most 86400 s: fits an int in milliseconds */
/* Order matters: chroot needs root, the filter must come last. */
static int
confine(const struct config *cfg)
{
	if (cfg->chroot_dir != NULL && sandbox_chroot(cfg->chroot_dir) == -1)
		return -1;
	if (drop_privileges(cfg) == -1)
		return -1;
	if (!cfg->seccomp || !sandbox_seccomp_supported())
		return 0;
	return sandbox_seccomp();
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
		return;
	}
	if (w->access_log)
		clock_gettime(CLOCK_MONOTONIC_COARSE, &t0);
	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.svc = w->svc;
	s.buf = w->buf;
	s.bufsize = WORKER_BUF;
	s.timeout_ms = timeout_ms(w->svc);
	end = w->svc->handler->serve_tcp(&s);
	if (end == END_DONE)
		discard_unread(fd, w->buf, WORKER_BUF);
	if (close(fd) == -1 && errno != EINTR)
		log_debug("service %s: close", w->svc->name);
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
		int fd = accept4(w->a->listen_fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			serve_connection(w, fd, (struct sockaddr *)&peer);
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
			log_warn("service %s: accept", w->svc->name);
			wait_for_work(w, 100);
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
 * Replies leave from the address the datagram came to (IP_PKTINFO), so a
 * service on "*" answers correctly on a multi-homed host.
 */
static void
udp_answer(struct worker *w, struct msghdr *in, size_t len)
{
	const struct sockaddr *peer = in->msg_name;
	char p[80];
	ssize_t rlen;

	if (!worker_udp_source_ok(peer)) {
		if (log_enabled(LOG_LVL_DEBUG)) {
			util_format_sockaddr(peer, p, sizeof(p));
			log_debug("service %s: dropped datagram from %s (possible reflection)",
			    w->svc->name, p);
		}
		return;
	}
	if (!acl_allows(w->svc, peer)) {
		util_format_sockaddr(peer, p, sizeof(p));
		log_info("service %s: refused datagram from %s (allow/deny)", w->svc->name, p);
		return;
	}
	rlen = w->svc->handler->answer_udp(w->svc, w->buf, len, w->out, WORKER_BUF);
	if (rlen >= 0) {
		struct iovec iov = { w->out, (size_t)rlen };
		struct msghdr out = *in;
		struct cmsghdr *c;

		out.msg_iov = &iov;
		out.msg_iovlen = 1;
		out.msg_flags = 0;
		/* reuse the received pktinfo as the source of the reply */
		for (c = CMSG_FIRSTHDR(&out); c != NULL; c = CMSG_NXTHDR(&out, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo *pi = (struct in_pktinfo *)(void *)CMSG_DATA(c);
				pi->ipi_spec_dst = pi->ipi_addr;
				pi->ipi_ifindex = 0;
			}
		}
		if (out.msg_controllen == 0)
			out.msg_control = NULL;
		if (sendmsg(w->a->listen_fd, &out, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
			log_debug("service %s: sendmsg", w->svc->name);
	}
	if (w->access_log) {
		util_format_sockaddr(peer, p, sizeof(p));
		log_access("service=%s peer=%s in=%zu out=%zd duration_ms=0 end=%s",
		    w->svc->name, p, len, rlen < 0 ? (ssize_t)0 : rlen,
		    rlen < 0 ? "dropped" : "answered");
	}
}

static void
enable_pktinfo(struct worker *w)
{
	int on = 1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(w->a->listen_fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(w->a->listen_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) == -1)
		log_debug("service %s: IPV6_RECVPKTINFO", w->svc->name);
	/* on a dual-stack socket IPv4 datagrams carry IP_PKTINFO */
	if (setsockopt(w->a->listen_fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1)
		log_debug("service %s: IP_PKTINFO", w->svc->name);
}

static void
udp_loop(struct worker *w)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
	} control;

	int drained = 0;

	enable_pktinfo(w);
	while (!stop_now(&drained)) {
		struct sockaddr_storage peer;
		struct iovec iov = { w->buf, WORKER_BUF };
		struct msghdr m;
		ssize_t n;

		memset(&m, 0, sizeof(m));
		m.msg_name = &peer;
		m.msg_namelen = sizeof(peer);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = control.buf;
		m.msg_controllen = sizeof(control.buf);
		n = recvmsg(w->a->listen_fd, &m, MSG_DONTWAIT);
		if (n >= 0) {
			if (m.msg_flags & MSG_TRUNC)
				continue;	/* larger than any datagram we answer */
			udp_answer(w, &m, (size_t)n);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (sig_worker_stop)
				return;
			wait_for_work(w, -1);
		} else if (errno == EINTR || errno == ECONNREFUSED)
			continue;
		else if (accept_error_resource(errno)) {
			log_warn("service %s: recvmsg", w->svc->name);
			wait_for_work(w, 100);
		} else {
			log_error("service %s: recvmsg", w->svc->name);
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
	if (bind_to_master(a) == -1)
		_exit(WORKER_EXIT_OK);
	w.buf = malloc(WORKER_BUF);
	w.out = a->svc->protocol == PROTO_UDP ? malloc(WORKER_BUF) : w.buf;
	if (w.buf == NULL || w.out == NULL) {
		log_errorx("service %s: out of memory", a->svc->name);
		_exit(WORKER_EXIT_SETUP);
	}
	if (setup_wait(&w) == -1 || confine(a->cfg) == -1)
		_exit(WORKER_EXIT_SETUP);

	if (a->svc->protocol == PROTO_TCP)
		tcp_loop(&w);
	else
		udp_loop(&w);
	_exit(WORKER_EXIT_OK);
}
