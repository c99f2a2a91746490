/* A file replaced or rewritten, seen through inotify on its directory (what update-inetd does to inetd.conf). */
#ifndef NETSRVD_FILE_WATCH_H
#define NETSRVD_FILE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

struct file_watch {
	int fd;			/* the inotify instance; -1: watching nothing */
	char *path;		/* the file watched */
	const char *name;	/* its last component, in path */
};

#define FILE_WATCH_NONE { .fd = -1, .path = NULL, .name = NULL }

/*
 * Watches path from now on (NULL: nothing), unless it is the one watched
 * already. A file is watched through its directory, so that a file that
 * is replaced by rename(2) (update-inetd, most editors), written in place,
 * removed or made where there was none is seen alike. 0, or -1 with err
 * saying why (and nothing watched).
 */
int file_watch_set(struct file_watch *w, const char *path, char *err, size_t errlen);

/*
 * Whether the file was closed after a write, renamed onto, renamed away
 * or removed since the last call; never blocks. A write still under way
 * is not a change: only the close that ends it is.
 */
bool file_watch_changed(struct file_watch *w);

void file_watch_close(struct file_watch *w);

#endif
