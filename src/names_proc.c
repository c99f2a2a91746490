/* The names process: looks up the host names of allow/deny as their records expire, and clients' reverse names for the workers; the one process of a generation that talks to a DNS server. */
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
/* The PTR names of one address tried forward, at most. */
#define REV_NAMES_MAX	4
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
write_host(struct proc *p, size_t i, enum names_state state, size_t naddrs, int64_t expires_ms)
{
	struct names_host *h = &p->sh->host[i];
	uint32_t seq = atomic_load_explicit(&h->seq, memory_order_relaxed);

	atomic_store_explicit(&h->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	h->state = (uint32_t)state;
	h->naddrs = (uint32_t)naddrs;
	h->expires_ms = expires_ms;
	memcpy(h->addr, p->addrs, naddrs * 16);
	atomic_store_explicit(&h->seq, seq + 2, memory_order_release);
	announce(p->sh);
}

/* The slot for key in its set: its own, an empty one, else the one that expires first. */
static struct names_rev *
rev_slot(struct names_shared *sh, const unsigned char key[16])
{
	struct names_rev *set = &sh->rev[names_rev_set(key) * NAMES_REV_WAYS], *pick = &set[0];

	for (size_t w = 0; w < NAMES_REV_WAYS; w++) {
		if (memcmp(set[w].addr, key, 16) == 0 && set[w].state != NAMES_PENDING)
			return &set[w];
		if (set[w].state == NAMES_PENDING || set[w].expires_ms < pick->expires_ms)
			pick = &set[w];
	}
	return pick;
}

static void
write_rev(struct proc *p, const unsigned char key[16], enum names_state state, const char *name,
    int64_t expires_ms)
{
	struct names_rev *r = rev_slot(p->sh, key);
	uint32_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);

	atomic_store_explicit(&r->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	r->state = (uint32_t)state;
	r->expires_ms = expires_ms;
	memcpy(r->addr, key, 16);
	snprintf(r->name, sizeof(r->name), "%s", name);
	atomic_store_explicit(&r->seq, seq + 2, memory_order_release);
	announce(p->sh);
}

static bool
rev_fresh(const struct names_shared *sh, const unsigned char key[16], int64_t now)
{
	const struct names_rev *set = &sh->rev[names_rev_set(key) * NAMES_REV_WAYS];

	for (size_t w = 0; w < NAMES_REV_WAYS; w++)
		if (set[w].state != NAMES_PENDING && set[w].expires_ms > now &&
		    memcmp(set[w].addr, key, 16) == 0)
			return true;
	return false;
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
		write_host(p, i, NAMES_FAILED, 0, 0);
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
	p->failing[i] = false;
	p->due[i] = now + ttl_ms(f.ttl);
	/* the next lookup's two queries, and a second to spare, before it lapses */
	write_host(p, i, NAMES_OK, f.n, p->due[i] + 2 * (int64_t)p->n->timeout_ms + 1000);
}

/* "4.3.2.1.in-addr.arpa" or the 32 nibbles of ip6.arpa */
static void
ptr_name(const unsigned char key[16], bool v4, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	if (v4) {
		snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa", key[15], key[14], key[13], key[12]);
		return;
	}
	for (int i = 15; i >= 0 && k + 4 < len; i--) {
		out[k++] = hex[key[i] & 0xf];
		out[k++] = '.';
		out[k++] = hex[key[i] >> 4];
		out[k++] = '.';
	}
	snprintf(out + k, len - k, "ip6.arpa");
}

static void
lowercase(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The PTR names of key, up to REV_NAMES_MAX; how many. */
static int
ptr_names(struct proc *p, const unsigned char key[16], bool v4, char names[][NAMES_TEXT_MAX],
    struct found *f)
{
	char qname[80];
	ns_msg msg;
	ns_rr rr;
	int k = 0;

	ptr_name(key, v4, qname, sizeof(qname));
	if (query(p, qname, ns_t_ptr, &msg, f) == -1)
		return 0;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an) && k < REV_NAMES_MAX; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) == -1)
			break;
		if (ns_rr_type(rr) != ns_t_ptr || ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg),
		    ns_rr_rdata(rr), names[k], NAMES_TEXT_MAX) == -1)
			continue;
		lowercase(names[k++]);
		min_ttl(f, ns_rr_ttl(rr));
	}
	return k;
}

static bool
among(const struct proc *p, size_t n, const unsigned char key[16])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(p->addrs[i], key, 16) == 0)
			return true;
	return false;
}

/*
 * A client's reverse name, as tcpd's PARANOID takes it: a PTR name that
 * resolves back to the client's address. One that does not (a reverse
 * record that lies, or none) gives no name, cached as long as the records
 * said, or RETRY_MS when there were none.
 */
static void
resolve_client(struct proc *p, const unsigned char key[16])
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char names[REV_NAMES_MAX][NAMES_TEXT_MAX], shown[INET6_ADDRSTRLEN];
	bool v4 = memcmp(key, v4mapped, 12) == 0;
	struct found f = { .ttl = UINT32_MAX };
	int k;

	if (rev_fresh(p->sh, key, util_now_ms()))
		return;	/* another worker asked for it first */
	k = ptr_names(p, key, v4, names, &f);
	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? key + 12 : key, shown, sizeof(shown));
	for (int i = 0; i < k; i++) {
		struct found a = { .ttl = f.ttl };

		addresses(p, names[i], v4 ? ns_t_a : ns_t_aaaa, &a);
		if (among(p, a.n, key)) {
			write_rev(p, key, NAMES_OK, names[i], util_now_ms() + ttl_ms(a.ttl));
			return;
		}
		log_info("names: client %s: its reverse name \"%s\" does not resolve back to it; domain suffixes do not match it",
		    shown, names[i]);
	}
	if (k == 0)
		log_debug("names: client %s: no reverse name (%s)", shown, herr_text(f.herr));
	write_rev(p, key, NAMES_FAILED, "", util_now_ms() + (k > 0 ? ttl_ms(f.ttl) : RETRY_MS));
}

/* --- the loop ----------------------------------------------------------- */

/* Each request waiting: 16 bytes of address. false once the last worker (and the master) let go. */
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
		if (r == (ssize_t)sizeof(key) && p->n->reverse)
			resolve_client(p, key);
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

/* Each host name whose records expired; a request between two, so none waits behind them all. */
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
