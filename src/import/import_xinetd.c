/* --import: reading xinetd.conf into entries: service and defaults blocks, include, includedir. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import_xinetd.h"
#include "import_xinetd_entry.h"

struct entries {
	struct xinetd_entry *v;
	size_t n, cap;
};

/* Where the reader is: in no entry, after "service NAME" (wants "{"), or inside one. */
enum state { OUTSIDE, WANT_BRACE, INSIDE };

struct reader {
	struct import_result *r;
	struct entries *out;
	const char *file;
	int line;
	enum state state;
	struct xinetd_entry *cur;
	int depth;
	int index;		/* of this file in r->files */
};

static void read_text(struct import_result *r, struct entries *out, const char *path,
    const char *text, int depth, int index);

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* The first word of p into word (cut to fit); returns what follows it. */
static const char *
first_word(const char *p, char *word, size_t len)
{
	size_t n = 0;

	p = skip_blanks(p);
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r') {
		if (n + 1 < len)
			word[n++] = *p;
		p++;
	}
	word[n] = '\0';
	return skip_blanks(p);
}

bool
import_xinetd_is_keyword(const char *line)
{
	char word[16];

	first_word(line, word, sizeof(word));
	return strcmp(word, "service") == 0 || strcmp(word, "defaults") == 0 ||
	    strcmp(word, "include") == 0 || strcmp(word, "includedir") == 0;
}

/* The line holds nothing but c (and blanks): xinetd's "{" and "}" lines. */
static bool
only_char(const char *line, char c)
{
	line = skip_blanks(line);
	return *line == c && *skip_blanks(line + 1) == '\0';
}

/* The trailing blanks of a value cut off, in place. */
static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static struct xinetd_entry *
entry_open(struct reader *rd, bool defaults, const char *name)
{
	struct xinetd_entry *e;

	if (rd->out->n == rd->out->cap) {
		size_t cap = rd->out->cap == 0 ? 16 : 2 * rd->out->cap;
		rd->out->v = import_xrealloc(rd->out->v, cap * sizeof(*rd->out->v));
		rd->out->cap = cap;
	}
	e = &rd->out->v[rd->out->n++];
	memset(e, 0, sizeof(*e));
	e->defaults = defaults;
	e->name = import_xstrdup(name);
	e->file = import_xstrdup(rd->file);
	e->line = rd->line;
	return e;
}

/* "name op value value ...": op is =, += or -=, with or without blanks around it. */
static void
attr_line(struct reader *rd, const char *line)
{
	static const char *const ops[] = { "=", "+=", "-=" };
	struct xinetd_entry *e = rd->cur;
	struct xinetd_attr *a;
	const char *p = skip_blanks(line);
	size_t namelen = strcspn(p, " \t=+-");
	char *values, *save = NULL, *joined;
	enum xinetd_op op = XOP_SET;

	if (namelen > 0) {
		p = skip_blanks(p + namelen);
		if (p[0] == '=')
			p += 1;
		else if ((p[0] == '+' || p[0] == '-') && p[1] == '=') {
			op = p[0] == '+' ? XOP_ADD : XOP_DEL;
			p += 2;
		} else
			namelen = 0;	/* no operator: not an attribute */
	}
	if (namelen == 0) {
		char *text = import_xstrdup(skip_blanks(line));
		rtrim(text);
		import_note_add(&rd->r->notes, rd->file, rd->line, text,
		    "not an attribute line (name, then =, += or -=, then values)");
		free(text);
		return;
	}
	e->attr = import_xrealloc(e->attr, (e->nattr + 1) * sizeof(*e->attr));
	a = &e->attr[e->nattr++];
	memset(a, 0, sizeof(*a));
	a->name = import_xstrdup(skip_blanks(line));
	a->name[namelen] = '\0';
	a->op = op;
	a->file = e->file;
	a->line = rd->line;
	values = import_xstrdup(p);
	for (char *v = strtok_r(values, " \t\r", &save); v != NULL; v = strtok_r(NULL, " \t\r", &save))
		import_strv_add(&a->values, v);
	free(values);
	/* the line as notes name it: blanks as xinetd sees them, one between words */
	joined = import_strv_join(&a->values, 0);
	a->text = import_xprintf("%s %s%s%s", a->name, ops[op], joined[0] != '\0' ? " " : "", joined);
	free(joined);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* xinetd's own rule (includedir.c): names with a dot or ending in ~ are skipped */
static bool
includedir_skips(const char *name)
{
	size_t n = strlen(name);

	return n == 0 || strchr(name, '.') != NULL || name[n - 1] == '~';
}

/* A byte that would end or colour the comment a file name is shown in. */
static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* The file being read (index) or one that includes it is the file sb names: a loop. */
static int
reading_already(const struct import_result *r, int index, const struct stat *sb)
{
	for (int f = index; f >= 0; f = r->files[f].parent)
		if (r->files[f].known && r->files[f].dev == sb->st_dev && r->files[f].ino == sb->st_ino)
			return f;
	return -1;
}

/* Why the include of path is not followed, as the note says it; NULL: it may be read. */
static char *
refusal(const struct reader *rd, const char *path, const struct stat *sb, size_t len)
{
	int f = reading_already(rd->r, rd->index, sb);

	if (f >= 0)
		return import_xprintf("not followed: a loop (%s is being read already)", rd->r->files[f].path);
	if (len > IMPORT_BYTES_MAX - rd->r->bytes)
		return import_xprintf("not followed: an import reads at most %u bytes in all, "
		    "and %s holds %zu", IMPORT_BYTES_MAX, path, len);
	return NULL;
}

/* The include line as a note names it: its text without the blanks around. */
static char *
line_text(const char *line)
{
	char *text = import_xstrdup(skip_blanks(line));

	rtrim(text);
	return text;
}

static void
read_file_at(struct reader *rd, const char *line, const char *path, bool from_dir)
{
	char err[256];
	struct stat sb;
	char *text, *why, *what;
	size_t len;
	int f;

	if (has_control(path)) {
		import_note_add(&rd->r->notes, rd->file, rd->line, path, "not read: its name holds a "
		    "control character (shown as \\xNN): rename the file");
		return;
	}
	/* the file bound before the read: a loop past it would read on */
	if (rd->r->nfiles >= IMPORT_FILES_MAX) {
		what = line_text(line);
		import_note_add(&rd->r->notes, rd->file, rd->line, what,
		    "not followed: an import reads at most %d files", IMPORT_FILES_MAX);
		free(what);
		return;
	}
	text = import_read_file(path, err, sizeof(err), &sb);
	if (text == NULL) {
		import_note_add(&rd->r->notes, rd->file, rd->line, path,
		    "cannot be read (%s): its services are not imported", err);
		return;
	}
	len = strlen(text);
	if ((why = refusal(rd, path, &sb, len)) != NULL) {
		what = line_text(line);
		import_note_add(&rd->r->notes, rd->file, rd->line, what, "%s", why);
		free(what);
		free(why);
		free(text);
		return;
	}
	rd->r->bytes += len;
	f = import_file_add(rd->r, path, rd->index, rd->line, &sb);
	rd->r->files[f].dropin = from_dir;
	read_text(rd->r, rd->out, path, text, rd->depth + 1, f);
	free(text);
}

/* Every regular file of dir that xinetd reads, in strcmp order, as xinetd does. */
static void
read_dir(struct reader *rd, const char *line, const char *dir)
{
	struct import_strv names = { .v = NULL, .n = 0 };
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL) {
		import_note_add(&rd->r->notes, rd->file, rd->line, dir,
		    "includedir cannot be read (%s): its services are not imported", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (!includedir_skips(de->d_name))
			import_strv_add(&names, de->d_name);
	closedir(d);
	if (names.n > 0)
		qsort(names.v, names.n, sizeof(*names.v), compare_names);
	for (size_t i = 0; i < names.n; i++) {
		char *path = import_xprintf("%s/%s", dir, names.v[i]);
		struct stat sb;
		/* stat, not lstat: xinetd follows links, and skips what is not a file */
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			read_file_at(rd, line, path, true);
		free(path);
	}
	import_strv_clear(&names);
}

static void
outside_line(struct reader *rd, const char *line)
{
	char word[32];
	const char *rest = first_word(line, word, sizeof(word));
	char *arg = import_xstrdup(rest);

	rtrim(arg);
	if (strcmp(word, "service") == 0 && arg[0] != '\0') {
		rd->cur = entry_open(rd, false, arg);
		rd->state = WANT_BRACE;
	} else if (strcmp(word, "defaults") == 0) {
		rd->cur = entry_open(rd, true, "defaults");
		rd->state = WANT_BRACE;
	} else if ((strcmp(word, "include") == 0 || strcmp(word, "includedir") == 0) && arg[0] != '\0') {
		if (rd->depth >= IMPORT_DEPTH_MAX) {
			char *what = line_text(line);
			import_note_add(&rd->r->notes, rd->file, rd->line, what,
			    "not followed: includes nested deeper than %d", IMPORT_DEPTH_MAX);
			free(what);
		} else if (strcmp(word, "include") == 0)
			read_file_at(rd, line, arg, false);
		else
			read_dir(rd, line, arg);
	} else {
		char *text = import_xstrdup(skip_blanks(line));
		rtrim(text);
		import_note_add(&rd->r->notes, rd->file, rd->line, text,
		    "outside any service entry: xinetd skips it too");
		free(text);
	}
	free(arg);
}

/* An entry that xinetd drops whole (no "{", no "}"): its services are lost. */
static void
entry_drop(struct reader *rd, const char *why)
{
	struct xinetd_entry *e = rd->cur;
	char *what = e->defaults ? import_xstrdup("defaults") : import_xprintf("service %s", e->name);

	import_note_add(&rd->r->notes, e->file, e->line, what, "%s: xinetd ignores the entry", why);
	free(what);
	for (size_t i = 0; i < e->nattr; i++) {
		free(e->attr[i].name);
		free(e->attr[i].text);
		import_strv_clear(&e->attr[i].values);
	}
	free(e->attr);
	free(e->name);
	free(e->file);
	rd->out->n--;
	rd->cur = NULL;
}

static void
reader_line(struct reader *rd, const char *line)
{
	const char *p = skip_blanks(line);

	if (*p == '\0' || *p == '#')
		return;
	switch (rd->state) {
	case OUTSIDE:
		outside_line(rd, line);
		break;
	case WANT_BRACE:
		if (only_char(line, '{'))
			rd->state = INSIDE;
		else {
			entry_drop(rd, "no line holding only \"{\" after its name");
			rd->state = OUTSIDE;
			reader_line(rd, line);
		}
		break;
	case INSIDE:
		if (only_char(line, '}')) {
			rd->state = OUTSIDE;
			rd->cur = NULL;
		} else
			attr_line(rd, line);
		break;
	}
}

static void
read_text(struct import_result *r, struct entries *out, const char *path,
    const char *text, int depth, int index)
{
	struct reader rd = { .r = r, .out = out, .file = path, .line = 0, .state = OUTSIDE,
	    .cur = NULL, .depth = depth, .index = index };
	char *copy = import_xstrdup(text);
	char *p = copy;

	while (p != NULL) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		rd.line++;
		reader_line(&rd, p);
		p = nl != NULL ? nl + 1 : NULL;
	}
	if (rd.state != OUTSIDE)
		entry_drop(&rd, "the file ends inside it");
	free(copy);
}

static void
entries_free(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		struct xinetd_entry *e = &es->v[i];
		for (size_t j = 0; j < e->nattr; j++) {
			free(e->attr[j].name);
			free(e->attr[j].text);
			import_strv_clear(&e->attr[j].values);
		}
		free(e->attr);
		free(e->name);
		free(e->file);
	}
	free(es->v);
}

void
import_xinetd_parse(struct import_result *r, const struct import_host *h,
    const char *path, const char *text, const struct stat *sb)
{
	struct entries es = { .v = NULL, .n = 0, .cap = 0 };
	struct xinetd_defaults d;
	bool have_defaults = false;

	r->format = "xinetd";
	memset(&d, 0, sizeof(d));
	r->bytes += strlen(text);
	read_text(r, &es, path, text, 0, import_file_add(r, path, -1, 0, sb));
	/*
	 * xinetd copies the defaults into each service as it reads it; a
	 * defaults entry after services is rare enough to apply to all.
	 */
	for (size_t i = 0; i < es.n; i++) {
		if (!es.v[i].defaults)
			continue;
		if (have_defaults)
			import_note_add(&r->notes, es.v[i].file, es.v[i].line, "defaults",
			    "a second defaults entry: xinetd ignores it");
		else
			import_xinetd_defaults(r, &es.v[i], &d);
		have_defaults = true;
	}
	for (size_t i = 0; i < es.n; i++)
		if (!es.v[i].defaults)
			import_xinetd_translate(r, h, &es.v[i], &d);
	import_xinetd_defaults_free(&d);
	entries_free(&es);
}
