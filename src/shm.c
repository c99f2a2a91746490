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
 * The read-only descriptor is opened through /proc/self/fd, the only way
 * to a second, read-only open file of a memfd. Without /proc workers keep
 * the writable mapping they inherit: logged once, here, in the master.
 */
static int
open_readonly(int fd, const char *name)
{
	char path[64];
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro == -1)
		log_warn("%s: cannot reopen read-only through %s; workers can write all of it", name, path);
	return ro;
}

int
shm_create(struct shm *s, const char *name, size_t len)
{
	s->base = NULL;
	s->len = len;
	s->fd_ro = -1;
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
	s->fd_ro = open_readonly(s->fd, name);
	return 0;
fail:
	close(s->fd);
	s->fd = -1;
	return -1;
}

void
shm_close_fds(struct shm *s)
{
	if (s->fd != -1)
		close(s->fd);
	if (s->fd_ro != -1)
		close(s->fd_ro);
	s->fd = s->fd_ro = -1;
}

void
shm_destroy(struct shm *s)
{
	if (s->base != NULL && munmap(s->base, s->len) == -1)
		log_error("shared memory: munmap");
	s->base = NULL;
	shm_close_fds(s);
}

/* MAP_FIXED over the inherited mapping: same addresses, so pointers into it stay good. */
int
shm_confine(struct shm *s, size_t rw_off, size_t rw_len)
{
	int r = 0;

	if (s->fd_ro != -1 &&
	    mmap(s->base, s->len, PROT_READ, MAP_SHARED | MAP_FIXED, s->fd_ro, 0) == MAP_FAILED) {
		log_error("shared memory: mapping it read-only");
		r = -1;
	}
	if (r == 0 && s->fd_ro != -1 && rw_len > 0 &&
	    mmap((char *)s->base + rw_off, rw_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
	    s->fd, (off_t)rw_off) == MAP_FAILED) {
		log_error("shared memory: mapping the worker's own page");
		r = -1;
	}
	shm_close_fds(s);
	return r;
}
