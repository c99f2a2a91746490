/* A DNS server for tests: UDP on a loopback address's port 53, answering A, AAAA and PTR from a table the test edits, counting queries. */
#ifndef NETSRVD_TEST_DNSFAKE_H
#define NETSRVD_TEST_DNSFAKE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DNSFAKE_RECORDS 64
#define DNSFAKE_NAME 128

struct dnsfake_record {
	char name[DNSFAKE_NAME];	/* lowercase, no final dot */
	uint16_t type;			/* 1 A, 28 AAAA, 12 PTR */
	uint32_t ttl;
	unsigned char addr[16];		/* A: 4 bytes, AAAA: 16 */
	uint32_t count;			/* A: this many consecutive addresses from addr */
	char target[DNSFAKE_NAME];	/* PTR */
	_Atomic bool gone;		/* answered NXDOMAIN from now on */
	_Atomic unsigned queries;
};

/* In memory the server process and the test share. */
struct dnsfake_table {
	_Atomic bool silent;		/* read every query, answer none */
	_Atomic unsigned queries;	/* all of them */
	_Atomic unsigned n;
	struct dnsfake_record rec[DNSFAKE_RECORDS];
};

struct dnsfake {
	pid_t pid;
	char addr[32];			/* where it listens, port 53 */
	struct dnsfake_table *t;
};

/* Binds the first free 127.0.53.x:53 and forks the server; false if it cannot (not root). */
bool dnsfake_start(struct dnsfake *d);
/* Stops the server by its pid. */
void dnsfake_stop(struct dnsfake *d);
/* Empties the table and the counts, answers again. */
void dnsfake_reset(struct dnsfake *d);
/* A name's A records (count consecutive from addr), or AAAA for an IPv6 addr. */
struct dnsfake_record *dnsfake_addr(struct dnsfake *d, const char *name, const char *addr,
    uint32_t count, uint32_t ttl);
/* addr's PTR record: target. */
struct dnsfake_record *dnsfake_ptr(struct dnsfake *d, const char *addr, const char *target, uint32_t ttl);

#endif
