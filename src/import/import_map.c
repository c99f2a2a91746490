/* --import: the translation rules inetd and xinetd share (programs, internals, wait, caps, nice, umask). */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "handler.h"
#include "import_map.h"

static const struct config_key *
schema_key(const char *key, enum config_scope scope)
{
	const struct config_key *k = config_schema_find(key, scope);

	if (k == NULL) {
		fprintf(stderr, "netsrvd: --import: the schema has no %s key %s\n",
		    config_scope_name(scope), key);
		exit(1);
	}
	return k;
}

int
import_schema_max(const char *key)
{
	return (int)schema_key(key, SCOPE_SERVICE)->max;
}

int
import_schema_default(const char *key)
{
	const struct config_key *k = schema_key(key, SCOPE_GLOBAL);

	return k->def != NULL ? (int)strtol(k->def, NULL, 10) : 0;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* The handlers an internal service may become, as the table says: "echo, discard, ...". */
static char *
internal_names(void)
{
	char *names = import_xstrdup("");

	for (size_t i = 0; i < handler_count(); i++) {
		const struct handler *h = handler_at(i);
		char *more;
		if (!handler_is_internal(h))
			continue;
		more = import_xprintf("%s%s%s", names, names[0] != '\0' ? ", " : "", h->name);
		free(names);
		names = more;
	}
	return names;
}

void
import_map_internal(struct import_service *s, const char *name, const struct import_at *at)
{
	char *names;

	(void)at;
	if (handler_is_internal(handler_find(name))) {
		import_set(&s->handler, name);
		return;
	}
	names = internal_names();
	import_service_unservable(s, "internal service \"%s\": netsrvd has no such handler "
	    "(it has %s)", name, names);
	free(names);
}

/* fortune reading one file of %-separated quotes is what netsrvd's qotd serves. */
static bool
fortune_as_qotd(struct import_service *s, const struct import_host *h,
    const char *program, const struct import_strv *args, size_t first)
{
	if (strcmp(base_name(program), "fortune") != 0 || args->n != first + 1)
		return false;
	if (args->v[first][0] != '/' || !h->quotes_ok(args->v[first]))
		return false;
	import_set(&s->handler, "qotd");
	import_set(&s->quotes, args->v[first]);
	return true;
}

/*
 * argv[0] as inetd passes it: netsrvd passes the path as written, so a
 * name that is the program's own (basename or path) is dropped, and any
 * other (busybox applets, rsync's "rsyncd") is lost.
 */
static size_t
drop_argv0(struct import_service *s, const char *program, const struct import_strv *argv,
    const struct import_at *at)
{
	if (argv->n == 0)
		return 0;
	if (strcmp(argv->v[0], program) != 0 && strcmp(argv->v[0], base_name(program)) != 0) {
		char *what = import_xprintf("argv[0] \"%s\"", argv->v[0]);
		import_note_add(&s->notes, at->file, at->line, what,
		    "netsrvd starts %s with its path as argv[0]", program);
		free(what);
	}
	return 1;
}

void
import_map_program(struct import_service *s, const struct import_host *h,
    const char *program, const struct import_strv *argv, bool has_argv0,
    const struct import_at *at)
{
	char *real = NULL;
	size_t first = 0;

	import_set(&s->handler, "exec");
	if (has_argv0 && strcmp(base_name(program), "tcpd") == 0 && argv->n > 0) {
		/* tcpd runs its argv[0] (a path, or a name in its daemon directory) as argv[0] */
		real = argv->v[0][0] == '/' ? import_xstrdup(argv->v[0]) :
		    import_xprintf("%s/%s", IMPORT_TCPD_DIR, argv->v[0]);
		/* and asks the tables for the daemon by argv[0]'s base name (tcpd.c) */
		char *what = import_xprintf("server %s", program);
		struct import_at tcpd = import_at_make(at->file, at->line, what);
		import_map_tcp_wrappers(s, base_name(argv->v[0]), &tcpd);
		free(what);
		program = real;
	}
	if (has_argv0)
		first = drop_argv0(s, program, argv, at);
	if (program[0] != '/')
		import_service_unservable(s, "program \"%s\" is not an absolute path", program);
	else if (!fortune_as_qotd(s, h, program, argv, first)) {
		import_strv_clear(&s->command);
		import_strv_add(&s->command, program);
		for (size_t i = first; i < argv->n; i++)
			import_strv_add(&s->command, argv->v[i]);
	}
	if (s->tcp_wrappers != NULL && strcmp(s->handler, "exec") != 0) {
		/* a fortune made qotd: a built-in handler, under the filter */
		import_note_add(&s->notes, at->file, at->line, "server tcpd",
		    "/etc/hosts.allow and /etc/hosts.deny are not consulted for %s (tcp_wrappers "
		    "on a built-in handler needs seccomp = false)", s->tcp_wrappers);
		free(s->tcp_wrappers);
		s->tcp_wrappers = NULL;
	}
	free(real);
}

void
import_map_tcp_wrappers(struct import_service *s, const char *daemon, const struct import_at *at)
{
	const char *lost = NULL;

#ifndef HAVE_LIBWRAP
	lost = "this netsrvd was built without libwrap (tcp_wrappers)";
#endif
	if (s->protocol == PROTO_UDP)
		lost = "tcp_wrappers checks TCP clients only";
	else if (s->handler == NULL || strcmp(s->handler, "exec") != 0)
		lost = "tcp_wrappers on a built-in handler needs seccomp = false";
	if (lost != NULL) {
		import_note_add(&s->notes, at->file, at->line, at->what,
		    "/etc/hosts.allow and /etc/hosts.deny are not consulted for %s (%s): "
		    "name the clients in allow and deny", daemon, lost);
		return;
	}
	if (s->tcp_wrappers != NULL && strcmp(s->tcp_wrappers, daemon) != 0)
		import_note_add(&s->notes, at->file, at->line, at->what,
		    "the tables are consulted for %s only, not for %s too", s->tcp_wrappers, daemon);
	else
		import_set(&s->tcp_wrappers, daemon);
}

void
import_map_wait(struct import_service *s, bool wait, const struct import_at *at)
{
	if (s->handler == NULL || strcmp(s->handler, "exec") != 0)
		return;	/* a built-in handler: wait has no meaning there */
	if (s->protocol == PROTO_TCP) {
		s->wait = wait;	/* the program gets the listener (inetd's tcp wait) */
		return;
	}
	if (!wait)
		import_note_add(&s->notes, at->file, at->line, at->what,
		    "netsrvd runs one program at a time on a UDP socket (wait = true)");
	s->wait = true;
}

void
import_map_instances(struct import_service *s, long n, const struct import_at *at)
{
	/* a wait program runs alone; built-in UDP handlers never forked per datagram */
	if (s->protocol == PROTO_UDP || s->wait)
		return;
	if (n < 1) {
		import_note_add(&s->notes, at->file, at->line, at->what,
		    "a service needs at least one worker");
		n = 1;
	}
	if (n > import_schema_max("max_workers")) {
		n = import_schema_max("max_workers");
		import_note_add(&s->notes, at->file, at->line, at->what, "max_workers is at most %ld", n);
	}
	s->max_workers = (int)n;
}

void
import_map_per_source(struct import_service *s, long n, const struct import_at *at)
{
	if (s->wait && s->protocol == PROTO_TCP) {
		if (n > 0)
			import_note_add(&s->notes, at->file, at->line, at->what,
			    "a wait program accepts its own connections, unseen by netsrvd");
		return;
	}
	if (n < 0)
		n = 0;
	if (n > import_schema_max("max_per_source")) {
		n = import_schema_max("max_per_source");
		import_note_add(&s->notes, at->file, at->line, at->what, "max_per_source is at most %ld", n);
	}
	s->max_per_source = (int)n;
}

void
import_map_connection_rate(struct import_service *s, long n, const struct import_at *at)
{
	if (s->wait) {
		import_note_add(&s->notes, at->file, at->line, at->what,
		    "a wait program accepts its own connections, unseen by netsrvd");
		return;
	}
	if (n > import_schema_max("connection_rate")) {
		n = import_schema_max("connection_rate");
		import_note_add(&s->notes, at->file, at->line, at->what, "connection_rate is at most %ld", n);
	}
	s->connection_rate = (int)n;
}

void
import_map_default_caps(struct import_service *s, int max_workers)
{
	if (s->protocol != PROTO_TCP || s->wait)
		return;	/* one program (wait), or a built-in handler, serves the socket */
	if (s->max_workers == 0)
		s->max_workers = max_workers;
	if (s->max_per_source < 0)
		s->max_per_source = 0;
}

void
import_map_nice(struct import_service *s, const char *text, const struct import_at *at)
{
	const struct config_key *k = config_key_find("nice", SCOPE_SERVICE);
	char *end;
	long n;

	/* a program's, or a built-in worker's own: both are netsrvd's nice */
	errno = 0;
	n = strtol(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0)
		import_note_add(&s->notes, at->file, at->line, at->what, "not a number");
	else if (k == NULL || n < k->min || n > k->max)
		import_note_add(&s->notes, at->file, at->line, at->what, "netsrvd's nice is %lld to %lld",
		    k != NULL ? k->min : 0, k != NULL ? k->max : 0);
	else {
		s->nice = (int)n;
		s->nice_set = true;
	}
}

void
import_map_umask(struct import_service *s, const char *text, const struct import_at *at)
{
	size_t n = strlen(text);
	unsigned long mode;

	if (n == 0 || n > 4 || strspn(text, "01234567") != n || (mode = strtoul(text, NULL, 8)) > 0777) {
		import_note_add(&s->notes, at->file, at->line, at->what, "not an octal mode 0000 to 0777");
		return;
	}
	free(s->umask);
	s->umask = import_xprintf("%04lo", mode);
}

void
import_map_credentials(struct import_service *s, const struct import_host *h,
    const char *user, const char *group, const struct import_at *at)
{
	(void)at;
	if (s->handler == NULL || strcmp(s->handler, "exec") != 0)
		return;	/* built-in handlers run in netsrvd's workers, as its user */
	if (user != NULL) {
		if (!h->user_exists(user))
			import_service_unservable(s, "user \"%s\" does not exist on this machine", user);
		import_set(&s->user, user);
	}
	if (group != NULL) {
		if (!h->group_exists(group))
			import_service_unservable(s, "group \"%s\" does not exist on this machine", group);
		import_set(&s->group, group);
	}
}

bool
import_map_key_known(const struct import_host *h, const char *key)
{
	return h->key_known != NULL && h->key_known(key);
}

/*
 * xinetd relays each connection to host port itself, in place of any
 * server; so does netsrvd's redirect. A name stays a name: netsrvd
 * resolves it at each load, as xinetd did at its start.
 */
void
import_map_redirect(struct import_service *s, const struct import_host *h,
    const struct import_strv *value, const struct import_at *at)
{
	const char *host, *port;
	char *end;
	long n;

	(void)at;
	if (s->protocol != PROTO_TCP) {
		import_service_unservable(s, "redirect: TCP only");
		return;
	}
	if (value->n != 2) {
		import_service_unservable(s, "redirect: not a host and a port");
		return;
	}
	host = value->v[0];
	port = value->v[1];
	n = strtol(port, &end, 10);
	if (*end != '\0' || end == port)
		n = h->service_port(port, "tcp");
	if (n < 1 || n > 65535) {
		import_service_unservable(s, "redirect: no port \"%s\"", port);
		return;
	}
	import_set(&s->handler, "redirect");
	free(s->to);
	s->to = strchr(host, ':') != NULL ? import_xprintf("[%s]:%ld", host, n) :
	    import_xprintf("%s:%ld", host, n);
}
