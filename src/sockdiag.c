/* A TCP connection's state asked of the kernel by its addresses (NETLINK_SOCK_DIAG): no descriptor held. */
#include "autoconfig.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockdiag.h"

int
sockdiag_open(void)
{
	return socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
}

/* The request's id: addresses in network order, the family's own width. */
static int
fill_id(struct inet_diag_req_v2 *r, const struct sockaddr *local, const struct sockaddr *remote)
{
	if (local->sa_family != remote->sa_family)
		return -1;
	r->sdiag_family = (uint8_t)local->sa_family;
	if (local->sa_family == AF_INET) {
		const struct sockaddr_in *l = (const struct sockaddr_in *)local;
		const struct sockaddr_in *p = (const struct sockaddr_in *)remote;
		r->id.idiag_sport = l->sin_port;
		r->id.idiag_dport = p->sin_port;
		memcpy(r->id.idiag_src, &l->sin_addr, 4);
		memcpy(r->id.idiag_dst, &p->sin_addr, 4);
		return 0;
	}
	if (local->sa_family == AF_INET6) {
		const struct sockaddr_in6 *l = (const struct sockaddr_in6 *)local;
		const struct sockaddr_in6 *p = (const struct sockaddr_in6 *)remote;
		r->id.idiag_sport = l->sin6_port;
		r->id.idiag_dport = p->sin6_port;
		memcpy(r->id.idiag_src, &l->sin6_addr, 16);
		memcpy(r->id.idiag_dst, &p->sin6_addr, 16);
		return 0;
	}
	return -1;
}

static void
take_reply(const struct nlmsghdr *h, size_t len, struct sockdiag_tcp *out)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	size_t alen;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || h->nlmsg_len > len)
		return;
	out->found = true;
	out->inode = m->idiag_inode;
	out->state = m->idiag_state;
	alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		size_t n = RTA_PAYLOAD(a);
		if (a->rta_type != INET_DIAG_INFO)
			continue;
		/* an older kernel's tcp_info is shorter: what it lacks stays 0 */
		memcpy(&out->info, RTA_DATA(a), n < sizeof(out->info) ? n : sizeof(out->info));
		out->have_info = true;
	}
}

int
sockdiag_tcp_query(int nl, const struct sockaddr *local, const struct sockaddr *remote,
    struct sockdiag_tcp *out)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	union {
		struct nlmsghdr h;
		/* cppcheck-suppress unusedStructMember ; the size, with the header's alignment */
		char bytes[8192];
	} reply;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	/* not a dump: the one socket, found by the kernel's own lookup */
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_ext = 1U << (INET_DIAG_INFO - 1);
	req.r.idiag_states = ~0U;
	req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (fill_id(&req.r, local, remote) == -1) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) == -1)
		return -1;
	do
		n = recv(nl, &reply, sizeof(reply), 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (!NLMSG_OK(&reply.h, (size_t)n))
		return errno = EPROTO, -1;
	if (reply.h.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(&reply.h);
		if (e->error == -ENOENT)
			return 0;
		errno = -e->error;
		return -1;
	}
	if (reply.h.nlmsg_type == SOCK_DIAG_BY_FAMILY)
		take_reply(&reply.h, (size_t)n, out);
	return 0;
}
