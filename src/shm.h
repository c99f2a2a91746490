/* Shared memory the master writes and workers may only read, but for the one page that is a worker's own. */
#ifndef NETSRVD_SHM_H
#define NETSRVD_SHM_H

#include <stddef.h>

/*
 * A memfd mapped shared twice in the master: read-write at base, and
 * read-only at ro, from a read-only open file of it, so the kernel refuses
 * to make those pages writable again (mprotect gives EACCES). A worker
 * moves the read-only view over base (shm_confine). The read-write
 * descriptor is kept only while workers may still be given a writable
 * page of it; nothing else needs one.
 */
struct shm {
	void *base;
	void *ro;		/* the read-only view; NULL in a worker once confined */
	size_t len;
	int fd;			/* read-write; -1 once no worker is to get a page of it */
};

/* Fails (logged) rather than make memory workers could not be kept from writing. */
int shm_create(struct shm *s, const char *name, size_t len);
void shm_destroy(struct shm *s);
/*
 * In a worker: the whole mapping read-only but [rw_off, rw_off + rw_len),
 * which stays writable (rw_len 0: none; both page-aligned, and the
 * descriptor still open); then the descriptor is closed.
 */
int shm_confine(struct shm *s, size_t rw_off, size_t rw_len);
/*
 * No worker will get a writable page of it any more (a retired
 * generation's scoreboard, the statistics): both mappings stay, the
 * descriptor goes.
 */
void shm_close_fd(struct shm *s);
size_t shm_page_size(void);

#endif
