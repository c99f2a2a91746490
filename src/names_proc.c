/* The names process: looks up the host names of allow/deny as their records expire; the one process of a generation that talks to a DNS server. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <linux/futex.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "names.h"
#include "privs.h"
#include "proctitle.h"
#include "util.h"

/*
 * Records are kept for their TTL, within these bounds: a TTL of 0 would
 * ask again for every connection, a huge one would never notice a change.
 */
#define TTL_MIN_S	1
#define TTL_MAX_S	86400
/* A lookup that failed is tried again, and logged again, this much later (ms). */
#define RETRY_MS	30000
/* An answer with 1,000 AAAA records is 28 KB; one over TCP can be 64 KB. */
#define ANSWER_MAX	65536

struct proc {
	struct names *n;
	struct names_shared *sh;
	struct __res_state res;
	bool res_ok;
	int64_t *due;		/* per host: when to look it up again */
	bool *failing;		/* per host: its last lookup failed */
	bool *capped;		/* per host: it had more than NAMES_ADDRS_MAX (warned) */
	unsigned char *answer;	/* ANSWER_MAX */
	unsigned char (*addrs)[16];	/* NAMES_ADDRS_MAX */
};

/* What one lookup found: addresses (into p->addrs from *n on), the least TTL, what did not fit. */
struct found {
	size_t n;
	uint32_t ttl;
	size_t dropped;
	int herr;		/* h_errno of the lookup that failed, 0: none did */
};

/* --- writing the table: seqlock, then the futex the workers wait on --- */

static void
announce(struct names_shared *sh)
{
	atomic_fetch_add_explicit(&sh->wake, 1, memory_order_release);
	if (syscall(SYS_futex, &sh->wake, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0) == -1)
		log_error("names: futex wake");
}

static void
write_host(struct proc *p, size_t i, enum names_state state, size_t naddrs)
{
	struct names_host *h = &p->sh->host[i];
	uint32_t seq = atomic_load_explicit(&h->seq, memory_order_relaxed);

	atomic_store_explicit(&h->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	h->state = (uint32_t)state;
	h->naddrs = (uint32_t)naddrs;
	memcpy(h->addr, p->addrs, naddrs * 16);
	atomic_store_explicit(&h->seq, seq + 2, memory_order_release);
	announce(p->sh);
}

/* --- lookups ------------------------------------------------------------ */

static const char *
herr_text(int herr)
{
	switch (herr) {
	case HOST_NOT_FOUND: return "no such name";
	case NO_DATA: return "no address records";
	case TRY_AGAIN: return "no answer from the DNS server in time";
	default: return "the DNS server refused or failed";
	}
}

/* The answer of one query, parsed: 0, or -1 with f->herr. */
static int
query(struct proc *p, const char *name, int type, ns_msg *msg, struct found *f)
{
	int len;

	if (!p->res_ok) {
		f->herr = NO_RECOVERY;
		return -1;
	}
	len = res_nquery(&p->res, name, ns_c_in, type, p->answer, ANSWER_MAX);
	if (len < 0) {
		f->herr = p->res.res_h_errno;
		return -1;
	}
	if (len > ANSWER_MAX)
		len = ANSWER_MAX;	/* truncated to what the buffer took */
	if (ns_initparse(p->answer, len, msg) == -1) {
		f->herr = NO_RECOVERY;
		return -1;
	}
	return 0;
}

static void
min_ttl(struct found *f, uint32_t ttl)
{
	if (ttl < f->ttl)
		f->ttl = ttl;
}

/* type's addresses of name appended to p->addrs. NODATA is no error: a name may have A records only. */
static void
addresses(struct proc *p, const char *name, int type, struct found *f)
{
	size_t want = type == ns_t_a ? 4 : 16;
	ns_msg msg;
	ns_rr rr;

	if (query(p, name, type, &msg, f) == -1) {
		if (f->herr == NO_DATA)
			f->herr = 0;
		return;
	}
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		unsigned char *a;

		if (ns_parserr(&msg, ns_s_an, i, &rr) == -1)
			break;
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in || ns_rr_rdlen(rr) != want)
			continue;	/* the CNAMEs on the way */
		if (f->n == NAMES_ADDRS_MAX) {
			f->dropped++;
			continue;
		}
		a = p->addrs[f->n++];
		memset(a, 0, 16);
		if (type == ns_t_a) {
			a[10] = a[11] = 0xff;
			memcpy(a + 12, ns_rr_rdata(rr), 4);
		} else
			memcpy(a, ns_rr_rdata(rr), 16);
		min_ttl(f, ns_rr_ttl(rr));
	}
}

static int64_t
ttl_ms(uint32_t ttl)
{
	if (ttl < TTL_MIN_S)
		ttl = TTL_MIN_S;
	if (ttl > TTL_MAX_S)
		ttl = TTL_MAX_S;
	return (int64_t)ttl * 1000;
}

/*
 * A host name, A and AAAA: what it resolves to until its records expire.
 * One that does not resolve matches nothing, and says so once a try.
 */
static void
resolve_host(struct proc *p, size_t i)
{
	const char *name = p->n->hosts[i];
	struct found f = { .ttl = UINT32_MAX };
	int64_t now;

	addresses(p, name, ns_t_a, &f);
	addresses(p, name, ns_t_aaaa, &f);
	now = util_now_ms();
	if (f.n == 0) {
		log_warnx("names: \"%s\" does not resolve (%s); allow and deny match nothing by it, next try in %d s",
		    name, herr_text(f.herr != 0 ? f.herr : NO_DATA), RETRY_MS / 1000);
		write_host(p, i, NAMES_FAILED, 0);
		p->failing[i] = true;
		p->due[i] = now + RETRY_MS;
		return;
	}
	if (f.dropped > 0 && !p->capped[i])
		log_warnx("names: \"%s\" has %zu addresses; allow and deny take its first %d",
		    name, f.n + f.dropped, NAMES_ADDRS_MAX);
	p->capped[i] = f.dropped > 0;
	if (p->failing[i])
		log_notice("names: \"%s\" resolves again (%zu addresses)", name, f.n);
	else
		log_debug("names: \"%s\": %zu addresses for %u s", name, f.n, f.ttl);
	write_host(p, i, NAMES_OK, f.n);
	p->failing[i] = false;
	p->due[i] = now + ttl_ms(f.ttl);
}

/* --- the loop ----------------------------------------------------------- */

/* false once the last worker (and the master) let go of their end. */
static bool
serve_requests(struct proc *p)
{
	unsigned char key[16];
	ssize_t r;

	while ((r = recv(p->n->peer_fd, key, sizeof(key), MSG_DONTWAIT)) != 0) {
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (r == -1) {
			log_error("names: recv");
			return false;
		}
	}
	return false;
}

static int64_t
next_due(const struct proc *p)
{
	int64_t next = -1;

	for (size_t i = 0; i < p->n->nhosts; i++)
		if (next < 0 || p->due[i] < next)
			next = p->due[i];
	return next;
}

/* Each host name whose records expired; the socket looked at between two, so the last worker's going is seen. */
static bool
resolve_due(struct proc *p)
{
	for (size_t i = 0; i < p->n->nhosts; i++) {
		if (p->due[i] > util_now_ms())
			continue;
		resolve_host(p, i);
		if (!serve_requests(p))
			return false;
	}
	return true;
}

static void
setup(struct proc *p, struct names *n)
{
	int s = (n->timeout_ms + 999) / 1000;

	p->n = n;
	p->sh = n->shm.base;
	p->due = calloc(n->nhosts + 1, sizeof(*p->due));
	p->failing = calloc(n->nhosts + 1, sizeof(*p->failing));
	p->capped = calloc(n->nhosts + 1, sizeof(*p->capped));
	p->answer = malloc(ANSWER_MAX);
	p->addrs = malloc(NAMES_ADDRS_MAX * sizeof(*p->addrs));
	if (p->due == NULL || p->failing == NULL || p->capped == NULL || p->answer == NULL || p->addrs == NULL) {
		log_errorx("names: out of memory");
		_exit(1);
	}
	if (n->drop && geteuid() == 0 && privs_drop(n->uid, n->gid, NULL, 0) == -1)
		_exit(1);	/* logged by privs_drop */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		log_error("names: prctl(PR_SET_NO_NEW_PRIVS)");
	memset(&p->res, 0, sizeof(p->res));
	p->res_ok = res_ninit(&p->res) == 0;
	if (!p->res_ok)
		log_errorx("names: cannot read the resolver's configuration; no name resolves");
	/* one query: lookup_timeout, rounded up to the second the resolver counts in, one try */
	p->res.retrans = s > 0 ? s : 1;
	p->res.retry = 1;
}

void
names_proc_run(struct names *n)
{
	struct proc p;
	struct pollfd pf = { .fd = n->peer_fd, .events = POLLIN };

	proctitle_set("netsrvd: names");
	setup(&p, n);
	for (;;) {
		int64_t next = next_due(&p), now = util_now_ms();
		int timeout = next < 0 ? -1 : (next <= now ? 0 : (int)(next - now));

		if (poll(&pf, 1, timeout) == -1 && errno != EINTR) {
			log_error("names: poll");
			break;
		}
		if (!serve_requests(&p) || !resolve_due(&p))
			break;
	}
	_exit(0);
}
