/* The system call filter of a service's programs (syscall_filter): seccomp BPF made once per worker, installed just before execve. */
#ifndef NETSRVD_PROGRAM_FILTER_H
#define NETSRVD_PROGRAM_FILTER_H

#include <stdbool.h>

struct sock_filter;

/* A compiled filter; prog NULL: none. */
struct program_filter {
	struct sock_filter *prog;
	unsigned short len;
	bool no_new_privs;	/* set it before the filter even where the kernel would not ask */
};

/* Whether set names a filter ("system-service", the only one so far). */
bool program_filter_known(const char *set);
/* Whether the system-service list lets the call named name through. */
bool program_filter_allows(const char *name);
/*
 * NULL when a filter can go on the programs here; else why not (valgrind
 * runs us, a sanitizer build, an architecture we have none for): then
 * they run without one, as the workers do, and the load says so.
 */
const char *program_filter_unavailable(void);
/* The BPF of set, made for this libc's system call table. 0, or -1 logged. */
int program_filter_build(struct program_filter *f, const char *set);
void program_filter_free(struct program_filter *f);
/*
 * Puts f on the calling process (the child, just before execve): no
 * allocation, system calls only; no_new_privs first when f says so or the
 * kernel asks for it (no CAP_SYS_ADMIN). 0, or -1 with errno.
 */
int program_filter_install(const struct program_filter *f);

#endif
