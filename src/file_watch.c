/* A file replaced or rewritten, seen through inotify on its directory (what update-inetd does to inetd.conf). */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "file_watch.h"

/* never IN_MODIFY: a file half written is no change yet */
#define WATCHED (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)

void
file_watch_close(struct file_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	*w = (struct file_watch)FILE_WATCH_NONE;
}

int
file_watch_set(struct file_watch *w, const char *path, char *err, size_t errlen)
{
	char *dir, *slash;

	if (path == NULL) {
		file_watch_close(w);
		return 0;
	}
	if (w->path != NULL && strcmp(w->path, path) == 0)
		return 0;
	file_watch_close(w);
	/* the directory: "." for a bare name, "/" for a file at the root */
	if ((w->path = strdup(path)) == NULL ||
	    (dir = strdup(strchr(path, '/') != NULL ? path : ".")) == NULL) {
		snprintf(err, errlen, "out of memory");
		file_watch_close(w);
		return -1;
	}
	slash = strrchr(dir, '/');
	w->name = strrchr(w->path, '/') != NULL ? strrchr(w->path, '/') + 1 : w->path;
	if (slash != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(w->fd, dir, WATCHED | IN_ONLYDIR) == -1) {
		snprintf(err, errlen, "%s: %s", w->fd == -1 ? "inotify_init1" : dir, strerror(errno));
		free(dir);
		file_watch_close(w);
		return -1;
	}
	free(dir);
	return 0;
}

bool
file_watch_changed(struct file_watch *w)
{
	/* what inotify(7) says a buffer for one event at least must hold */
	char buf[4096 + sizeof(struct inotify_event) + NAME_MAX + 1]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	if (w->fd < 0)
		return false;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			/* a queue that overflowed may have lost ours */
			if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && strcmp(ev->name, w->name) == 0))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return changed;
}
