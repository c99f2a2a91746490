/*
 * What the two --import fuzzers share (fuzz_import_inetd.c,
 * fuzz_import_xinetd.c): the machine they import on and the oracle that
 * judges each output (import_oracle.h).
 *
 * The machine: ports and host names are the fuzzer's own (no lookup of
 * /etc/services, no DNS), and every question netsrvd's loader asks too
 * (users, groups, programs, interfaces, quotes files, the schema's keys)
 * is asked of this machine, as a real import asks it, so that the loader's
 * verdict on the output is the one -t would give. Quotes files are read
 * through util_read_file, wrapped here (-Wl,--wrap=util_read_file) to
 * refuse anything but a non-empty regular file, as in fuzz_config.c: an
 * input may name /dev/tty or /proc/kmsg, which must not block a run.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "config.h"
#include "import/import_check.h"
#include "import/import_emit.h"
#include "import_oracle.h"

int __real_util_read_file(const char *path, size_t max, char **data, size_t *size);
int __wrap_util_read_file(const char *path, size_t max, char **data, size_t *size);

int
__wrap_util_read_file(const char *path, size_t max, char **data, size_t *size)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		errno = EINVAL;
		return -1;
	}
	return __real_util_read_file(path, max, data, size);
}

/* --- the machine --- */

static int
fake_port(const char *name, const char *proto)
{
	(void)proto;
	return strcmp(name, "echo") == 0 ? 7 : strcmp(name, "daytime") == 0 ? 13 :
	    strcmp(name, "ftp") == 0 ? 21 : -1;
}

static int
fake_resolve(const char *host, char *out, size_t len)
{
	if (strcmp(host, "localhost") != 0)
		return -1;
	snprintf(out, len, "127.0.0.1");
	return 0;
}

static bool
user_exists(const char *name)
{
	return import_host_system.user_exists(name);
}

static bool
group_exists(const char *name)
{
	return import_host_system.group_exists(name);
}

static int
program_usable(const char *path, const char *user, const char *group)
{
	return import_host_system.program_usable(path, user, group);
}

static bool
is_interface(const char *name)
{
	return import_host_system.is_interface(name);
}

static bool
quotes_ok(const char *path)
{
	return import_host_system.quotes_ok(path);
}

static bool
key_known(const char *key)
{
	return import_host_system.key_known(key);
}

static const struct import_host machine = {
	.service_port = fake_port,
	.user_exists = user_exists,
	.group_exists = group_exists,
	.program_usable = program_usable,
	.resolve = fake_resolve,
	.is_interface = is_interface,
	.quotes_ok = quotes_ok,
	.key_known = key_known,
};

/* --- the oracle --- */

static char *
emit(const struct import_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	import_emit_config(r, &machine, f);
	if (fclose(f) == EOF)
		abort();
	return buf;
}

/* A byte a service name keeps as it is; any other became '-'. */
static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_';
}

/* name, its '-' standing for any byte a name cannot hold, is in text. */
static bool
found_as_written(const char *name, size_t n, const char *text)
{
	for (const char *t = text; *t != '\0'; t++) {
		size_t i = 0;
		for (; i < n && t[i] != '\0'; i++)
			if (name[i] == '-' ? name_char(t[i]) : t[i] != name[i])
				break;
		if (i == n)
			return true;
	}
	return false;
}

/* name, or name less the -tcp, -udp or -N the import adds to tell two apart, comes from text. */
static bool
from_text(const char *name, const char *text)
{
	size_t n = strlen(name);
	const char *dash = strrchr(name, '-');

	if (strcmp(name, "service") == 0 || found_as_written(name, n, text))
		return true;
	if (dash == NULL || dash == name)
		return false;
	if (strcmp(dash, "-tcp") != 0 && strcmp(dash, "-udp") != 0 &&
	    strspn(dash + 1, "0123456789") != strlen(dash + 1))
		return false;
	n = (size_t)(dash - name);
	return found_as_written(name, n, text) || (n == 7 && strncmp(name, "service", 7) == 0);
}

static void
check_services(const struct import_result *r, const char *out, const char *text)
{
	config_t lc;
	config_setting_t *list;
	size_t k = 0;

	config_init(&lc);
	if (config_read_string(&lc, out) != CONFIG_TRUE) {
		fprintf(stderr, "libconfig refuses the output, line %d: %s\n%s\n", config_error_line(&lc),
		    config_error_text(&lc), out);
		abort();
	}
	if ((list = config_lookup(&lc, "services")) == NULL || !config_setting_is_list(list))
		abort();
	for (size_t i = 0; i < r->nsvc; i++) {
		const char *name;
		if (r->svc[i].unservable != NULL)
			continue;
		if (k >= (size_t)config_setting_length(list) ||
		    config_setting_lookup_string(config_setting_get_elem(list, (unsigned)k), "name", &name) != CONFIG_TRUE ||
		    strcmp(name, r->svc[i].name) != 0 || !from_text(name, text)) {
			fprintf(stderr, "service %zu of the output is not the import's %s\n%s\n", k,
			    r->svc[i].name, out);
			abort();
		}
		k++;
	}
	if (k != (size_t)config_setting_length(list)) {
		fprintf(stderr, "the output serves %d services, the import %zu\n%s\n",
		    config_setting_length(list), k, out);
		abort();
	}
	config_destroy(&lc);
}

/* out without its comment lines and blank lines. */
static char *
live_lines(const char *out)
{
	char *live = calloc(1, strlen(out) + 1), *w = live;

	if (live == NULL)
		abort();
	for (const char *p = out; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p + 1) : strlen(p);
		const char *c = p + strspn(p, "\t");
		if (*c != '#' && *c != '\n' && *c != '\0') {
			memcpy(w, p, len);
			w += len;
		}
		p += len;
	}
	return live;
}

static void
blank(char **s)
{
	if (*s != NULL)
		import_set(s, "x");
}

static void
blank_notes(struct import_notes *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		blank(&ns->v[i].file);
		blank(&ns->v[i].what);
		blank(&ns->v[i].why);
	}
}

/* What only comments show, made "x" in r. */
static void
blank_comments(struct import_result *r)
{
	blank(&r->path);
	blank(&r->dest);
	blank_notes(&r->notes);
	for (size_t i = 0; i < r->nsvc; i++) {
		blank(&r->svc[i].file);
		blank(&r->svc[i].origin);
		blank(&r->svc[i].unservable);
		blank_notes(&r->svc[i].notes);
		blank_notes(&r->svc[i].remarks);
	}
}

/* The loader -t runs takes the output, on this machine. */
static void
check_loads(const struct import_result *r, const char *out)
{
	char err[CONFIG_ERR_MAX];

	if (import_check_config(r, out, err, sizeof(err)) == -1) {
		fprintf(stderr, "netsrvd refuses the output: %s\n%s\n", err, out);
		abort();
	}
}

int
fuzz_import_check(enum import_format want, const char *path, const char *main_text,
    const struct stat *sb, const char *names)
{
	struct import_result r;
	char *out, *plain, *live, *plain_live;

	if (import_detect(main_text) != want)
		return -1;
	memset(&r, 0, sizeof(r));
	if (import_text(&r, path, main_text, sb, &machine) == -1)
		abort();	/* detected, then not recognized */
	out = emit(&r);
	check_services(&r, out, names);
	check_loads(&r, out);
	blank_comments(&r);
	plain = emit(&r);
	live = live_lines(out);
	plain_live = live_lines(plain);
	if (strcmp(live, plain_live) != 0) {
		fprintf(stderr, "a comment's text made a live line:\n%s\n", out);
		abort();
	}
	free(live);
	free(plain_live);
	free(plain);
	free(out);
	import_result_free(&r);
	return 0;
}
