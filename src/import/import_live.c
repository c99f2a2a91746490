/* inetd_conf: an inetd.conf's entries translated for the running daemon, by --import's own code. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import.h"
#include "import_emit.h"
#include "import_finish.h"
#include "import_inetd.h"
#include "import_live.h"

/* A warning longer than this (a line of garbage quoted whole) is cut: the log wants the place and the gist. */
#define WARNING_MAX 400

static void
put_string(FILE *out, const char *s, size_t len)
{
	char *cut = import_xalloc(len + 1), *q;

	memcpy(cut, s, len);
	cut[len] = '\0';
	q = import_emit_quote(cut);
	fputs(q, out);
	free(q);
	free(cut);
}

static void
put_error(FILE *out, const char *path, const char *why)
{
	char msg[PATH_MAX + 256];

	snprintf(msg, sizeof(msg), "%s: %s", path, why);
	fputs("error = ", out);
	put_string(out, msg, strlen(msg));
	fputs(";\n", out);
}

/* The lines import_emit_lost prints, as a libconfig list of strings; past the bound, a count. */
static void
put_warnings(const struct import_result *r, FILE *out)
{
	char *text = NULL, *p;
	size_t len = 0, n = 0;
	FILE *mem = open_memstream(&text, &len);

	if (mem == NULL) {
		fputs("warnings = ( \"the list of what was lost could not be made\" );\n", out);
		return;
	}
	import_emit_lost(r, mem);
	if (fclose(mem) == EOF) {
		free(text);
		fputs("warnings = ( \"the list of what was lost could not be made\" );\n", out);
		return;
	}
	fputs("warnings = (", out);
	for (p = text; p != NULL && *p != '\0'; n++) {
		char *nl = strchr(p, '\n');
		size_t l = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (n < IMPORT_LIVE_WARNINGS_MAX) {
			fputs(n ? ",\n\t" : "\n\t", out);
			put_string(out, p, l < WARNING_MAX ? l : WARNING_MAX);
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	if (n > IMPORT_LIVE_WARNINGS_MAX) {
		char more[PATH_MAX + 128];

		snprintf(more, sizeof(more), "%s: %zu more lines like these: netsrvd --import %s lists them all",
		    r->path, n - IMPORT_LIVE_WARNINGS_MAX, r->path);
		fputs(",\n\t", out);
		put_string(out, more, strlen(more));
	}
	fputs("\n);\n", out);
	free(text);
}

static void
put_services(const struct import_result *r, FILE *out)
{
	size_t last = r->nsvc;
	bool first = true;

	for (size_t i = 0; i < r->nsvc; i++)
		if (r->svc[i].unservable == NULL)
			last = i;
	fputs("services = (\n", out);
	for (size_t i = 0; i < r->nsvc; i++)
		if (r->svc[i].unservable == NULL)
			import_emit_service(out, &r->svc[i], &import_host_system, i < last);
	fputs(");\nlines = [", out);
	for (size_t i = 0; i < r->nsvc; i++)
		if (r->svc[i].unservable == NULL) {
			fprintf(out, "%s%d", first ? " " : ", ", r->svc[i].line);
			first = false;
		}
	fputs(" ];\n", out);
}

int
import_live_translate(const char *path, FILE *out)
{
	struct import_result r;
	struct stat sb;
	char why[PATH_MAX + 128];
	char *text;

	/* a file no package has made yet: nothing to serve, nothing wrong */
	if (stat(path, &sb) == -1 && errno == ENOENT)
		fputs("absent = true;\n", out);
	else if ((text = import_read_file(path, why, sizeof(why), &sb)) == NULL)
		put_error(out, path, why);
	else if (import_detect(text) == IMPORT_XINETD) {
		put_error(out, path, "an xinetd.conf, not an inetd.conf (move it in with "
		    "netsrvd --import FILE --import-to DIR, and name DIR in include_dir)");
		free(text);
	} else {
		memset(&r, 0, sizeof(r));
		r.format = "inetd";
		r.path = import_xstrdup(path);
		import_inetd_parse(&r, &import_host_system, path, text);
		import_finish(&r, &import_host_system);
		put_services(&r, out);
		put_warnings(&r, out);
		import_result_free(&r);
		free(text);
	}
	return fflush(out) == EOF || ferror(out) ? 1 : 0;
}
