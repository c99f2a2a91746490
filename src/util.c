/* Small helpers shared by every module: files, strings, clocks, fds. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/*
 * Reads a whole regular file of at most max bytes; errno EFBIG past that.
 * Anything else (a directory, a FIFO, a terminal) is refused with EISDIR or
 * EINVAL: opened O_NONBLOCK, a FIFO cannot hang a reload.
 */
/*
 * A small kernel file (/proc) in one read, NUL-terminated: its length, or -1
 * (gone, unreadable, empty). What does not fit in buf is cut.
 */
ssize_t
util_read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int
util_read_file(const char *path, size_t max, char **data, size_t *size)
{
	struct stat st;

	return util_read_file_stat(path, max, data, size, &st);
}

int
util_read_file_stat(const char *path, size_t max, char **data, size_t *size, struct stat *st)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		goto fail;
	if (S_ISDIR(st->st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			char *n = realloc(buf, cap + 1);
			if (n == NULL)
				goto fail;
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max) {
		errno = EFBIG;
		goto fail;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		goto fail;
	buf[len] = '\0';
	close(fd);
	*data = buf;
	*size = len;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -1;
}

static int64_t
clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* vDSO, no syscall: for timing a call that may or may not have waited */
int64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A few ms behind, and cheaper: what the hot path stamps the scoreboard with. */
int64_t
util_coarse_now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC_COARSE);
}

int
util_set_cloexec(int fd, int on)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl == -1)
		return -1;
	fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, fl);
}

int
util_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

void
util_format_sockaddr(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		/* an IPv4 client of a dual-stack socket is shown as IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a, sizeof(a));
			snprintf(buf, len, "%s:%u", a, ntohs(s6->sin6_port));
			return;
		}
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else
		snprintf(buf, len, "(family %d)", sa->sa_family);
}

void
util_format_peer_key(const unsigned char addr[16], unsigned port, char *buf, size_t len)
{
	struct sockaddr_in6 s6;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	memcpy(&s6.sin6_addr, addr, 16);
	s6.sin6_port = htons((uint16_t)port);
	util_format_sockaddr((struct sockaddr *)&s6, buf, len);
}

int
util_sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return -1;
}

/*
 * A daemon starts with only stdin, stdout and stderr: whatever else the
 * caller left open (a shell's extra fd, a parent's socket) would otherwise
 * live on in every worker for years.
 */
static void
close_fds_between(unsigned lo, unsigned hi)
{
	long max;

	if (lo > hi || close_range(lo, hi, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (long fd = lo; fd <= (long)hi && fd < max; fd++)
		close((int)fd);
}

void
util_close_inherited_fds(const int *keep, size_t nkeep)
{
	unsigned lo = 3;

	/* walk the kept fds in order, closing the gaps between them */
	for (;;) {
		unsigned next = ~0U;
		for (size_t i = 0; i < nkeep; i++)
			if (keep[i] >= (int)lo && (unsigned)keep[i] < next)
				next = (unsigned)keep[i];
		if (next == ~0U) {
			close_fds_between(lo, ~0U);
			return;
		}
		if (next > lo)
			close_fds_between(lo, next - 1);
		lo = next + 1;
	}
}

/* Levenshtein distance of two short keys, for "did you mean" hints. */
size_t
util_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}
