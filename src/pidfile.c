/* The pid file: locked for the daemon's whole life, so one instance per file. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

static int lock_fd = -1;
static char lock_path[4096];

static long
read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Anyone who can create files where the pid file lives can create it
 * first and hold its lock (or plant a link): the daemon would then never
 * start, or report another process as itself. So its directory must not
 * be writable by everyone, sticky bit or not (/tmp).
 */
static int
check_directory(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(lock_path)];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "pid file %s: directory %s: %s", path, dir, strerror(errno));
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "pid file %s: directory %s is writable by everyone, so anyone could "
		    "hold the lock; use a directory only root can write, such as /run", path, dir);
		return -1;
	}
	return 0;
}

/*
 * Takes the lock on path, creating the file if needed. flock() (not fcntl)
 * because the lock must survive the daemonizing fork: it belongs to the
 * open file, which the daemon inherits. A file left by a dead process is
 * simply taken over: nobody holds its lock.
 */
int
pidfile_lock(const char *path, char *err, size_t errlen)
{
	struct stat fst, pst;

	if (strlen(path) >= sizeof(lock_path) - 16) {
		snprintf(err, errlen, "pid file %s: path too long", path);
		return -1;
	}
	if (check_directory(path, err, errlen) == -1)
		return -1;
	for (int tries = 0; tries < 10; tries++) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd == -1) {
			snprintf(err, errlen, "cannot open pid file %s: %s", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			int e = errno;
			long pid = read_pid(fd);
			close(fd);
			if (e == EWOULDBLOCK && pid > 0)
				snprintf(err, errlen, "pid file %s is locked: netsrvd is already running as pid %ld", path, pid);
			else if (e == EWOULDBLOCK)
				snprintf(err, errlen, "pid file %s is locked by another netsrvd", path);
			else
				snprintf(err, errlen, "cannot lock pid file %s: %s", path, strerror(e));
			return -1;
		}
		/* the holder may have replaced the file between our open and flock */
		if (fstat(fd, &fst) == 0 && stat(path, &pst) == 0 &&
		    fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino) {
			lock_fd = fd;
			snprintf(lock_path, sizeof(lock_path), "%s", path);
			return 0;
		}
		close(fd);
	}
	snprintf(err, errlen, "pid file %s keeps changing under us", path);
	return -1;
}

int
pidfile_adopt(int fd, const char *path, char *err, size_t errlen)
{
	struct stat fst, pst;

	if (strlen(path) >= sizeof(lock_path) - 16) {
		snprintf(err, errlen, "pid file %s: path too long", path);
		return -1;
	}
	if (fstat(fd, &fst) == -1 || stat(path, &pst) == -1 ||
	    fst.st_dev != pst.st_dev || fst.st_ino != pst.st_ino) {
		snprintf(err, errlen, "passed pid file fd %d is not %s", fd, path);
		return -1;
	}
	/* the same open file: this only confirms the lock we hold */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "passed pid file %s: %s", path, strerror(errno));
		return -1;
	}
	lock_fd = fd;
	snprintf(lock_path, sizeof(lock_path), "%s", path);
	return 0;
}

/*
 * Readers must never see a half-written pid: write a locked temporary
 * file, then rename it over the path. The lock moves with it.
 */
int
pidfile_write(pid_t pid, char *err, size_t errlen)
{
	char tmp[sizeof(lock_path) + 16], buf[32];
	int fd, len;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", lock_path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || fchmod(fd, 0644) == -1 ||
	    write(fd, buf, (size_t)len) != len || rename(tmp, lock_path) == -1) {
		snprintf(err, errlen, "cannot write pid file %s: %s", lock_path, strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	close(lock_fd);
	lock_fd = fd;
	return 0;
}

/* Unlinked while still locked, so no second instance can slip in between. */
void
pidfile_remove(void)
{
	if (lock_fd == -1)
		return;
	unlink(lock_path);
	close(lock_fd);
	lock_fd = -1;
}

int
pidfile_fd(void)
{
	return lock_fd;
}
