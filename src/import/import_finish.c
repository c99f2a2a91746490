/* --import: the checks only the whole list of services allows, after either parser. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_finish.h"
#include "import_map.h"

/* netsrv.conf's rule for a name: 1-32 of A-Z a-z 0-9 . _ - */
#define NAME_MAX_LEN 32

static void
sanitize_name(struct import_service *s)
{
	char *n = s->name != NULL ? s->name : import_xstrdup("service");

	for (char *c = n; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			*c = '-';
	if (strlen(n) > NAME_MAX_LEN)
		n[NAME_MAX_LEN] = '\0';
	if (n[0] == '\0')
		import_set(&n, "service");
	s->name = n;
}

static const struct import_service *
named(const struct import_result *r, size_t before, const char *name)
{
	for (size_t i = 0; i < before; i++)
		if (strcmp(r->svc[i].name, name) == 0)
			return &r->svc[i];
	return NULL;
}

/* "name-udp" for inetd's and xinetd's second line of a name, then "name-2", "name-3"... */
static void
unique_name(struct import_result *r, size_t i)
{
	struct import_service *s = &r->svc[i];
	const struct import_service *first = named(r, i, s->name);
	char *want;

	if (first == NULL)
		return;
	want = import_xprintf("%.*s-%s", NAME_MAX_LEN - 4, s->name, s->protocol == PROTO_TCP ? "tcp" : "udp");
	for (int k = 2; named(r, i, want) != NULL; k++) {
		free(want);
		want = import_xprintf("%.*s-%d", NAME_MAX_LEN - 6, s->name, k);
	}
	import_note_add(&s->remarks, s->file, s->line, "name", "\"%s\" is also the service at %s:%d: "
	    "this one is \"%s\"", s->name, first->file, first->line, want);
	free(s->name);
	s->name = want;
}

static bool
addresses_overlap(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	int fa, fb;

	if (strcmp(a, "*") == 0 || strcmp(b, "*") == 0)
		return true;
	fa = inet_pton(AF_INET, a, x) == 1 ? AF_INET : inet_pton(AF_INET6, a, x) == 1 ? AF_INET6 : 0;
	fb = inet_pton(AF_INET, b, y) == 1 ? AF_INET : inet_pton(AF_INET6, b, y) == 1 ? AF_INET6 : 0;
	if (fa == 0 || fa != fb)
		return false;
	if (fa == AF_INET)
		return memcmp(x, y, 4) == 0 || memcmp(x, "\0\0\0\0", 4) == 0 || memcmp(y, "\0\0\0\0", 4) == 0;
	return memcmp(x, y, 16) == 0 || memcmp(x, &in6addr_any, 16) == 0 ||
	    memcmp(y, &in6addr_any, 16) == 0;
}

/* netsrvd refuses two enabled services that could receive each other's packets. */
static void
disable_overlaps(struct import_result *r, size_t i)
{
	struct import_service *s = &r->svc[i];

	if (!s->enabled || s->unservable != NULL)
		return;
	for (size_t j = 0; j < i; j++) {
		const struct import_service *o = &r->svc[j];
		char *what;
		if (!o->enabled || o->unservable != NULL || o->protocol != s->protocol ||
		    o->port != s->port || !addresses_overlap(o->address, s->address))
			continue;
		what = import_xprintf("%s %s port %d", s->protocol == PROTO_TCP ? "tcp" : "udp",
		    s->address, s->port);
		import_note_add(&s->notes, s->file, s->line, what, "also service \"%s\" (%s:%d), "
		    "which keeps it: this one is disabled", o->name, o->file, o->line);
		free(what);
		s->enabled = false;
		return;
	}
}

/* What `netsrvd -t` will check of an exec service on this machine: its program. */
static void
check_program(struct import_service *s, const struct import_host *h)
{
	int e;

	if (s->unservable != NULL || s->handler == NULL || strcmp(s->handler, "exec") != 0 ||
	    s->command.n == 0)
		return;
	e = h->program_usable(s->command.v[0], s->user, s->group);
	if (e != 0)
		import_service_unservable(s, "program %s: %s%s%s", s->command.v[0], strerror(e),
		    e == EACCES && s->user != NULL ? " for user " : "", e == EACCES && s->user != NULL ? s->user : "");
}

/* The checks only the whole list allows: names, overlaps, programs, pool floors. */
void
import_finish(struct import_result *r, const struct import_host *h)
{
	int workers = import_schema_default("workers");

	for (size_t i = 0; i < r->nsvc; i++) {
		struct import_service *s = &r->svc[i];
		check_program(s, h);
		sanitize_name(s);
		unique_name(r, i);
		disable_overlaps(r, i);
		/* a cap below the default pool: the pool starts at the cap */
		if (s->max_workers > 0 && s->max_workers < workers)
			s->workers = s->max_workers;
	}
}
