/* --import: inetd.conf (openbsd-inetd, the BSDs' and netkit's inetd). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "import_addr.h"
#include "import_inetd.h"
#include "import_map.h"

/*
 * openbsd-inetd's TOOMANY: the programs it starts a minute for a service
 * without ".max" (beyond, it stops the service for ten minutes). It caps
 * no children running at once; "nowait" is read as "nowait.256", and .max
 * as a cap on those running at once, which one-minute sessions never reach.
 */
#define INETD_TOOMANY 256

/*
 * The fields of one line, split on blanks, in a copy: every one of them,
 * however many (a server's arguments are all carried over, never cut).
 */
struct fields {
	char *buf;
	char **v;
	size_t n;
};

static void
split_fields(const char *line, struct fields *f)
{
	char *save = NULL;
	size_t cap = 16;

	f->buf = import_xstrdup(line);
	f->v = import_xalloc(cap * sizeof(*f->v));
	f->n = 0;
	for (char *t = strtok_r(f->buf, " \t\r", &save); t != NULL; t = strtok_r(NULL, " \t\r", &save)) {
		if (f->n == cap) {
			cap *= 2;
			f->v = import_xrealloc(f->v, cap * sizeof(*f->v));
		}
		f->v[f->n++] = t;
	}
}

static void
fields_free(struct fields *f)
{
	free(f->buf);
	free(f->v);
}

static bool
is_socket_type(const char *s)
{
	return strcmp(s, "stream") == 0 || strcmp(s, "dgram") == 0 || strcmp(s, "raw") == 0 ||
	    strcmp(s, "rdm") == 0 || strcmp(s, "seqpacket") == 0;
}

bool
import_inetd_is_entry(const char *line)
{
	struct fields f;
	bool yes;

	split_fields(line, &f);
	if (f.n == 1)
		yes = f.buf[strlen(f.buf) - 1] == ':' && f.v[0][0] != '#';
	else
		yes = f.n >= 6 && is_socket_type(f.v[1]) &&
		    (strncmp(f.v[3], "wait", 4) == 0 || strncmp(f.v[3], "nowait", 6) == 0);
	fields_free(&f);
	return yes;
}

/*
 * "[hosts:]service": the hosts before the last colon that is not inside
 * brackets (a bare IPv6 address needs them, "[::1]:echo"), else the
 * default from the last "hosts:" line.
 */
static void
split_host_service(const char *field, const char *default_hosts, char **hosts, char **service)
{
	const char *colon = NULL;
	int depth = 0;

	for (const char *p = field; *p != '\0'; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == ':' && depth == 0)
			colon = p;
	}
	if (colon == NULL) {
		*hosts = import_xstrdup(default_hosts);
		*service = import_xstrdup(field);
		return;
	}
	*hosts = import_xstrdup(field);
	(*hosts)[colon - field] = '\0';
	*service = import_xstrdup(colon + 1);
}

/* protocol[,sndbuf=N][,rcvbuf=N]: the family it pins (0: both), options noted. */
static int
parse_protocol(struct import_service *s, const char *field, int socktype, const char *path, int line)
{
	char *copy = import_xstrdup(field), *save = NULL;
	char *proto = strtok_r(copy, ",", &save);
	const char *version;	/* what follows "tcp" or "udp" */
	int family = 0;

	if (proto == NULL || strncmp(proto, "rpc/", 4) == 0 || strcmp(proto, "unix") == 0) {
		import_service_unservable(s, "protocol \"%s\": netsrvd serves TCP and UDP on IP "
		    "(no RPC, no UNIX-domain sockets)", field);
		free(copy);
		return 0;
	}
	if (strncmp(proto, "tcp", 3) == 0 && socktype == SOCK_STREAM)
		s->protocol = PROTO_TCP;
	else if (strncmp(proto, "udp", 3) == 0 && socktype == SOCK_DGRAM)
		s->protocol = PROTO_UDP;
	else
		import_service_unservable(s, "protocol \"%s\" with socket type %s", proto,
		    socktype == SOCK_STREAM ? "stream" : "dgram");
	/* "ud" is shorter than the name it is not */
	version = strlen(proto) >= 3 ? proto + 3 : "";
	if (strcmp(version, "4") == 0)
		family = AF_INET;
	else if (strcmp(version, "6") == 0)
		family = AF_INET6;
	else if (version[0] != '\0' && strcmp(version, "46") != 0)
		import_service_unservable(s, "unknown protocol \"%s\"", proto);
	for (char *opt = strtok_r(NULL, ",", &save); opt != NULL; opt = strtok_r(NULL, ",", &save)) {
		char *what = import_xprintf("protocol \"%s\"", field);
		import_note_add(&s->notes, path, line, what,
		    "netsrvd does not size socket buffers (%s)", opt);
		free(what);
	}
	free(copy);
	return family;
}

/* A port number stays a number; a name is looked up in /etc/services. */
static void
resolve_port(struct import_service *s, const struct import_host *h, const char *service)
{
	const char *proto = s->protocol == PROTO_TCP ? "tcp" : "udp";
	char *end;
	long port;

	if (strncmp(service, "tcpmux/", 7) == 0) {
		/* inetutils' tcpmux/NAME and tcpmux/+NAME (RFC 1078) */
		import_service_unservable(s, "\"%s\" is a tcpmux service: netsrvd has no tcpmux (RFC 1078)",
		    service);
		return;
	}
	if (strchr(service, '/') != NULL) {
		import_service_unservable(s, "\"%s\" is an RPC service: netsrvd has no portmapper", service);
		return;
	}
	port = strtol(service, &end, 10);
	if (*end != '\0' || end == service)
		port = h->service_port(service, proto);
	else if (port < 1 || port > 65535)
		port = -1;
	if (port < 1 || port > 65535)
		import_service_unservable(s, "service \"%s\" has no %s port in /etc/services", service, proto);
	else
		s->port = (int)port;
}

/*
 * wait|nowait, then openbsd's ".max" (its rate per minute, taken as the
 * worker cap) or FreeBSD's "/max-child[/max-per-minute[/max-child-per-ip]]".
 */
static bool
parse_wait(struct import_service *s, const char *field, const struct import_at *at,
    long *max, long *per_ip)
{
	const char *rest = field;
	bool wait;
	char *end;

	*max = *per_ip = -1;
	wait = strncmp(field, "wait", 4) == 0;
	if (!wait && strncmp(field, "nowait", 6) != 0) {
		/* inetd refuses the line; a field shorter than "nowait" must not be read past its end */
		import_service_unservable(s, "the wait/nowait field \"%s\" is neither", field);
		return false;
	}
	rest += wait ? 4 : 6;
	if (*rest == '.' || *rest == '/') {
		*max = strtol(rest + 1, &end, 10);
		rest = end;
	}
	if (*rest == '/') {
		long rate = strtol(rest + 1, &end, 10);
		if (rate > 0)
			import_note_add(&s->notes, at->file, at->line, at->what,
			    "netsrvd has no limit on connections per minute from one address (%ld)", rate);
		rest = end;
	}
	if (*rest == '/') {
		*per_ip = strtol(rest + 1, &end, 10);
		rest = end;
	}
	if (*rest != '\0')
		import_note_add(&s->notes, at->file, at->line, at->what, "not understood: \"%s\"", rest);
	return wait;
}

/* user[:group] or user[.group] (and FreeBSD's /login-class, which netsrvd has not) */
static void
split_user(struct import_service *s, const char *field, const struct import_at *at,
    char **user, char **group)
{
	char *slash, *sep;

	*user = import_xstrdup(field);
	*group = NULL;
	if ((slash = strchr(*user, '/')) != NULL) {
		import_note_add(&s->notes, at->file, at->line, at->what,
		    "netsrvd has no login classes (%s)", slash + 1);
		*slash = '\0';
	}
	sep = strchr(*user, ':');
	if (sep == NULL)
		sep = strchr(*user, '.');
	if (sep != NULL) {
		*sep = '\0';
		*group = import_xstrdup(sep + 1);
	}
}

/* One copy of the service per address of "a,b:service"; each bound and narrowed. */
static void
bind_hosts(struct import_result *r, const struct import_host *h, size_t index,
    const char *hosts, int family, const struct import_at *at)
{
	char *copy = import_xstrdup(hosts[0] != '\0' ? hosts : "*"), *save = NULL;
	size_t k = 0;

	for (char *host = strtok_r(copy, ",", &save); host != NULL; host = strtok_r(NULL, ",", &save), k++) {
		size_t i = k == 0 ? index : (size_t)(import_service_clone(r, index) - r->svc);
		import_addr_bind(&r->svc[i], h, host, at);
		if (family != 0)
			import_addr_family(&r->svc[i], family, at);
	}
	free(copy);
}

static void
parse_entry(struct import_result *r, const struct import_host *h, const char *path, int line,
    struct fields *f, bool off, const char *default_hosts, const char *text)
{
	struct import_at at = import_at_make(path, line, NULL);
	size_t index = r->nsvc;
	struct import_service *s = import_service_add(r, path, line);
	struct import_strv argv = { .v = f->v + 6, .n = f->n - 6 };
	char *hosts, *service, *user, *group, *what;
	long max, per_ip;
	int socktype, family;
	bool wait;

	s->origin = import_xstrdup(text);
	s->enabled = !off;
	split_host_service(f->v[0], default_hosts, &hosts, &service);
	s->name = import_xstrdup(service);
	socktype = strcmp(f->v[1], "stream") == 0 ? SOCK_STREAM :
	    strcmp(f->v[1], "dgram") == 0 ? SOCK_DGRAM : 0;
	if (socktype == 0)
		import_service_unservable(s, "socket type \"%s\": netsrvd serves stream (TCP) and "
		    "dgram (UDP)", f->v[1]);
	family = parse_protocol(s, f->v[2], socktype, path, line);
	resolve_port(s, h, service);
	at.what = what = import_xprintf("wait/nowait \"%s\"", f->v[3]);
	wait = parse_wait(s, f->v[3], &at, &max, &per_ip);
	if (strcmp(f->v[5], "internal") == 0)
		import_map_internal(s, service, &at);
	else {
		at.what = "server program arguments";
		import_map_program(s, h, f->v[5], &argv, true, &at);
	}
	at.what = what;
	import_map_wait(s, wait, &at);
	if (max >= 0)
		import_map_instances(s, max, &at);
	if (per_ip >= 0)
		import_map_per_source(s, per_ip, &at);
	import_map_default_caps(s, INETD_TOOMANY);
	free(what);
	at.what = what = import_xprintf("user \"%s\"", f->v[4]);
	split_user(s, f->v[4], &at, &user, &group);
	import_map_credentials(s, h, user, group, &at);
	/* openbsd-inetd calls initgroups() for every program it starts as a user */
	s->groups = s->user != NULL;
	free(what);
	at.what = "address";
	bind_hosts(r, h, index, hosts, family, &at);
	free(hosts);
	free(service);
	free(user);
	free(group);
}

/* A line as read: "#<off>#" entries are disabled ones, other comments are skipped. */
static void
parse_line(struct import_result *r, const struct import_host *h, const char *path, int line,
    const char *text, char **default_hosts)
{
	bool off = strncmp(text, IMPORT_INETD_OFF, strlen(IMPORT_INETD_OFF)) == 0;
	const char *body = off ? text + strlen(IMPORT_INETD_OFF) : text;
	struct fields f;

	while (*body == ' ' || *body == '\t')
		body++;
	if (*body == '\0' || *body == '#')
		return;
	split_fields(body, &f);
	if (f.n == 0)
		;	/* a line of blanks and a CR */
	else if (f.n == 1 && f.v[0][strlen(f.v[0]) - 1] == ':' && !off) {
		f.v[0][strlen(f.v[0]) - 1] = '\0';
		import_set(default_hosts, f.v[0]);
	} else if (f.n >= 6)
		parse_entry(r, h, path, line, &f, off, *default_hosts, text);
	else if (!off)
		import_note_add(&r->notes, path, line, text,
		    "not an inetd.conf entry (%zu fields; 6 or more expected)", f.n);
	fields_free(&f);
}

void
import_inetd_parse(struct import_result *r, const struct import_host *h,
    const char *path, const char *text)
{
	char *copy = import_xstrdup(text), *default_hosts = import_xstrdup("*");
	char *p = copy;
	int line = 0;

	r->format = "inetd";
	import_file_add(r, path, -1, 0, NULL);
	/* strtok would merge empty lines and shift the numbering: split by hand */
	while (p != NULL) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		line++;
		parse_line(r, h, path, line, p, &default_hosts);
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(default_hosts);
	free(copy);
}
