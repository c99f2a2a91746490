/* A DNS server for tests: UDP on a loopback address's port 53, answering A, AAAA and PTR from a table the test edits, counting queries. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnsfake.h"

#define T_A	1
#define T_PTR	12
#define T_AAAA	28

/* "a.b.c" from the question's labels at p; the offset after it, or 0 if malformed. */
static size_t
read_qname(const unsigned char *m, size_t len, size_t p, char *out, size_t outlen)
{
	size_t k = 0;

	while (p < len && m[p] != 0) {
		size_t l = m[p++];

		if (l > 63 || p + l > len || k + l + 2 > outlen)
			return 0;
		if (k > 0)
			out[k++] = '.';
		for (size_t i = 0; i < l; i++)
			out[k++] = (char)tolower(m[p + i]);
		p += l;
	}
	out[k] = '\0';
	return p < len ? p + 1 : 0;
}

static size_t
put_name(unsigned char *out, const char *name)
{
	size_t k = 0;

	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		out[k++] = (unsigned char)l;
		memcpy(out + k, name, l);
		k += l;
		name += l + (dot ? 1 : 0);
	}
	out[k++] = 0;
	return k;
}

static size_t
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return 2;
}

/* One record's answers after the question (the name a pointer to it); the new length. */
static size_t
answer(struct dnsfake_record *r, unsigned char *out, size_t used, size_t max, unsigned *an)
{
	uint32_t n = r->type == T_A && r->count > 0 ? r->count : 1;

	for (uint32_t i = 0; i < n; i++) {
		unsigned char rdata[DNSFAKE_NAME + 2];
		size_t rdlen;

		if (r->type == T_PTR)
			rdlen = put_name(rdata, r->target);
		else if (r->type == T_A) {
			uint32_t a = ((uint32_t)r->addr[0] << 24 | (uint32_t)r->addr[1] << 16 |
			    (uint32_t)r->addr[2] << 8 | r->addr[3]) + i;
			rdata[0] = (unsigned char)(a >> 24);
			rdata[1] = (unsigned char)(a >> 16);
			rdata[2] = (unsigned char)(a >> 8);
			rdata[3] = (unsigned char)a;
			rdlen = 4;
		} else {
			memcpy(rdata, r->addr, 16);
			rdlen = 16;
		}
		if (used + 12 + rdlen > max)
			break;
		used += put16(out + used, 0xc00c);
		used += put16(out + used, r->type);
		used += put16(out + used, 1);
		used += put16(out + used, r->ttl >> 16);
		used += put16(out + used, r->ttl & 0xffff);
		used += put16(out + used, (unsigned)rdlen);
		memcpy(out + used, rdata, rdlen);
		used += rdlen;
		(*an)++;
	}
	return used;
}

static void
serve_one(struct dnsfake_table *t, int fd)
{
	static unsigned char q[512], out[65535];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char name[256];
	ssize_t len = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
	size_t end, used;
	unsigned type, an = 0;
	bool known = false;

	if (len < 12)
		return;
	atomic_fetch_add(&t->queries, 1);
	end = read_qname(q, (size_t)len, 12, name, sizeof(name));
	if (end == 0 || end + 4 > (size_t)len)
		return;
	type = (unsigned)q[end] << 8 | q[end + 1];
	end += 4;
	for (unsigned i = 0; i < atomic_load(&t->n); i++) {
		struct dnsfake_record *r = &t->rec[i];
		if (strcmp(r->name, name) == 0 && r->type == type)
			atomic_fetch_add(&r->queries, 1);
	}
	if (atomic_load(&t->silent))
		return;
	memcpy(out, q, end);
	used = end;
	for (unsigned i = 0; i < atomic_load(&t->n); i++) {
		struct dnsfake_record *r = &t->rec[i];

		if (strcmp(r->name, name) != 0 || atomic_load(&r->gone))
			continue;
		known = true;
		if (r->type == type)
			used = answer(r, out, used, sizeof(out), &an);
	}
	out[2] = 0x81;				/* QR, RD */
	out[3] = known ? 0x80 : 0x83;		/* RA; NOERROR or NXDOMAIN */
	put16(out + 4, 1);
	put16(out + 6, an);
	put16(out + 8, 0);
	put16(out + 10, 0);
	if (sendto(fd, out, used, 0, (struct sockaddr *)&from, flen) == -1)
		perror("dnsfake: sendto");
}

bool
dnsfake_start(struct dnsfake *d)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(d, 0, sizeof(*d));
	if (fd == -1)
		return false;
	for (int x = 1; x < 250; x++) {
		snprintf(d->addr, sizeof(d->addr), "127.0.53.%d", x);
		inet_pton(AF_INET, d->addr, &sa.sin_addr);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (errno != EADDRINUSE) {
			close(fd);
			return false;
		}
	}
	d->t = mmap(NULL, sizeof(*d->t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (d->t == MAP_FAILED) {
		close(fd);
		return false;
	}
	d->pid = fork();
	if (d->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			serve_one(d->t, fd);
	}
	close(fd);
	return d->pid > 0;
}

void
dnsfake_stop(struct dnsfake *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	if (d->t != NULL)
		munmap(d->t, sizeof(*d->t));
	d->t = NULL;
}

void
dnsfake_reset(struct dnsfake *d)
{
	atomic_store(&d->t->n, 0);
	atomic_store(&d->t->silent, false);
	atomic_store(&d->t->queries, 0);
	memset(d->t->rec, 0, sizeof(d->t->rec));
}

/* The record filled, then counted: the server only reads the first n, each whole. */
static struct dnsfake_record *
add(struct dnsfake *d, const char *name, uint16_t type, uint32_t ttl, const unsigned char *addr,
    uint32_t count, const char *target)
{
	unsigned n = atomic_load(&d->t->n);
	struct dnsfake_record *r;

	if (n == DNSFAKE_RECORDS)
		return NULL;
	r = &d->t->rec[n];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->type = type;
	r->ttl = ttl;
	if (addr != NULL)
		memcpy(r->addr, addr, type == T_AAAA ? 16 : 4);
	r->count = count;
	if (target != NULL)
		snprintf(r->target, sizeof(r->target), "%s", target);
	atomic_store(&d->t->n, n + 1);
	return r;
}

struct dnsfake_record *
dnsfake_addr(struct dnsfake *d, const char *name, const char *addr, uint32_t count, uint32_t ttl)
{
	unsigned char a[16];
	bool v6 = strchr(addr, ':') != NULL;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1)
		return NULL;
	return add(d, name, v6 ? T_AAAA : T_A, ttl, a, count, NULL);
}

struct dnsfake_record *
dnsfake_ptr(struct dnsfake *d, const char *addr, const char *target, uint32_t ttl)
{
	unsigned char a[4];
	char name[64];

	if (inet_pton(AF_INET, addr, a) != 1)
		return NULL;
	snprintf(name, sizeof(name), "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
	return add(d, name, T_PTR, ttl, NULL, 0, target);
}
