/* --import: the services an import builds, their notes, and the memory helpers. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import_model.h"

static void
out_of_memory(void)
{
	static const char msg[] = "netsrvd: --import: out of memory\n";

	/* nothing to flush that matters: the output would be incomplete anyway */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) == -1)
		_exit(1);
	_exit(1);
}

void *
import_xalloc(size_t size)
{
	void *p = calloc(1, size == 0 ? 1 : size);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
import_xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size == 0 ? 1 : size);

	if (q == NULL)
		out_of_memory();
	return q;
}

char *
import_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		out_of_memory();
	return p;
}

char *
import_xvprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		out_of_memory();
	return p;
}

char *
import_xprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = import_xvprintf(fmt, ap);
	va_end(ap);
	return p;
}

void
import_set(char **slot, const char *s)
{
	char *copy = s != NULL ? import_xstrdup(s) : NULL;

	free(*slot);
	*slot = copy;
}

static void *
grow(void *v, size_t n, size_t size)
{
	void *p;

	/* doubling at each power of two: amortized, and n is the only state */
	if (n != 0 && (n & (n - 1)) != 0)
		return v;
	p = realloc(v, (n == 0 ? 1 : 2 * n) * size);
	if (p == NULL)
		out_of_memory();
	return p;
}

void
import_strv_add(struct import_strv *sv, const char *s)
{
	sv->v = grow(sv->v, sv->n, sizeof(*sv->v));
	sv->v[sv->n++] = import_xstrdup(s);
}

void
import_strv_remove(struct import_strv *sv, const char *s)
{
	size_t j = 0;

	for (size_t i = 0; i < sv->n; i++) {
		if (strcmp(sv->v[i], s) == 0)
			free(sv->v[i]);
		else
			sv->v[j++] = sv->v[i];
	}
	sv->n = j;
}

bool
import_strv_has(const struct import_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void
import_strv_clear(struct import_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void
import_strv_copy(struct import_strv *dst, const struct import_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		import_strv_add(dst, src->v[i]);
}

char *
import_strv_join(const struct import_strv *sv, size_t from)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = from; i < sv->n; i++)
		len += strlen(sv->v[i]) + 1;
	s = p = import_xalloc(len);
	for (size_t i = from; i < sv->n; i++) {
		size_t l = strlen(sv->v[i]);
		if (i > from)
			*p++ = ' ';
		memcpy(p, sv->v[i], l);
		p += l;
	}
	*p = '\0';
	return s;
}

void
import_note_add(struct import_notes *ns, const char *file, int line,
    const char *what, const char *fmt, ...)
{
	struct import_note *n;
	va_list ap;

	ns->v = grow(ns->v, ns->n, sizeof(*ns->v));
	n = &ns->v[ns->n++];
	n->file = import_xstrdup(file);
	n->line = line;
	n->what = import_xstrdup(what);
	va_start(ap, fmt);
	n->why = import_xvprintf(fmt, ap);
	va_end(ap);
}

void
import_notes_free(struct import_notes *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].file);
		free(ns->v[i].what);
		free(ns->v[i].why);
	}
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

struct import_service *
import_service_add(struct import_result *r, const char *file, int line)
{
	struct import_service *s;

	r->svc = grow(r->svc, r->nsvc, sizeof(*r->svc));
	s = &r->svc[r->nsvc++];
	memset(s, 0, sizeof(*s));
	s->file = import_xstrdup(file);
	s->line = line;
	s->address = import_xstrdup("*");
	s->protocol = PROTO_TCP;
	s->limits.cpu = s->limits.memory = s->limits.files = -1;
	s->max_per_source = -1;
	s->enabled = true;
	return s;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? import_xstrdup(s) : NULL;
}

static void
notes_copy(struct import_notes *dst, const struct import_notes *src)
{
	for (size_t i = 0; i < src->n; i++)
		import_note_add(dst, src->v[i].file, src->v[i].line, src->v[i].what,
		    "%s", src->v[i].why);
}

struct import_service *
import_service_clone(struct import_result *r, size_t index)
{
	struct import_service *s, *o;

	s = import_service_add(r, r->svc[index].file, r->svc[index].line);
	o = &r->svc[index];	/* after the add: the array may have moved */
	free(s->file);
	free(s->address);
	*s = *o;
	s->file = dup_or_null(o->file);
	s->origin = dup_or_null(o->origin);
	s->name = dup_or_null(o->name);
	s->address = dup_or_null(o->address);
	s->handler = dup_or_null(o->handler);
	s->quotes = dup_or_null(o->quotes);
	s->to = dup_or_null(o->to);
	for (size_t i = 0; i < 3; i++)
		s->banner[i] = dup_or_null(o->banner[i]);
	s->user = dup_or_null(o->user);
	s->group = dup_or_null(o->group);
	s->interface = dup_or_null(o->interface);
	s->tcp_wrappers = dup_or_null(o->tcp_wrappers);
	s->unservable = dup_or_null(o->unservable);
	memset(&s->command, 0, sizeof(s->command));
	memset(&s->env, 0, sizeof(s->env));
	memset(&s->passenv, 0, sizeof(s->passenv));
	memset(&s->allow, 0, sizeof(s->allow));
	memset(&s->deny, 0, sizeof(s->deny));
	memset(&s->notes, 0, sizeof(s->notes));
	memset(&s->remarks, 0, sizeof(s->remarks));
	import_strv_copy(&s->command, &o->command);
	import_strv_copy(&s->env, &o->env);
	import_strv_copy(&s->passenv, &o->passenv);
	import_strv_copy(&s->allow, &o->allow);
	import_strv_copy(&s->deny, &o->deny);
	notes_copy(&s->notes, &o->notes);
	notes_copy(&s->remarks, &o->remarks);
	return s;
}

void
import_service_unservable(struct import_service *s, const char *fmt, ...)
{
	va_list ap;

	if (s->unservable != NULL)
		return;
	va_start(ap, fmt);
	s->unservable = import_xvprintf(fmt, ap);
	va_end(ap);
}

static void
service_free(struct import_service *s)
{
	free(s->file);
	free(s->origin);
	free(s->name);
	free(s->address);
	free(s->handler);
	free(s->quotes);
	free(s->to);
	for (size_t i = 0; i < 3; i++)
		free(s->banner[i]);
	free(s->user);
	free(s->group);
	free(s->interface);
	free(s->tcp_wrappers);
	free(s->umask);
	free(s->unservable);
	import_strv_clear(&s->command);
	import_strv_clear(&s->env);
	import_strv_clear(&s->passenv);
	import_strv_clear(&s->allow);
	import_strv_clear(&s->deny);
	import_notes_free(&s->notes);
	import_notes_free(&s->remarks);
}

void
import_result_free(struct import_result *r)
{
	for (size_t i = 0; i < r->nsvc; i++)
		service_free(&r->svc[i]);
	free(r->svc);
	free(r->path);
	free(r->dest);
	free(r->log_target);
	free(r->log_facility);
	import_notes_free(&r->notes);
	import_notes_free(&r->remarks);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	memset(r, 0, sizeof(*r));
}

int
import_file_add(struct import_result *r, const char *path, int parent, int line,
    const struct stat *sb)
{
	struct import_file *f;

	r->files = grow(r->files, r->nfiles, sizeof(*r->files));
	f = &r->files[r->nfiles];
	f->path = import_xstrdup(path);
	f->parent = parent;
	f->line = line;
	f->known = sb != NULL;
	f->dev = sb != NULL ? sb->st_dev : 0;
	f->ino = sb != NULL ? sb->st_ino : 0;
	f->dropin = false;
	return (int)r->nfiles++;
}

int
import_service_dropin(const struct import_result *r, const struct import_service *s)
{
	int f = -1;

	/* the last one read of that name: a file read twice is the later one's */
	for (size_t i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i].path, s->file) == 0)
			f = (int)i;
	for (; f >= 0; f = r->files[f].parent)
		if (r->files[f].dropin)
			return f;
	return -1;
}

size_t
import_file_key(const struct import_result *r, const char *file, int line, int *key)
{
	int rev[IMPORT_KEY_MAX];
	size_t n = 0, k = 0;
	int f = (int)r->nfiles;	/* a file not recorded: after all the others */

	for (size_t i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i].path, file) == 0) {
			f = (int)i;
			break;
		}
	rev[n++] = line;
	rev[n++] = f;
	while (f < (int)r->nfiles && r->files[f].parent >= 0 && n + 2 <= IMPORT_KEY_MAX) {
		rev[n++] = r->files[f].line;
		rev[n++] = r->files[f].parent;
		f = r->files[f].parent;
	}
	while (n > 0)
		key[k++] = rev[--n];
	return k;
}

bool
import_result_lost(const struct import_result *r)
{
	if (r->notes.n > 0)
		return true;
	for (size_t i = 0; i < r->nsvc; i++)
		if (r->svc[i].notes.n > 0 || r->svc[i].unservable != NULL)
			return true;
	return false;
}
