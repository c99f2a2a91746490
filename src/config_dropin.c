/* include_dir: which files of the drop-in directory are drop-ins, in the order they load. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_dropin.h"

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool
config_dropin_wanted(const char *name)
{
	if (name[0] == '.' || strchr(name, '~') != NULL)
		return false;
	if (strstr(name, ".dpkg-") != NULL || strstr(name, ".ucf-") != NULL)
		return false;
	/* "x.conf", never ".conf" alone (already refused by the leading dot) */
	return ends_with(name, ".conf");
}

void
config_dropin_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
append(char ***paths, size_t *n, size_t *cap, const char *dir, const char *name)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **p = realloc(*paths, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		*paths = p;
		*cap = ncap;
	}
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	if (((*paths)[*n] = malloc(len)) == NULL)
		return -1;
	snprintf((*paths)[*n], len, "%s/%s", dir, name);
	(*n)++;
	return 0;
}

int
config_dropin_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*paths = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "include_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (config_dropin_wanted(de->d_name) && append(paths, n, &cap, dir, de->d_name) == -1) {
			errno = ENOMEM;
			break;
		}
	}
	int saved = errno;
	closedir(d);
	if (saved != 0) {
		snprintf(err, errlen, "include_dir %s: %s", dir, strerror(saved));
		config_dropin_free(*paths, *n);
		*paths = NULL;
		*n = 0;
		return -1;
	}
	if (*n > 1)
		qsort(*paths, *n, sizeof(**paths), by_name);
	return 0;
}
