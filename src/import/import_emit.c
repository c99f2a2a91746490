/* --import: the netsrv.conf text of an import, and its list of what was lost. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_emit.h"
#include "import_map.h"

char *
import_emit_quote(const char *s)
{
	/* the worst case: every byte as \xNN, two quotes, the NUL */
	char *q = import_xalloc(4 * strlen(s) + 3), *p = q;

	*p++ = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	*p++ = '"';
	*p = '\0';
	return q;
}

/*
 * Input shown in a comment, or on stderr: file names, lines, values. A
 * newline would end the comment and make the rest live configuration, a
 * CR or an escape would rewrite the sysadmin's terminal: every control
 * byte but a tab is written \xNN. fmt's %s arguments are all input.
 */
static void
put_visible(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put_visible(FILE *out, const char *fmt, ...)
{
	char *text;
	va_list ap;

	va_start(ap, fmt);
	text = import_xvprintf(fmt, ap);
	va_end(ap);
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	free(text);
}

/* One line of the block: "\t\tKEY = VALUE;", or "\t# ..." when the block is commented out. */
struct block {
	FILE *out;
	bool commented;
};

static void
line(const struct block *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
line(const struct block *b, const char *fmt, ...)
{
	va_list ap;

	fputs(b->commented ? "\t#\t" : "\t\t", b->out);
	va_start(ap, fmt);
	vfprintf(b->out, fmt, ap);
	va_end(ap);
	fputc('\n', b->out);
}

static void
key_string(const struct block *b, const char *key, const char *value)
{
	char *q;

	if (value == NULL)
		return;
	q = import_emit_quote(value);
	line(b, "%s = %s;", key, q);
	free(q);
}

static void
key_list(const struct block *b, const char *key, const struct import_strv *v, bool always)
{
	size_t len = 0, used;
	char *text;

	if (v->n == 0 && !always)
		return;
	for (size_t i = 0; i < v->n; i++)
		len += 4 * strlen(v->v[i]) + 5;
	text = import_xalloc(len + 8);
	used = (size_t)sprintf(text, "[ ");
	for (size_t i = 0; i < v->n; i++) {
		char *q = import_emit_quote(v->v[i]);
		used += (size_t)sprintf(text + used, "%s%s", i > 0 ? ", " : "", q);
		free(q);
	}
	sprintf(text + used, " ]");
	line(b, "%s = %s;", key, text);
	free(text);
}

static void
note_lines(FILE *out, const char *indent, const char *label, const struct import_notes *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		fprintf(out, "%s# %s: ", indent, label);
		put_visible(out, "%s (%s:%d): %s", ns->v[i].what, ns->v[i].file, ns->v[i].line, ns->v[i].why);
		fputc('\n', out);
	}
}

static void
emit_limits(const struct block *b, const struct import_limits *l)
{
	if (l->cpu < 0 && l->memory < 0 && l->files < 0)
		return;
	line(b, "limits = {");
	if (l->cpu >= 0)
		line(b, "\tcpu = %lld;", l->cpu);
	/* libconfig reads a literal past 32 bits as 64 bits only with its L */
	if (l->memory >= 0)
		line(b, "\tmemory = %lld%s;", l->memory, l->memory > INT32_MAX ? "L" : "");
	if (l->files >= 0)
		line(b, "\tfiles = %lld;", l->files);
	line(b, "};");
}

/* A key of a later netsrvd (keepalive, interface): set, or shown as a comment only. */
static void
emit_later_key(const struct block *b, const struct import_host *h, const char *key, const char *text)
{
	if (import_map_key_known(h, key))
		line(b, "%s", text);
	else
		line(b, "# %s  (not in this netsrvd's schema)", text);
}

static void
emit_keys(const struct block *b, const struct import_service *s, const struct import_host *h)
{
	key_string(b, "name", s->name);
	key_string(b, "protocol", s->protocol == PROTO_TCP ? "tcp" : "udp");
	key_string(b, "address", s->address);
	if (s->port > 0)
		line(b, "port = %d;", s->port);
	key_string(b, "handler", s->handler);
	if (s->command.n > 0)
		key_list(b, "command", &s->command, true);
	key_string(b, "quotes", s->quotes);
	key_string(b, "to", s->to);
	if (s->wait)
		line(b, "wait = true;");
	key_string(b, "user", s->user);
	key_string(b, "group", s->group);
	if (s->groups)
		line(b, "groups = true;");
	if (s->workers > 0)
		line(b, "workers = %d;", s->workers);
	if (s->max_workers > 0)
		line(b, "max_workers = %d;", s->max_workers);
	if (s->max_per_source >= 0)
		line(b, "max_per_source = %d;", s->max_per_source);
	if (s->connection_rate > 0)
		line(b, "connection_rate = %d;", s->connection_rate);
	key_string(b, "banner", s->banner[0]);
	key_string(b, "banner_success", s->banner[1]);
	key_string(b, "banner_fail", s->banner[2]);
	if (s->max_load > 0)
		line(b, "max_load = %g;", s->max_load);
	key_list(b, "allow", &s->allow, false);
	key_list(b, "deny", &s->deny, false);
	key_list(b, "env", &s->env, false);
	key_list(b, "passenv", &s->passenv, false);
	emit_limits(b, &s->limits);
	if (s->nice_set)
		line(b, "nice = %d;", s->nice);
	key_string(b, "umask", s->umask);
	if (s->keepalive && s->protocol == PROTO_TCP)
		emit_later_key(b, h, "keepalive", "keepalive = true;");
	if (s->interface != NULL) {
		char *q = import_emit_quote(s->interface), *text = import_xprintf("interface = %s;", q);
		emit_later_key(b, h, "interface", text);
		free(text);
		free(q);
	}
	if (s->tcp_wrappers != NULL) {
		char *q = import_emit_quote(s->tcp_wrappers), *text = import_xprintf("tcp_wrappers = %s;", q);
		emit_later_key(b, h, "tcp_wrappers", text);
		free(text);
		free(q);
	}
	if (!s->enabled)
		line(b, "enabled = false;");
}

void
import_emit_service(FILE *out, const struct import_service *s, const struct import_host *h, bool comma)
{
	struct block b = { .out = out, .commented = s->unservable != NULL };

	fputs("\t# ", out);
	put_visible(out, "%s:%d: %s", s->file, s->line, s->origin != NULL ? s->origin : "");
	fputc('\n', out);
	if (b.commented) {
		fputs("\t# not served: ", out);
		put_visible(out, "%s", s->unservable);
		fputc('\n', out);
	}
	fputs(b.commented ? "\t# {\n" : "\t{\n", out);
	emit_keys(&b, s, h);
	note_lines(out, b.commented ? "\t#\t" : "\t\t", "lost", &s->notes);
	note_lines(out, b.commented ? "\t#\t" : "\t\t", "note", &s->remarks);
	fputs(b.commented ? "\t# }\n" : comma ? "\t},\n" : "\t}\n", out);
}

static void
emit_header(const struct import_result *r, FILE *out)
{
	put_visible(out, "# netsrv.conf made by \"netsrvd --import %s\" (%s format).", r->path, r->format);
	fputc('\n', out);
	put_visible(out, "# Check it before use: netsrvd -t -c %s", r->dest != NULL ? r->dest : "FILE");
	fputc('\n', out);
	fputs("# What netsrvd cannot carry over is a \"# lost:\" comment beside its service;\n"
	    "# a service it cannot serve is a commented-out block that says why.\n\n", out);
}

static void
emit_log(const struct import_result *r, FILE *out)
{
	char *q;

	if (r->log_target == NULL && r->log_facility == NULL && !r->log_connections)
		return;
	fputs("log = {\n", out);
	if (r->log_target != NULL) {
		q = import_emit_quote(r->log_target);
		fprintf(out, "\ttarget = %s;\n", q);
		free(q);
	}
	if (r->log_facility != NULL) {
		q = import_emit_quote(r->log_facility);
		fprintf(out, "\tfacility = %s;\n", q);
		free(q);
	}
	if (r->log_connections)
		fputs("\tconnections = true;\n", out);
	fputs("};\n\n", out);
}

/* Whether service i belongs to the text of part: IMPORT_PART_ALL, IMPORT_PART_MAIN or a drop-in's file. */
static bool
in_part(const struct import_result *r, size_t i, int part)
{
	return part == IMPORT_PART_ALL || import_service_dropin(r, &r->svc[i]) == part;
}

static void
emit_services(const struct import_result *r, const struct import_host *h, int part, FILE *out)
{
	size_t last = r->nsvc;
	bool first = true;

	/* libconfig wants no comma after a list's last element */
	for (size_t i = 0; i < r->nsvc; i++)
		if (r->svc[i].unservable == NULL && in_part(r, i, part))
			last = i;
	fputs("services = (\n", out);
	for (size_t i = 0; i < r->nsvc; i++) {
		if (!in_part(r, i, part))
			continue;
		if (!first)
			fputc('\n', out);
		first = false;
		import_emit_service(out, &r->svc[i], h, i < last && last != r->nsvc);
	}
	fputs(");\n", out);
}

static bool
part_has_any(const struct import_result *r, int part)
{
	for (size_t i = 0; i < r->nsvc; i++)
		if (in_part(r, i, part))
			return true;
	return false;
}

void
import_emit_config(const struct import_result *r, const struct import_host *h, FILE *out)
{
	import_emit_main(r, h, NULL, out);
}

void
import_emit_main(const struct import_result *r, const struct import_host *h, const char *include_dir,
    FILE *out)
{
	int part = include_dir != NULL ? IMPORT_PART_MAIN : IMPORT_PART_ALL;

	emit_header(r, out);
	if (include_dir != NULL) {
		char *q = import_emit_quote(include_dir);
		fprintf(out, "include_dir = %s;\n\n", q);
		free(q);
	}
	emit_log(r, out);
	if (r->notes.n > 0) {
		note_lines(out, "", "lost", &r->notes);
		fputc('\n', out);
	}
	if (part == IMPORT_PART_MAIN && !part_has_any(r, part))
		fputs("# every service is in a drop-in of include_dir\n", out);
	else
		emit_services(r, h, part, out);
}

void
import_emit_dropin(const struct import_result *r, const struct import_host *h, int file,
    const char *dir, FILE *out)
{
	put_visible(out, "%s%s --import-to %s\" from %s.", IMPORT_DROPIN_MARK, r->path, dir,
	    r->files[file].path);
	fputs("\n# The same import made again replaces this file: remove these lines once you edit it.\n\n",
	    out);
	emit_services(r, h, file, out);
}

/* One line of the listing: a note (lost or a remark) or a service not served. */
struct report_line {
	const char *file;
	int line;
	const struct import_service *s;	/* NULL: a note outside any service */
	const struct import_note *n;	/* NULL: s is not served */
	bool lost;
	int key[IMPORT_KEY_MAX];	/* its place in the reading order (import_file_key) */
	size_t nkey;
	size_t seq;			/* the order it was made in, for ties */
};

static int
report_compare(const void *a, const void *b)
{
	const struct report_line *x = a, *y = b;

	for (size_t i = 0; i < x->nkey && i < y->nkey; i++)
		if (x->key[i] != y->key[i])
			return x->key[i] < y->key[i] ? -1 : 1;
	if (x->nkey != y->nkey)
		return x->nkey < y->nkey ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
report_line_add(const struct import_result *r, struct report_line *v, size_t *n,
    const struct import_service *s, const struct import_note *note, bool lost)
{
	struct report_line *l = &v[*n];

	if (note == NULL && s == NULL)
		return;	/* a line is about a note, a service, or both */
	l->file = note != NULL ? note->file : s->file;
	l->line = note != NULL ? note->line : s->line;
	l->s = s;
	l->n = note;
	l->lost = lost;
	l->nkey = import_file_key(r, l->file, l->line, l->key);
	l->seq = (*n)++;
}

static void
report_add(const struct import_result *r, struct report_line *v, size_t *n,
    const struct import_service *s, const struct import_notes *ns, bool lost)
{
	for (size_t i = 0; i < ns->n; i++)
		report_line_add(r, v, n, s, &ns->v[i], lost);
}

static void
report_print(FILE *err, const struct report_line *l)
{
	put_visible(err, "%s:%d: ", l->file, l->line);
	if (l->s != NULL)
		put_visible(err, "service %s: ", l->s->name != NULL ? l->s->name : "?");
	if (l->n == NULL)
		put_visible(err, "not served: %s", l->s != NULL ? l->s->unservable : "?");
	else if (l->lost)
		put_visible(err, "%s: not carried over: %s", l->n->what, l->n->why);
	else
		put_visible(err, "note: %s: %s", l->n->what, l->n->why);
	fputc('\n', err);
}

/*
 * The report's lines, file by file as they were read and each in line
 * order (as the sysadmin reads them); remarks too, or only what was lost.
 * The counts are for the summary.
 */
static void
report_lines(const struct import_result *r, bool remarks, FILE *err, size_t *unserved, size_t *lost,
    size_t *enabled)
{
	size_t total = r->notes.n, n = 0;
	struct report_line *v;

	*unserved = 0, *lost = r->notes.n, *enabled = 0;
	for (size_t i = 0; i < r->nsvc; i++)
		total += 1 + r->svc[i].notes.n + r->svc[i].remarks.n;
	v = import_xalloc((total ? total : 1) * sizeof(*v));
	report_add(r, v, &n, NULL, &r->notes, true);
	for (size_t i = 0; i < r->nsvc; i++) {
		const struct import_service *s = &r->svc[i];
		if (s->unservable != NULL) {
			report_line_add(r, v, &n, s, NULL, true);
			(*unserved)++;
		} else
			*enabled += s->enabled;
		report_add(r, v, &n, s, &s->notes, true);
		if (remarks)
			report_add(r, v, &n, s, &s->remarks, false);
		*lost += s->notes.n;
	}
	qsort(v, n, sizeof(*v), report_compare);
	for (size_t i = 0; i < n; i++)
		report_print(err, &v[i]);
	free(v);
}

void
import_emit_lost(const struct import_result *r, FILE *out)
{
	size_t unserved, lost, enabled;

	report_lines(r, false, out, &unserved, &lost, &enabled);
}

void
import_emit_report(const struct import_result *r, FILE *err)
{
	size_t unserved, lost, enabled;

	report_lines(r, true, err, &unserved, &lost, &enabled);
	put_visible(err, "netsrvd: %s (%s): %zu service%s, %zu not served, %zu attribute%s not carried over",
	    r->path, r->format, r->nsvc, r->nsvc == 1 ? "" : "s", unserved, lost, lost == 1 ? "" : "s");
	fputc('\n', err);
	/* all disabled is a valid file that serves nothing; an empty list is refused */
	if (enabled == 0) {
		put_visible(err, "netsrvd: %s: no service is enabled: %s", r->path,
		    r->nsvc > unserved ? "netsrvd would serve nothing until one is" :
		    "netsrvd -t refuses a services list with none in it");
		fputc('\n', err);
	}
}
