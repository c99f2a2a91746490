/* netsrvd --import: an inetd.conf or xinetd.conf as netsrv.conf: detect, parse, check across services, print. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "import.h"
#include "import_check.h"
#include "import_emit.h"
#include "import_finish.h"
#include "import_inetd.h"
#include "import_map.h"
#include "import_to.h"
#include "import_xinetd.h"

/* An update-inetd section label, "#:INTERNAL: Internal services". */
static bool
is_inetd_label(const char *line)
{
	const char *end;

	if (line[0] != '#' || line[1] != ':')
		return false;
	end = strchr(line + 2, ':');
	return end != NULL && end > line + 2;
}

/*
 * The first line that is an entry of one format decides; a line of
 * neither is skipped here as both parsers skip it (with a note), wherever
 * it stands. A file of comments only is an inetd.conf when its comments
 * are inetd's: Debian's own, as openbsd-inetd installs it, holds nothing
 * else.
 */
enum import_format
import_detect(const char *text)
{
	enum import_format weak = IMPORT_NEITHER;
	const char *p = text;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *line = import_xalloc(len + 1), *l = line;
		enum import_format verdict = IMPORT_NEITHER;
		bool decided = false;

		memcpy(line, p, len);
		line[len] = '\0';
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, IMPORT_INETD_OFF, strlen(IMPORT_INETD_OFF)) == 0) {
			if (import_inetd_is_entry(l + strlen(IMPORT_INETD_OFF)))
				verdict = IMPORT_INETD, decided = true;
		} else if (*l == '#') {
			if (is_inetd_label(l) || import_inetd_is_entry(l + 1))
				weak = IMPORT_INETD;
		} else if (*l != '\0' && *l != '\r') {
			/* a lone "host:" line is inetd's, but "word:" alone proves little */
			verdict = import_xinetd_is_keyword(l) ? IMPORT_XINETD :
			    import_inetd_is_entry(l) && strpbrk(l, " \t") != NULL ? IMPORT_INETD : IMPORT_NEITHER;
			decided = verdict != IMPORT_NEITHER;
		}
		free(line);
		if (decided)
			return verdict;
		p = nl != NULL ? nl + 1 : NULL;
	}
	return weak;
}

int
import_text(struct import_result *r, const char *path, const char *text,
    const struct stat *sb, const struct import_host *h)
{
	enum import_format f = import_detect(text);

	if (r->path == NULL)
		r->path = import_xstrdup(path);
	if (f == IMPORT_NEITHER)
		return -1;
	if (f == IMPORT_INETD)
		import_inetd_parse(r, h, path, text);
	else
		import_xinetd_parse(r, h, path, text, sb);
	import_finish(r, h);
	return 0;
}

/* What an emitter printed, into a new string (*len its length); NULL with err said. */
static char *
made(FILE *err, size_t *len, void (*emit)(const struct import_result *, const struct import_host *,
    const void *, FILE *), const struct import_result *r, const struct import_host *h, const void *arg)
{
	char *text = NULL;
	FILE *mem = open_memstream(&text, len);

	if (mem == NULL) {
		fprintf(err, "netsrvd: --import: making the configuration: %s\n", strerror(errno));
		return NULL;
	}
	emit(r, h, arg, mem);
	if (fclose(mem) == EOF) {
		fprintf(err, "netsrvd: --import: making the configuration: %s\n", strerror(errno));
		free(text);
		return NULL;
	}
	return text;
}

static void
emit_main(const struct import_result *r, const struct import_host *h, const void *include_dir, FILE *out)
{
	import_emit_main(r, h, include_dir, out);
}

/* Which drop-in emit_dropin makes. */
struct dropin {
	int file;
	const char *dir;
};

static void
emit_dropin(const struct import_result *r, const struct import_host *h, const void *arg, FILE *out)
{
	const struct dropin *d = arg;

	import_emit_dropin(r, h, d->file, d->dir, out);
}

/* The last component of path, the name xinetd's includedir read it by. */
static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * --import-to: every file read through an includedir becomes dir/NAME.conf.
 * Returns IMPORT_COMPLETE, IMPORT_LOST when one could not be written for
 * a reason of the sysadmin's (a file of theirs at the name, a name unsafe
 * or taken twice: its services are missing from the result), or
 * IMPORT_FAILED when writing failed.
 */
static int
write_dropins(const struct import_result *r, const struct import_host *h, const char *dir, FILE *err)
{
	/*
	 * Which files have a service to serve, found once, not once per pair
	 * of files. One whose services are all commented out gets no drop-in:
	 * its list would be empty, which the loader refuses as a file cut
	 * short; why each is not served is on err already.
	 */
	bool *has = import_xalloc(r->nfiles + 1);
	int rc = IMPORT_COMPLETE;

	memset(has, 0, r->nfiles + 1);
	for (size_t i = 0; i < r->nsvc; i++) {
		int f = import_service_dropin(r, &r->svc[i]);
		if (f >= 0 && r->svc[i].unservable == NULL)
			has[f] = true;
	}
	for (size_t i = 0; i < r->nfiles && rc != IMPORT_FAILED; i++) {
		struct dropin d = { .file = (int)i, .dir = dir };
		int w;
		const char *base = base_name(r->files[i].path), *unsafe;
		char *name, *text, why[PATH_MAX + 128];
		size_t len = 0;
		bool taken = false;

		if (!has[i])
			continue;
		name = import_xprintf("%s.conf", base);
		for (size_t j = 0; j < i; j++)
			if (has[j] && strcmp(base_name(r->files[j].path), base) == 0)
				taken = true;
		if ((unsafe = import_to_name_unsafe(base)) != NULL || taken) {
			fprintf(err, "netsrvd: --import-to %s: %s: not written (%s): "
			    "its services are not imported\n", dir, r->files[i].path,
			    unsafe != NULL ? unsafe : "another file of the same name is written there");
			free(name);
			rc = IMPORT_LOST;
			continue;
		}
		if ((text = made(err, &len, emit_dropin, r, h, &d)) == NULL) {
			free(name);
			rc = IMPORT_FAILED;
			break;
		}
		w = import_to_write(dir, name, text, len, why, sizeof(why));
		free(text);
		free(name);
		if (w == -1) {
			fprintf(err, "netsrvd: --import-to: %s\n", why);
			rc = IMPORT_FAILED;
		} else if (w == 1) {
			fprintf(err, "netsrvd: --import-to: %s: the services of %s are not imported\n",
			    why, r->files[i].path);
			rc = IMPORT_LOST;
		}
	}
	free(has);
	return rc;
}

/*
 * The configuration is made in memory and loaded as netsrvd would load it
 * first: what the daemon refuses is a bug of the import, said on err and
 * never printed (a sysadmin would install it). With --import-to, what is
 * loaded is the whole of it as one text, the main file's settings and
 * every drop-in's services: what the daemon loads of the main file and
 * its include_dir together (the include_dir line itself is left out).
 */
static int
emit_checked(const struct import_result *r, const struct import_host *h, const char *dir,
    FILE *out, FILE *err)
{
	char *text, why[CONFIG_ERR_MAX];
	size_t len = 0;
	int rc, written;

	if ((text = made(err, &len, emit_main, r, h, NULL)) == NULL)
		return IMPORT_FAILED;
	import_emit_report(r, err);
	if (import_check_config(r, text, why, sizeof(why)) == -1) {
		fprintf(err, "netsrvd: --import %s: the configuration made is one netsrvd refuses, "
		    "so it is not printed (a bug of --import): %s\n", r->path, why);
		free(text);
		return IMPORT_FAILED;
	}
	rc = import_result_lost(r) ? IMPORT_LOST : IMPORT_COMPLETE;
	if (dir != NULL) {
		free(text);
		/* the drop-ins first: a main file printed names them */
		if ((written = write_dropins(r, h, dir, err)) == IMPORT_FAILED)
			return IMPORT_FAILED;
		if (written == IMPORT_LOST)
			rc = IMPORT_LOST;
		len = 0;
		if ((text = made(err, &len, emit_main, r, h, dir)) == NULL)
			return IMPORT_FAILED;
	}
	if (fwrite(text, 1, len, out) != len || fflush(out) == EOF || ferror(out)) {
		fprintf(err, "netsrvd: --import: writing the configuration: %s\n", strerror(errno));
		rc = IMPORT_FAILED;
	}
	free(text);
	return rc;
}

int
import_run(const char *path, const char *dest, FILE *out, FILE *err,
    const struct import_host *h)
{
	return import_run_to(path, dest, NULL, out, err, h);
}

int
import_run_to(const char *path, const char *dest, const char *dir, FILE *out, FILE *err,
    const struct import_host *h)
{
	struct import_result r;
	struct stat sb;
	char why[PATH_MAX + 128];
	char *text;
	int rc;

	/* before anything is read or printed: nothing half done */
	if (dir != NULL && import_to_check_dir(dir, why, sizeof(why)) == -1) {
		fprintf(err, "netsrvd: --import-to %s\n", why);
		return IMPORT_FAILED;
	}
	text = import_read_file(path, why, sizeof(why), &sb);
	if (text == NULL) {
		fprintf(err, "netsrvd: --import %s: %s\n", path, why);
		return IMPORT_UNREADABLE;
	}
	memset(&r, 0, sizeof(r));
	r.path = import_xstrdup(path);
	r.dest = dest != NULL ? import_xstrdup(dest) : NULL;
	if (import_text(&r, path, text, &sb, h) == -1) {
		fprintf(err, "netsrvd: --import %s: neither an inetd.conf nor an xinetd.conf "
		    "(no inetd entry or xinetd service, defaults or includedir line)\n", path);
		free(text);
		import_result_free(&r);
		return IMPORT_UNREADABLE;
	}
	rc = emit_checked(&r, h, dir, out, err);
	free(text);
	import_result_free(&r);
	return rc;
}
