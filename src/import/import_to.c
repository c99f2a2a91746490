/* --import-to: the drop-in files of an import, written safely into a directory. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import_emit.h"
#include "import_model.h"
#include "import_to.h"

int
import_to_check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(dir, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(ENOTDIR));
		return -1;
	}
	return 0;
}

const char *
import_to_name_unsafe(const char *name)
{
	if (name[0] == '\0')
		return "an empty name";
	if (strchr(name, '/') != NULL)
		return "a \"/\" in the name";
	if (name[0] == '.')
		return "a leading \".\" (a hidden file, or a path of its own)";
	for (const char *c = name; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "a control character in the name";
	return NULL;
}

/*
 * What stands at path: 0 nothing, or a drop-in of ours; 1 something not
 * to be replaced (why in err); -1 it cannot be told (err).
 */
static int
target_state(const char *path, char *err, size_t errlen)
{
	char head[sizeof(IMPORT_DROPIN_MARK)];
	struct stat sb;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO at the name does not block the open */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP) {
			snprintf(err, errlen, "%s: a symbolic link: not followed, not replaced", path);
			return 1;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file: not replaced", path);
		close(fd);
		return 1;
	}
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)n != sizeof(head) - 1 || memcmp(head, IMPORT_DROPIN_MARK, sizeof(head) - 1) != 0) {
		snprintf(err, errlen, "%s: not made by --import-to (no header of ours): not replaced", path);
		return 1;
	}
	return 0;
}

int
import_to_write(const char *dir, const char *name, const char *text, size_t len,
    char *err, size_t errlen)
{
	char *path = import_xprintf("%s/%s", dir, name);
	/* a leading dot and no .conf at the end: the daemon's include_dir skips it */
	char *tmp = import_xprintf("%s/.%s.XXXXXX", dir, name);
	int fd = -1, rc;

	rc = target_state(path, err, errlen);
	if (rc != 0)
		goto done;
	rc = -1;
	/* mkostemp opens with O_CREAT | O_EXCL: a link planted at tmp is not followed */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	errno = 0;	/* a short write sets none */
	if (fchmod(fd, 0644) == -1 || write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, errno != 0 ? strerror(errno) : "short write");
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	/* rename replaces a name, it never writes through a link that appeared since */
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rc = 0;
	goto done;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
done:
	free(tmp);
	free(path);
	return rc;
}
