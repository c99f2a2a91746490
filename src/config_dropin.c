/* include_dir: which files of the drop-in directory are drop-ins, in the order they load. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_dropin.h"
#include "config_error.h"
#include "config_types.h"
#include "config_text.h"
#include "util.h"

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

/* A drop-in holds a "services" list and nothing else: the globals are the main file's. */
static int
load_text(const char *path, const char *text, size_t size, const char *main,
    config_dropin_load_fn *load, void *arg, char *err, size_t errlen)
{
	const config_setting_t *root, *list;
	config_t lc;
	int rc = -1;

	/* size, not strlen: a NUL byte inside is what the guard refuses */
	if (config_text_check(text, size, path, err, errlen) == -1)
		return -1;
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		config_error_report(&lc, text, path, err, errlen);
		goto out;
	}
	root = config_root_setting(&lc);
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *st = config_setting_get_elem(root, (unsigned)i);
		if (strcmp(config_setting_name(st), "services") != 0) {
			snprintf(err, errlen, "%s:%u: \"%s\" in a drop-in: a drop-in holds only a \"services\" list (global settings belong in %s)",
			    path, config_setting_source_line(st), config_setting_name(st), main);
			goto out;
		}
	}
	if ((list = config_setting_get_member(root, "services")) == NULL)
		snprintf(err, errlen, "%s: no \"services\" list: a drop-in holds one (is the file empty or truncated?)", path);
	else
		rc = load(path, list, arg);
out:
	config_destroy(&lc);
	return rc;
}

int
config_dropin_each(const char *dir, const char *main, config_dropin_load_fn *load, void *arg,
    char *err, size_t errlen)
{
	char **paths, why[CONFIG_ERR_MAX];
	size_t n;
	int rc = 0;

	if (config_dropin_list(dir, &paths, &n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", main, why);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *text;
		size_t size;

		if (util_read_file(paths[i], CONFIG_MAX_BYTES, &text, &size) == -1) {
			snprintf(err, errlen, "%s: cannot read drop-in: %s", paths[i], config_read_error(errno));
			rc = -1;
			continue;
		}
		rc = load_text(paths[i], text, size, main, load, arg, err, errlen);
		free(text);
	}
	config_dropin_free(paths, n);
	return rc;
}
