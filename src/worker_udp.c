/* A UDP worker's engine: batches of datagrams in, checked, answered, replies out. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "access.h"
#include "handler.h"
#include "log.h"
#include "sig.h"
#include "util.h"
#include "worker_udp.h"

struct udp_batch;
struct udp_self;

/*
 * One UDP worker's state: made before the sandbox, used after. What every
 * datagram needs is here, on one line: with hundreds of workers taking
 * turns on a CPU, a datagram finds its worker's memory out of cache and
 * out of the TLB, and every other line or page it touches is a miss (perf
 * at 256 workers: the user-space part of a datagram 1.5 times the
 * reference's; a quarter of the loop's own samples on the load from the
 * 8 KiB port map, more on the counters and the worker's arguments).
 */
struct worker_udp {
	const struct worker_args *a;
	const struct service_config *svc;
	struct udp_batch *batch;	/* datagrams and replies */
	struct udp_self *self;	/* our own ports and addresses */
	struct svc_stats *st;	/* a->st: this worker's counters */
	uint64_t port_hint;	/* bit p % 64: a UDP service of ours may have port p */
	int fd;			/* a->listen_fd */
	bool access_log;
	bool pktinfo;		/* on a wildcard address: replies name their source */
};

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
 * workers the next reload starts). The port test comes first: one bit
 * of a word in struct worker_udp, then one of an 8 KiB map, so an
 * ordinary datagram pays nothing more.
 */
struct udp_self {
	uint64_t port[65536 / 64];	/* bit p: a UDP service of ours has port p */
	unsigned char (*local)[16];	/* this host's addresses, IPv4 as v4-mapped */
	size_t nlocal;
};

static void
self_add_local(struct udp_self *self, const struct sockaddr *sa, size_t cap)
{
	uint16_t port;

	if (self->nlocal < cap && sa != NULL &&
	    (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		scoreboard_peer_key(sa, self->local[self->nlocal++], &port);
}

/* Every address of the host's interfaces, and the one the socket is bound to. */
static int
self_find_local(struct worker_udp *u, struct udp_self *self)
{
	struct ifaddrs *ifa = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t cap = 1;

	if (getifaddrs(&ifa) == -1)
		log_warn("service %s: getifaddrs: only loopback and the datagram's own "
		    "destination count as local", u->svc->name);
	for (const struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next)
		cap++;
	if ((self->local = calloc(cap, sizeof(*self->local))) == NULL) {
		log_errorx("service %s: out of memory", u->svc->name);
		freeifaddrs(ifa);
		return -1;
	}
	for (const struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next)
		self_add_local(self, i->ifa_addr, cap);
	freeifaddrs(ifa);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(u->a->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
		self_add_local(self, (struct sockaddr *)&ss, cap);
	return 0;
}

static struct udp_self *
self_new(struct worker_udp *u)
{
	struct udp_self *self = calloc(1, sizeof(*self));
	const struct config *cfg = u->a->cfg;

	if (self == NULL) {
		log_errorx("service %s: out of memory", u->svc->name);
		return NULL;
	}
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		if (s->protocol == PROTO_UDP && s->port > 0 && s->port < 65536) {
			self->port[s->port / 64] |= UINT64_C(1) << (s->port % 64);
			u->port_hint |= UINT64_C(1) << (s->port % 64);
		}
	}
	if (self_find_local(u, self) == -1) {
		free(self);
		return NULL;
	}
	return self;
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

/* src, port: the datagram's source as scoreboard_peer_key() gives it */
static bool
from_our_own_service(const struct worker_udp *u, struct msghdr *in,
    const unsigned char src[16], uint16_t port)
{
	const struct udp_self *self = u->self;
	unsigned char dst[16];

	if (self == NULL || !(u->port_hint & (UINT64_C(1) << (port % 64))))
		return false;
	if (!(self->port[port / 64] & (UINT64_C(1) << (port % 64))))
		return false;
	if (key_is_loopback(src) || (dest_key(in, dst) && memcmp(src, dst, 16) == 0))
		return true;
	for (size_t i = 0; i < self->nlocal; i++)
		if (memcmp(src, self->local[i], 16) == 0)
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
 * those pages back when it next idles for UDP_IDLE_S (see worker_udp_run), one
 * madvise() per region, never on the way of a datagram.
 */
#define UDP_BATCH	8
#define UDP_ARENA	(2 * WORKER_BUF)
#define UDP_ALIGN(n)	(((n) + 15) & ~(size_t)15)
#define UDP_SMALL	((size_t)4096)	/* fits the one page a slot keeps */

/*
 * Room for both pktinfo kinds a dual-stack socket can deliver, aligned
 * as control messages must be (struct cmsghdr itself ends in a flexible
 * array, so it cannot sit in a union here).
 */
#define UDP_CONTROL_ROOM 128
_Static_assert(CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) <=
    UDP_CONTROL_ROOM, "UDP_CONTROL_ROOM holds both pktinfo messages");

struct udp_slot {
	struct sockaddr_storage peer;
	struct {
		_Alignas(struct cmsghdr) char buf[UDP_CONTROL_ROOM];
	} control;
	struct iovec in;
	struct iovec reply;
};

/* the counters first: on in[0]'s page, not some 3 KiB further (see struct worker_udp) */
struct udp_batch {
	unsigned nout;		/* replies waiting in out[] */
	bool big;		/* a datagram or reply larger than UDP_SMALL since the last trim */
	size_t arena_used;
	unsigned char *slots;	/* UDP_BATCH * WORKER_BUF bytes */
	unsigned char *arena;	/* UDP_ARENA bytes */
	struct mmsghdr in[UDP_BATCH];
	struct mmsghdr out[UDP_BATCH];
	struct udp_slot slot[UDP_BATCH];
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
udp_flush(struct worker_udp *u, struct udp_batch *b)
{
	unsigned i = 0;
	int full = 0;

	while (i < b->nout) {
		const struct msghdr *m = &b->out[i].msg_hdr;
		int r;

		/* one reply: the shortest call that can send it (see udp_receive) */
		if (b->nout - i == 1 && m->msg_controllen == 0)
			r = sendto(u->fd, m->msg_iov->iov_base, m->msg_iov->iov_len,
			    MSG_NOSIGNAL | MSG_DONTWAIT, m->msg_name, m->msg_namelen) == -1 ? -1 : 1;
		else if (b->nout - i == 1)
			r = sendmsg(u->fd, m, MSG_NOSIGNAL | MSG_DONTWAIT) == -1 ? -1 : 1;
		else
			r = sendmmsg(u->fd, b->out + i, b->nout - i,
			    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r > 0) {
			i += (unsigned)r;
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == ENOBUFS) && full++ < 3) {
			struct pollfd pf = { .fd = u->fd, .events = POLLOUT };
			if (poll(&pf, 1, 50) == -1 && errno != EINTR)
				log_debug("service %s: poll", u->svc->name);
			continue;
		}
		log_debug("service %s: sendmmsg", u->svc->name);
		i++;
		full = 0;
	}
	b->nout = 0;
	b->arena_used = 0;
}

/*
 * A datagram not answered for what its source is or does: the access
 * log's end=refused line. Without the access log, what a flood repeats
 * (reflection, rate) is logged at debug only.
 */
static void
refuse_datagram(const struct worker_udp *u, const struct sockaddr *peer, const char *reason,
    const char *detail, _Atomic uint64_t *counter, enum access_otherwise otherwise)
{
	struct access_line l = { .service = u->svc->name, .peer = peer, .end = "refused",
	    .log_peer = logpeer_mode(u->svc->log_peer),
	    .reason = reason, .detail = detail };

	worker_count(counter);
	access_log(&l, u->access_log, otherwise);
}

static bool
within_udp_rate(const struct worker_udp *u, const unsigned char key[16])
{
	if (u->svc->udp_rate == 0 || u->a->rl == NULL)
		return true;
	return ratelimit_allow(u->a->rl, u->a->service_id, key, (unsigned)u->svc->udp_rate,
	    (unsigned)u->svc->udp_burst, util_coarse_now_ms());
}

/*
 * Builds the reply to datagram i of the batch into the arena and queues
 * it; the peer and pktinfo it refers to stay in the slot until the next
 * recvmmsg(), and the batch is always flushed before that.
 */
static void
udp_answer(struct worker_udp *u, struct udp_batch *b, unsigned i)
{
	struct msghdr *in = &b->in[i].msg_hdr;
	struct udp_slot *slot = &b->slot[i];
	const struct sockaddr *peer = in->msg_name;
	size_t len = b->in[i].msg_len;
	unsigned char *out, key[16];
	uint16_t port;
	ssize_t rlen;

	worker_count(&u->st->datagrams);
	if (!worker_udp_source_ok(peer)) {
		refuse_datagram(u, peer, "reflection",
		    "a privileged port or a broadcast, multicast, reserved or unspecified address",
		    &u->st->dropped_reflection, ACCESS_OR_DEBUG);
		return;
	}
	/* the source once, as a key: the loop check and the rate limit both use it */
	scoreboard_peer_key(peer, key, &port);
	if (from_our_own_service(u, in, key, port)) {
		refuse_datagram(u, peer, "reflection", "from our own UDP service port: a loop",
		    &u->st->dropped_reflection, ACCESS_OR_DEBUG);
		return;
	}
	if (!worker_acl_allows(u->a, peer)) {
		refuse_datagram(u, peer, "acl", NULL, &u->st->dropped_acl, ACCESS_OR_INFO);
		return;
	}
	if (!within_udp_rate(u, key)) {
		refuse_datagram(u, peer, "rate", NULL, &u->st->dropped_rate, ACCESS_OR_DEBUG);
		return;
	}
	if (b->arena_used + WORKER_BUF > UDP_ARENA)
		udp_flush(u, b);
	out = b->arena + b->arena_used;
	rlen = u->svc->handler->answer_udp(u->svc, slot->in.iov_base, len, out, WORKER_BUF);
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
	if (u->access_log) {
		struct access_line l = { .service = u->svc->name, .peer = peer, .counted = true,
		    .log_peer = logpeer_mode(u->svc->log_peer),
		    .in = len, .out = rlen < 0 ? 0 : (unsigned long long)rlen,
		    .end = rlen < 0 ? "dropped" : "answered" };

		access_log(&l, true, ACCESS_ONLY);
	}
}

/* The pages large datagrams dirtied go back to the kernel; they read as zeroes if used again. */
static void
udp_trim(struct worker_udp *u, struct udp_batch *b)
{
	if (madvise(b->slots, UDP_BATCH * WORKER_BUF, MADV_DONTNEED) == -1 ||
	    madvise(b->arena, UDP_ARENA, MADV_DONTNEED) == -1)
		log_debug("service %s: madvise", u->svc->name);
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
enable_pktinfo(struct worker_udp *u)
{
	int on = 1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(u->a->listen_fd, (struct sockaddr *)&ss, &sl) == -1) {
		log_debug("service %s: getsockname", u->svc->name);
		ss.ss_family = AF_UNSPEC;	/* unknown: take the safe way */
	}
	u->pktinfo = bound_to_wildcard(&ss);
	if (!u->pktinfo)
		return;
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(u->a->listen_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) == -1)
		log_debug("service %s: IPV6_RECVPKTINFO", u->svc->name);
	/* on a dual-stack socket IPv4 datagrams carry IP_PKTINFO */
	if (setsockopt(u->a->listen_fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1)
		log_debug("service %s: IP_PKTINFO", u->svc->name);
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
 * EAGAIN (or after WORKER_DRAIN_MAX datagrams).
 */
#define UDP_IDLE_S	1

static int
udp_block(struct worker_udp *u)
{
	struct timeval tv = { .tv_sec = UDP_IDLE_S, .tv_usec = 0 };
	int fl = fcntl(u->a->listen_fd, F_GETFL);

	if (fl == -1 || ((fl & O_NONBLOCK) &&
	    fcntl(u->a->listen_fd, F_SETFL, fl & ~O_NONBLOCK) == -1)) {
		log_error("service %s: fcntl", u->svc->name);
		return -1;
	}
	if (setsockopt(u->a->listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1) {
		log_error("service %s: setsockopt(SO_RCVTIMEO)", u->svc->name);
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
udp_receive(struct worker_udp *u, struct udp_batch *b, unsigned want, int flags)
{
	struct msghdr *m = &b->in[0].msg_hdr;
	size_t room = m->msg_iov->iov_len;
	ssize_t r;

	if (want > 1)
		return recvmmsg(u->fd, b->in, want, flags, NULL);
	if (u->pktinfo) {
		r = recvmsg(u->fd, m, flags & MSG_DONTWAIT);
		if (r == -1)
			return -1;
		b->in[0].msg_len = (unsigned)r;
		return 1;
	}
	/* MSG_TRUNC: the datagram's whole length, to tell a truncated one */
	r = recvfrom(u->fd, m->msg_iov->iov_base, room,
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
 * of two is tried now and then, but only if the single receive before it
 * found its datagram waiting. One that had to wait shows there are idle
 * workers, and then each datagram that queues has woken one of them
 * already: a batch takes it from them, and they run for nothing. Tried
 * whatever the wait (bench udp mode: 4 workers, 4 clients with one
 * datagram each), the tries cost 4% of the rate and 7% more CPU per
 * datagram than no batching at all; with more datagrams in flight than
 * workers (udp-burst) no worker waits, and batches save 8-10%. So when a
 * try is due, the next single receive is timed (two vDSO clock reads, too
 * many to pay on every datagram at 64 workers: 1.5% of its CPU there);
 * one that took longer than UDP_WAITED_US waited (or was preempted: then
 * no try either, which costs nothing) and counts as a miss. A try that
 * finds nothing behind the first datagram costs a second look into the
 * queue, some 10% of a datagram's CPU. After each miss the next try waits
 * for twice as many singles, up to UDP_PROBE_MAX; a hit starts over at once.
 */
#define UDP_PROBE_MAX	64
#define UDP_WAITED_US	20

struct udp_pace {
	unsigned want;		/* datagrams the next call asks for */
	unsigned probe_every;	/* singles between two tries of a batch */
	unsigned singles;	/* singles since the last try */
	bool timed;		/* a try is due: the next single is timed first */
};

static void
udp_pace_miss(struct udp_pace *p)
{
	if (p->probe_every < UDP_PROBE_MAX)
		p->probe_every *= 2;
}

/* got: datagrams the last call returned; waited: it was a timed single that waited */
static void
udp_pace_after(struct udp_pace *p, unsigned got, bool waited)
{
	if (p->want > 1) {
		if (got > 1)
			p->probe_every = 1;
		else
			udp_pace_miss(p);
		p->singles = 0;
		p->want = got == p->want ? (p->want * 2 > UDP_BATCH ? UDP_BATCH : p->want * 2) : 1;
		return;
	}
	if (p->timed) {
		p->timed = false;
		if (waited)
			udp_pace_miss(p);
		else
			p->want = 2;
	} else if (got == 1 && ++p->singles >= p->probe_every) {
		p->singles = 0;
		p->timed = true;
	}
}

void
worker_udp_run(struct worker_udp *u, struct worker_shortage *sh)
{
	struct udp_batch *b = u->batch;
	struct udp_pace pace = { .want = 1, .probe_every = 1, .singles = 0, .timed = false };
	int drained = 0;

	enable_pktinfo(u);
	if (udp_block(u) == -1)
		return;
	for (;;) {
		int n, flags = MSG_WAITFORONE;

		if (sig_worker_stop) {
			if (drained >= WORKER_DRAIN_MAX)
				return;
			flags = MSG_DONTWAIT;
		}
		unsigned want = pace.want;

		for (unsigned i = 0; i < want; i++) {
			b->in[i].msg_hdr.msg_namelen = sizeof(b->slot[i].peer);
			b->in[i].msg_hdr.msg_controllen = u->pktinfo ? sizeof(b->slot[i].control.buf) : 0;
		}
		bool timed = want == 1 && pace.timed;
		int64_t t0 = timed ? util_now_us() : 0;

		n = udp_receive(u, b, want, flags);
		bool waited = timed && util_now_us() - t0 > UDP_WAITED_US;

		if (n > 0) {
			worker_shortage_over(sh);
			for (unsigned i = 0; i < (unsigned)n; i++) {
				if (b->in[i].msg_len > UDP_SMALL ||
				    (b->in[i].msg_hdr.msg_flags & MSG_TRUNC))
					b->big = true;
				if (!(b->in[i].msg_hdr.msg_flags & MSG_TRUNC))
					udp_answer(u, b, i);	/* a truncated one: larger than any we answer */
			}
			udp_flush(u, b);
			if (sig_worker_stop)
				drained += n;
			udp_pace_after(&pace, (unsigned)n, waited);
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
				udp_trim(u, b);
		} else if (errno == EINTR || errno == ECONNREFUSED)
			continue;
		else if (worker_error_resource(errno))
			worker_shortage_wait(sh, "recvmmsg");
		else {
			log_error("service %s: recvmmsg", u->svc->name);
			return;
		}
	}
}

struct worker_udp *
worker_udp_new(const struct worker_args *a)
{
	struct worker_udp *u = calloc(1, sizeof(*u));

	if (u == NULL) {
		log_errorx("service %s: out of memory", a->svc->name);
		return NULL;
	}
	u->a = a;
	u->svc = a->svc;
	u->st = a->st;
	u->fd = a->listen_fd;
	u->access_log = a->cfg->log.connections;
	if ((u->batch = udp_batch_new(a->svc)) == NULL || (u->self = self_new(u)) == NULL) {
		free(u);	/* the worker exits: the batch's mappings go with it */
		return NULL;
	}
	return u;
}
