/* Host names and domain suffixes in allow/deny: what the names process learns, in memory it writes and workers only read. */
#ifndef NETSRVD_NAMES_H
#define NETSRVD_NAMES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "shm.h"

/*
 * A name's addresses kept: 1,000 fit; past this many the first are kept
 * and the names process warns (each takes 16 bytes of every generation's
 * table, whatever the name resolves to).
 */
#define NAMES_ADDRS_MAX		1024
/* Clients whose reverse names are cached: NAMES_REV_SETS sets of NAMES_REV_WAYS, by address. */
#define NAMES_REV_SETS		256
#define NAMES_REV_WAYS		4
#define NAMES_REV_SLOTS		(NAMES_REV_SETS * NAMES_REV_WAYS)
#define NAMES_TEXT_MAX		256	/* a domain name's text and its NUL */

enum names_state { NAMES_PENDING, NAMES_OK, NAMES_FAILED };

/*
 * Each entry is a seqlock: seq odd while the names process writes it,
 * one more when done; a reader that saw it odd, or changed, reads again.
 * Addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d.
 */
struct names_host {
	_Atomic uint32_t seq;
	uint32_t state;		/* enum names_state */
	uint32_t naddrs;	/* untrusted: a reader bounds it by NAMES_ADDRS_MAX */
	uint32_t pad;
	/*
	 * NAMES_OK holds until then: its records' expiry and the time a new
	 * lookup may take. Past it, the names process is gone or stuck, and
	 * the name matches nothing rather than an address it no longer vouches for.
	 */
	int64_t expires_ms;
	unsigned char addr[NAMES_ADDRS_MAX][16];
};

/* A client's reverse name, confirmed forward (state NAMES_OK), or that it has none (NAMES_FAILED). */
struct names_rev {
	_Atomic uint32_t seq;
	uint32_t state;		/* NAMES_PENDING: the slot is empty */
	int64_t expires_ms;	/* CLOCK_MONOTONIC, the same in every process */
	unsigned char addr[16];
	char name[NAMES_TEXT_MAX];
};

struct names_shared {
	_Atomic uint32_t wake;	/* one more after every write: a futex workers wait on */
	uint32_t pad;
	struct names_rev rev[NAMES_REV_SLOTS];	/* used only when reverse */
	struct names_host host[];
};

/*
 * One generation's: its distinct host names (forward, resolved by the
 * names process as their records expire) and whether a service has a
 * domain suffix (reverse names, asked for by workers over fd).
 */
struct names {
	char **hosts;		/* lowercased; host[i] of the table is hosts[i]'s */
	size_t nhosts;
	bool reverse;
	int timeout_ms;		/* the names process's bound on one lookup: the largest lookup_timeout */
	struct shm shm;		/* a struct names_shared */
	int fd;			/* SOCK_SEQPACKET, the workers' end: a request is 16 bytes of address */
	int peer_fd;		/* the names process's end, until it is forked */
	pid_t pid;		/* the names process, once forked; 0 before */
	uid_t uid;		/* whom it runs as (the global user) */
	gid_t gid;
	bool drop;
};

/* The names cfg's allow and deny lists use; *out NULL when they use none. -1 (logged): no memory. */
int names_create(const struct config *cfg, struct names **out);
void names_free(struct names *n);
/*
 * Forks the names process: close_fds (with arg) closes in it what only the
 * master keeps. Its pid, or -1 (logged). It exits when the last holder of
 * fd (the master, the generation's workers) has closed it.
 */
pid_t names_spawn(struct names *n, void (*close_fds)(void *), void *arg);
/* The master reaped pid: if it was n's names process, that is logged (nothing else is to be done). */
bool names_reaped(const struct names *n, pid_t pid, int status, bool running);
/* In a worker: the table read-only from now on. -1, logged, if that fails. */
int names_confine(struct names *n);

/* The verdict of svc's lists on peer, asking n for the names in them. */
bool names_acl_allows(struct names *n, const struct service_config *svc, const struct sockaddr *peer);

/* The names process (names_proc.c): what names_spawn runs. */
void names_proc_run(struct names *n) __attribute__((noreturn));
/* 16 bytes of address from a peer, IPv4 mapped; false: not an IP address. */
bool names_key(const struct sockaddr *sa, unsigned char out[16]);
/* The slot set of an address in the reverse cache. */
size_t names_rev_set(const unsigned char addr[16]);
/* name ends in suffix (".example.org") at a label boundary; both lowercase. */
bool names_suffix_matches(const char *name, const char *suffix);

#endif
