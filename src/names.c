/* Host names and domain suffixes in allow/deny: the generation's table, and a worker's verdict from it. */
#include "autoconfig.h"

#include <errno.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "config_acl.h"
#include "log.h"
#include "names.h"
#include "util.h"

/*
 * A seqlock read that keeps finding the entry being written: the names
 * process died half-way (it never takes long). The reader gives up,
 * and the entry matches nothing.
 */
#define SEQ_TRIES	100000

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool
names_key(const struct sockaddr *sa, unsigned char out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, v4mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr, 16);
		return true;
	}
	return false;
}

/* FNV-1a: a client cannot pick its address to crowd out others for long, the TTLs see to that */
size_t
names_rev_set(const unsigned char addr[16])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h % NAMES_REV_SETS;
}

bool
names_suffix_matches(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	/* ".example.org" matches "a.example.org", and "example.org" itself */
	if (n + 1 == s)
		return strcmp(name, suffix + 1) == 0;
	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* --- the master: one table a generation --------------------------------- */

static bool
listed(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Its host names, each once, and whether any list has a suffix. */
static int
collect(struct names *n, const struct config *cfg)
{
	size_t cap = 0;

	for (size_t i = 0; i < cfg->nservices; i++)
		cap += cfg->services[i].nallow_names + cfg->services[i].ndeny_names;
	if (cap == 0)
		return 0;
	n->hosts = calloc(cap, sizeof(char *));
	if (n->hosts == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		char **lists[2] = { s->allow_names, s->deny_names };
		const size_t lens[2] = { s->nallow_names, s->ndeny_names };

		if (!s->enabled || lens[0] + lens[1] == 0)
			continue;
		if (s->lookup_timeout > n->timeout_ms)
			n->timeout_ms = s->lookup_timeout;
		for (int l = 0; l < 2; l++)
			for (size_t k = 0; k < lens[l]; k++) {
				if (config_acl_is_suffix(lists[l][k]))
					n->reverse = true;
				else if (!listed((const char *const *)n->hosts, n->nhosts, lists[l][k]))
					n->hosts[n->nhosts++] = lists[l][k];
			}
	}
	return 0;
}

int
names_create(const struct config *cfg, struct names **out)
{
	struct names *n = calloc(1, sizeof(*n));
	int sv[2];

	*out = NULL;
	if (n != NULL)
		n->fd = n->peer_fd = -1;
	if (n == NULL || collect(n, cfg) == -1) {
		log_errorx("out of memory for the names in allow and deny");
		goto fail;
	}
	if (n->nhosts == 0 && !n->reverse) {
		names_free(n);
		return 0;	/* no names: no table, no process */
	}
	if (shm_create(&n->shm, "netsrvd-names",
	    sizeof(struct names_shared) + n->nhosts * sizeof(struct names_host)) == -1)
		goto fail;
	shm_close_fd(&n->shm);	/* both views are mapped: nothing else will be */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("names: socketpair");
		goto fail;
	}
	n->fd = sv[0];
	n->peer_fd = sv[1];
	n->uid = cfg->id.uid;
	n->gid = cfg->id.gid;
	n->drop = cfg->id.drop;
	*out = n;
	return 0;
fail:
	names_free(n);
	return -1;
}

void
names_free(struct names *n)
{
	if (n == NULL)
		return;
	if (n->shm.base != NULL)
		shm_destroy(&n->shm);
	if (n->fd >= 0 && close(n->fd) == -1)
		log_error("names: close");
	if (n->peer_fd >= 0 && close(n->peer_fd) == -1)
		log_error("names: close");
	free(n->hosts);
	free(n);
}

/* Signals as a new process has them: the master's handlers and mask are not its business. */
static void
reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);	/* EINVAL for the real-time ones glibc keeps: nothing to undo */
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		log_error("names: sigprocmask");
}

pid_t
names_spawn(struct names *n, void (*close_fds)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == -1) {
		log_error("names: fork the names process");
		return -1;
	}
	if (pid == 0) {
		close_fds(arg);
		if (close(n->fd) == -1)	/* else it would never see the last worker go */
			log_error("names: close");
		n->fd = -1;
		reset_signals();
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
			log_error("names: prctl(PR_SET_PDEATHSIG)");
		names_proc_run(n);
	}
	if (close(n->peer_fd) == -1)
		log_error("names: close");
	n->peer_fd = -1;
	n->pid = pid;
	log_debug("names: process %ld looks up %zu host names%s", (long)pid, n->nhosts,
	    n->reverse ? " and clients' reverse names" : "");
	return pid;
}

/*
 * Not started again: the workers hold the socket it read, and a new one
 * would need a new generation. Its table stays, and each name lapses as
 * its records expire; a reload makes a new one.
 */
bool
names_reaped(const struct names *n, pid_t pid, int status, bool running)
{
	if (n == NULL || n->pid != pid)
		return false;
	if (!running && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		log_errorx("names: process %ld killed by signal %d; names in allow and deny match nothing once their records expire, until a reload",
		    (long)pid, WTERMSIG(status));
	else
		log_errorx("names: process %ld exited with %d; names in allow and deny match nothing once their records expire, until a reload",
		    (long)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return true;
}

int
names_confine(struct names *n)
{
	if (n->peer_fd >= 0 && close(n->peer_fd) == -1)
		log_error("names: close");
	n->peer_fd = -1;
	return shm_confine(&n->shm, 0, 0);
}

/* --- a worker: the verdict ---------------------------------------------- */

/* Sleeps until the names process writes something, or deadline. */
static void
wait_for_news(struct names_shared *sh, uint32_t seen, int64_t deadline)
{
	int64_t left = deadline - util_now_ms();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)(left / 1000);
	ts.tv_nsec = (long)(left % 1000) * 1000000L;
	/* not FUTEX_PRIVATE: the word is in memory another process writes */
	if (syscall(SYS_futex, &sh->wake, FUTEX_WAIT, seen, &ts, NULL, 0) == -1 &&
	    errno != EAGAIN && errno != ETIMEDOUT && errno != EINTR)
		log_error("names: futex");
}

static ssize_t
host_index(const struct names *n, const char *name)
{
	for (size_t i = 0; i < n->nhosts; i++)
		if (strcmp(n->hosts[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

/* naddrs untrusted: bounded here */
static bool
has_address(const struct names_host *h, uint32_t naddrs, const unsigned char key[16])
{
	if (naddrs > NAMES_ADDRS_MAX)
		naddrs = NAMES_ADDRS_MAX;
	for (uint32_t i = 0; i < naddrs; i++)
		if (memcmp(h->addr[i], key, 16) == 0)
			return true;
	return false;
}

/* One consistent read of a host's entry: its state, and whether key is among its addresses. */
static enum names_state
read_host(const struct names_host *h, const unsigned char key[16], bool *found)
{
	*found = false;
	for (int tries = 0; tries < SEQ_TRIES; tries++) {
		uint32_t seq = atomic_load_explicit(&h->seq, memory_order_acquire);
		uint32_t state, naddrs;

		if (seq & 1)
			continue;	/* being written: a few microseconds */
		state = h->state;
		naddrs = h->naddrs;
		if (state == NAMES_OK && h->expires_ms < util_coarse_now_ms())
			state = NAMES_FAILED;	/* lapsed: nobody renewed it */
		*found = state == NAMES_OK && has_address(h, naddrs, key);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&h->seq, memory_order_relaxed) == seq)
			return state == NAMES_OK || state == NAMES_FAILED ? (enum names_state)state :
			    NAMES_PENDING;
	}
	*found = false;
	return NAMES_FAILED;
}

/* What a connection asks of the names: its peer's key, its deadline, the reverse name once found. */
struct ask {
	struct names *n;
	unsigned char key[16];
	int64_t deadline;
	enum names_state rev;	/* NAMES_PENDING: not asked yet */
	char name[NAMES_TEXT_MAX];
};

/* A host name not resolved yet (at start, at a reload) is waited for, up to the deadline. */
static bool
host_matches(struct ask *q, const char *name)
{
	struct names_shared *sh = q->n->shm.base;
	ssize_t i = host_index(q->n, name);
	bool found;

	if (i < 0)
		return false;
	for (;;) {
		uint32_t seen = atomic_load_explicit(&sh->wake, memory_order_acquire);

		if (read_host(&sh->host[i], q->key, &found) != NAMES_PENDING)
			return found;
		if (util_now_ms() >= q->deadline)
			return false;
		wait_for_news(sh, seen, q->deadline);
	}
}

static bool
rev_read(const struct names_rev *r, const unsigned char key[16], int64_t now, char *name,
    enum names_state *state)
{
	for (int tries = 0; tries < SEQ_TRIES; tries++) {
		uint32_t seq = atomic_load_explicit(&r->seq, memory_order_acquire);
		bool hit;

		if (seq & 1)
			continue;
		hit = r->state != NAMES_PENDING && r->expires_ms > now && memcmp(r->addr, key, 16) == 0;
		if (hit) {
			*state = r->state == NAMES_OK ? NAMES_OK : NAMES_FAILED;
			memcpy(name, r->name, NAMES_TEXT_MAX);
			name[NAMES_TEXT_MAX - 1] = '\0';	/* untrusted: bounded here */
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&r->seq, memory_order_relaxed) == seq)
			return hit;
	}
	return false;
}

static enum names_state
rev_cached(const struct names_shared *sh, const unsigned char key[16], char *name)
{
	const struct names_rev *set = &sh->rev[names_rev_set(key) * NAMES_REV_WAYS];
	int64_t now = util_now_ms();
	enum names_state state;

	for (size_t w = 0; w < NAMES_REV_WAYS; w++)
		if (rev_read(&set[w], key, now, name, &state))
			return state;
	return NAMES_PENDING;
}

/*
 * The peer's reverse name, confirmed forward by the names process: from
 * the cache, or asked for once and waited for up to the deadline. No
 * answer in time, no name: a suffix matches nothing.
 */
static enum names_state
reverse_name(struct ask *q)
{
	struct names_shared *sh = q->n->shm.base;
	bool asked = false;

	while (q->rev == NAMES_PENDING) {
		uint32_t seen = atomic_load_explicit(&sh->wake, memory_order_acquire);

		q->rev = rev_cached(sh, q->key, q->name);
		if (q->rev != NAMES_PENDING)
			break;
		if (!asked && send(q->n->fd, q->key, sizeof(q->key), MSG_DONTWAIT | MSG_NOSIGNAL) == -1) {
			log_debug("names: cannot ask the names process: %s", strerror(errno));
			q->rev = NAMES_FAILED;
			break;
		}
		asked = true;
		if (util_now_ms() >= q->deadline) {
			q->rev = NAMES_FAILED;
			break;
		}
		wait_for_news(sh, seen, q->deadline);
	}
	return q->rev;
}

static bool
name_matches(struct ask *q, const char *entry)
{
	if (!config_acl_is_suffix(entry))
		return host_matches(q, entry);
	return reverse_name(q) == NAMES_OK && names_suffix_matches(q->name, entry);
}

static bool
any_name_matches(struct ask *q, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (name_matches(q, v[i]))
			return true;
	return false;
}

/*
 * Deny wins, as with addresses alone; an empty allow list allows everyone
 * not denied. Addresses are tried first, as they cost no lookup.
 */
bool
names_acl_allows(struct names *n, const struct service_config *svc, const struct sockaddr *peer)
{
	struct ask q = { .n = n, .rev = NAMES_PENDING };
	bool names = n != NULL && names_key(peer, q.key);

	q.deadline = util_now_ms() + svc->lookup_timeout;
	for (size_t i = 0; i < svc->ndeny; i++)
		if (cidr_match(&svc->deny[i], peer))
			return false;
	if (names && any_name_matches(&q, svc->deny_names, svc->ndeny_names))
		return false;
	if (svc->nallow == 0 && svc->nallow_names == 0)
		return true;
	for (size_t i = 0; i < svc->nallow; i++)
		if (cidr_match(&svc->allow[i], peer))
			return true;
	return names && any_name_matches(&q, svc->allow_names, svc->nallow_names);
}
