/* Shared memory the master writes and workers may only read, but for the one page that is a worker's own. */
#ifndef NETSRVD_SHM_H
#define NETSRVD_SHM_H

#include <stddef.h>

/*
 * A memfd mapped shared. The master keeps a read-write and a read-only
 * descriptor of it; a worker maps it again through the read-only one, so
 * the kernel refuses to make those pages writable again (mprotect gives
 * EACCES), and closes both.
 */
struct shm {
	void *base;
	size_t len;
	int fd;			/* read-write; -1 in a worker once confined */
	int fd_ro;		/* read-only, for workers to map; -1 where /proc was missing */
};

int shm_create(struct shm *s, const char *name, size_t len);
void shm_destroy(struct shm *s);
/*
 * In a worker: the whole mapping read-only but [rw_off, rw_off + rw_len),
 * which stays writable (rw_len 0: none; both page-aligned); then both
 * descriptors are closed.
 */
int shm_confine(struct shm *s, size_t rw_off, size_t rw_len);
/* In a child that does not use it at all. */
void shm_close_fds(struct shm *s);
size_t shm_page_size(void);

#endif
