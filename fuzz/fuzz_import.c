/*
 * libFuzzer target: an inetd.conf or xinetd.conf, with a file of an
 * includedir whose name is fuzzed too -> --import -> the netsrv.conf it
 * prints. The oracle is that the output says nothing the input did not:
 *  - it loads under libconfig;
 *  - its services list holds exactly the services the import serves, in
 *    order, each named as the import named it, and every name comes from
 *    the files' text (never from a file name or a comment's place);
 *  - its live lines (all but comments) are the same when every string the
 *    output shows in comments (file names, lines, notes) is replaced by
 *    "x": no comment can make a live line.
 *
 * The input is MAIN NUL NAME NUL TEXT: MAIN is the file imported, TEXT a
 * file named NAME ('/' made '_') in the directory d, and "includedir d"
 * ends MAIN. Both are written in the working directory (`make fuzz` runs
 * the fuzzer in fuzz/run/import/). An include or includedir of an
 * absolute path or one holding ".." skips the input: the fuzzer reads no
 * file but those of its run.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "import/import.h"
#include "import/import_emit.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- a machine of the fuzzer's own: every name known, every absolute program runnable --- */

static int
fake_port(const char *name, const char *proto)
{
	(void)proto;
	return strcmp(name, "echo") == 0 ? 7 : strcmp(name, "daytime") == 0 ? 13 :
	    strcmp(name, "ftp") == 0 ? 21 : -1;
}

static bool
fake_exists(const char *name)
{
	return strcmp(name, "root") == 0 || strcmp(name, "nobody") == 0;
}

static int
fake_program(const char *path, const char *user, const char *group)
{
	(void)user;
	(void)group;
	return path[0] == '/' ? 0 : ENOENT;
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
fake_interface(const char *name)
{
	return strcmp(name, "lo") == 0;
}

static bool
fake_quotes(const char *path)
{
	(void)path;
	return true;
}

static bool
fake_key_known(const char *key)
{
	(void)key;
	return false;
}

static const struct import_host fake = {
	.service_port = fake_port,
	.user_exists = fake_exists,
	.group_exists = fake_exists,
	.program_usable = fake_program,
	.resolve = fake_resolve,
	.is_interface = fake_interface,
	.quotes_ok = fake_quotes,
	.key_known = fake_key_known,
};

/* --- the files of one input --- */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdir("d", 0700) == -1 && errno != EEXIST) {
		perror("fuzz_import: mkdir d");
		exit(1);
	}
	return 0;
}

/* An include or includedir line of text names a file not ours. */
static bool
reads_elsewhere(const char *text)
{
	for (const char *p = text; p != NULL; p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
		const char *l = p + strspn(p, " \t\r"), *arg;
		size_t len = strcspn(l, " \t\r\n");

		if ((len != 7 || strncmp(l, "include", 7) != 0) && (len != 10 || strncmp(l, "includedir", 10) != 0))
			continue;
		arg = l + len + strspn(l + len, " \t\r");
		if (*arg == '/')
			return true;
		for (const char *q = arg; *q != '\0' && *q != '\n'; q++)
			if (q[0] == '.' && q[1] == '.')
				return true;
	}
	return false;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF) {
		perror(path);
		abort();
	}
}

static void
empty_d(void)
{
	DIR *d = opendir("d");
	struct dirent *de;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		char path[300];
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "d/%s", de->d_name);
		if (unlink(path) == -1)
			abort();
	}
	closedir(d);
}

/* --- the oracle --- */

static char *
emit(const struct import_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	import_emit_config(r, &fake, f);
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

static void
check_import(const char *main_text, const char *text)
{
	struct import_result r;
	struct stat sb;
	char *out, *plain, *live, *plain_live;

	memset(&r, 0, sizeof(r));
	if (stat("main", &sb) == -1)
		abort();
	if (import_text(&r, "main", main_text, &sb, &fake) == -1) {
		import_result_free(&r);
		return;
	}
	out = emit(&r);
	check_services(&r, out, text);
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
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = calloc(1, size + 3), *main_text, *name, *text, *all, path[300];
	size_t mlen, nlen;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);	/* two NULs past the end: NAME and TEXT may be empty */
	name = buf + strlen(buf) + 1;
	text = name + strlen(name) + 1;
	if (reads_elsewhere(buf) || reads_elsewhere(text) || strlen(name) > 200) {
		free(buf);
		return -1;	/* not added to the corpus */
	}
	for (char *c = name; *c != '\0'; c++)
		if (*c == '/')
			*c = '_';
	mlen = strlen(buf);
	main_text = import_xprintf("%s%sincludedir d\n", buf, mlen > 0 && buf[mlen - 1] != '\n' ? "\n" : "");
	write_file("main", main_text);
	empty_d();
	nlen = strlen(name);
	if (nlen > 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
		snprintf(path, sizeof(path), "d/%s", name);
		write_file(path, text);
	}
	/* the names may come from either file's text, never from NAME */
	all = import_xprintf("%s\n%s", main_text, text);
	check_import(main_text, all);
	free(all);
	free(main_text);
	free(buf);
	return 0;
}
