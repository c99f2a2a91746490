/* Shared memory the master writes and workers may only read, but for the one page that is a worker's own. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "shm.h"

size_t
shm_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
}

/*
 * The read-only view is mapped from a second, read-only open file of the
 * memfd, reached through /proc/self/fd (the only way to one): a mapping
 * made from it can never be made writable (mprotect gives EACCES), in the
 * master or in a worker that inherits it. The descriptor is closed at once:
 * the view is all anyone needs of it. No view, no shared memory: a worker
 * must never be left able to write every line (fail closed).
 */
static void *
map_readonly_view(int fd, size_t len, const char *name)
{
	char path[64];
	void *view;
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro == -1) {
		log_error("%s: cannot reopen read-only through %s for workers to map", name, path);
		return NULL;
	}
	view = mmap(NULL, len, PROT_READ, MAP_SHARED, ro, 0);
	if (view == MAP_FAILED) {
		log_error("%s: mmap %zu bytes read-only", name, len);
		view = NULL;
	}
	if (close(ro) == -1)
		log_error("%s: close the read-only descriptor", name);
	return view;
}

int
shm_create(struct shm *s, const char *name, size_t len)
{
	s->base = s->ro = NULL;
	s->len = len;
	s->fd = memfd_create(name, MFD_CLOEXEC);
	if (s->fd == -1) {
		log_error("%s: memfd_create", name);
		return -1;
	}
	if (ftruncate(s->fd, (off_t)len) == -1) {
		log_error("%s: ftruncate %zu bytes", name, len);
		goto fail;
	}
	s->base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		log_error("%s: mmap %zu bytes", name, len);
		goto fail;
	}
	s->ro = map_readonly_view(s->fd, len, name);
	if (s->ro == NULL)
		goto fail;
	return 0;
fail:
	shm_destroy(s);
	return -1;
}

void
shm_close_fd(struct shm *s)
{
	if (s->fd != -1 && close(s->fd) == -1)
		log_error("shared memory: close");
	s->fd = -1;
}

void
shm_destroy(struct shm *s)
{
	if (s->base != NULL && munmap(s->base, s->len) == -1)
		log_error("shared memory: munmap");
	if (s->ro != NULL && munmap(s->ro, s->len) == -1)
		log_error("shared memory: munmap the read-only view");
	s->base = s->ro = NULL;
	shm_close_fd(s);
}

/*
 * The read-only view moves over the writable mapping (mremap with
 * MREMAP_FIXED replaces it in one step): same addresses, so pointers into
 * it stay good, and no descriptor is needed for it. Then the worker's own
 * page, if any, is mapped writable again from the read-write descriptor.
 */
int
shm_confine(struct shm *s, size_t rw_off, size_t rw_len)
{
	int r = 0;

	if (mremap(s->ro, s->len, s->len, MREMAP_MAYMOVE | MREMAP_FIXED, s->base) == MAP_FAILED) {
		log_error("shared memory: mapping it read-only");
		r = -1;
	} else
		s->ro = NULL;	/* it is at base now */
	if (r == 0 && rw_len > 0 && s->fd == -1) {
		log_errorx("shared memory: no descriptor left to map the worker's own page");
		r = -1;
	}
	if (r == 0 && rw_len > 0 &&
	    mmap((char *)s->base + rw_off, rw_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
	    s->fd, (off_t)rw_off) == MAP_FAILED) {
		log_error("shared memory: mapping the worker's own page");
		r = -1;
	}
	shm_close_fd(s);
	return r;
}
