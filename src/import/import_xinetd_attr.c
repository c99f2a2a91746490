/* --import: xinetd's attributes translated to netsrvd's keys, or noted as lost. */
#include "autoconfig.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "exec_spawn.h"
#include "import_addr.h"
#include "import_map.h"
#include "import_xinetd_entry.h"
#include "log.h"

/* The attributes xinetd takes once ("="); a second one it ignores. */
static const char *const single_attrs[] = {
	"id", "type", "flags", "disable", "socket_type", "protocol", "wait", "user", "group",
	"server", "server_args", "port", "bind", "interface", "instances", "per_source",
	"cps", "log_type", "rlimit_as", "rlimit_cpu", "rlimit_files", "rlimit_data",
	"rlimit_rss", "rlimit_stack", "v6only", "access_times", "banner", "banner_success",
	"banner_fail", "redirect", "max_load", "nice", "umask", "groups", "deny_time",
	"libwrap", "mdns", "rpc_version", "rpc_number",
};

/* The lists that take =, += and -= (env no -=). */
static const char *const list_attrs[] = {
	"only_from", "no_access", "passenv", "env", "log_on_success", "log_on_failure",
};

/* What netsrvd has no equivalent of, with the reason given in the note. */
static const struct {
	const char *name;
	const char *why;
} lost_attrs[] = {
	{ .name = "access_times", .why = "netsrvd serves at all hours: a cron job that sets enabled and reloads does it" },
	{ .name = "deny_time", .why = "netsrvd has no SENSOR blacklist" },
	{ .name = "mdns", .why = "netsrvd does not register services with mDNS" },
	{ .name = "rpc_version", .why = "netsrvd has no RPC services" },
	{ .name = "rpc_number", .why = "netsrvd has no RPC services" },
	{ .name = "rlimit_data", .why = "netsrvd sets the memory (address space), not the data size" },
	{ .name = "rlimit_rss", .why = "netsrvd sets the memory (address space), not the resident size" },
	{ .name = "rlimit_stack", .why = "netsrvd sets the memory (address space), not the stack size" },
};

/* An entry's attributes as xinetd resolves them: first single values, lists applied. */
struct view {
	const struct xinetd_entry *e;
	const struct xinetd_attr *single[sizeof(single_attrs) / sizeof(single_attrs[0])];
	struct import_strv only_from, no_access, passenv, env, log_success, log_failure;
	bool only_from_set, no_access_set;
	const struct xinetd_attr *only_from_at, *no_access_at;
};

static int
index_of(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

#define NSINGLE (sizeof(single_attrs) / sizeof(single_attrs[0]))
#define NLIST (sizeof(list_attrs) / sizeof(list_attrs[0]))

static const struct xinetd_attr *
single(const struct view *v, const char *name)
{
	int i = index_of(single_attrs, NSINGLE, name);

	return i >= 0 ? v->single[i] : NULL;
}

/* The first value of a single attribute, or NULL. */
static const char *
value(const struct view *v, const char *name)
{
	const struct xinetd_attr *a = single(v, name);

	return a != NULL && a->values.n > 0 ? a->values.v[0] : NULL;
}

static void
note_attr(struct import_service *s, const struct xinetd_attr *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
note_attr(struct import_service *s, const struct xinetd_attr *a, const char *fmt, ...)
{
	char *why;
	va_list ap;

	va_start(ap, fmt);
	why = import_xvprintf(fmt, ap);
	va_end(ap);
	import_note_add(&s->notes, a->file, a->line, a->text, "%s", why);
	free(why);
}

void
import_xinetd_apply_list(struct import_strv *list, const struct xinetd_attr *a)
{
	if (a->op == XOP_SET)
		import_strv_clear(list);
	for (size_t i = 0; i < a->values.n; i++) {
		if (a->op == XOP_DEL)
			import_strv_remove(list, a->values.v[i]);
		else if (!import_strv_has(list, a->values.v[i]))
			import_strv_add(list, a->values.v[i]);
	}
}

static struct import_strv *
view_list(struct view *v, const char *name)
{
	switch (index_of(list_attrs, NLIST, name)) {
	case 0: return &v->only_from;
	case 1: return &v->no_access;
	case 2: return &v->passenv;
	case 3: return &v->env;
	case 4: return &v->log_success;
	case 5: return &v->log_failure;
	default: return NULL;
	}
}

static void
view_init(struct view *v, const struct xinetd_entry *e, const struct xinetd_defaults *d)
{
	memset(v, 0, sizeof(*v));
	v->e = e;
	import_strv_copy(&v->only_from, &d->only_from);
	import_strv_copy(&v->no_access, &d->no_access);
	import_strv_copy(&v->passenv, &d->passenv);
	v->only_from_set = d->only_from_set;
	v->no_access_set = d->no_access_set;
	v->only_from_at = d->only_from_at;
	v->no_access_at = d->no_access_at;
}

/* Reads the entry's lines in order; what xinetd would ignore is a remark or a note. */
static void
view_build(struct view *v, struct import_service *s)
{
	for (size_t i = 0; i < v->e->nattr; i++) {
		const struct xinetd_attr *a = &v->e->attr[i];
		struct import_strv *list = view_list(v, a->name);
		int k = index_of(single_attrs, NSINGLE, a->name);

		if (list != NULL) {
			import_xinetd_apply_list(list, a);
			if (strcmp(a->name, "only_from") == 0)
				v->only_from_set = true, v->only_from_at = a;
			else if (strcmp(a->name, "no_access") == 0)
				v->no_access_set = true, v->no_access_at = a;
		} else if (k < 0)
			note_attr(s, a, "%s", "not an xinetd service attribute");
		else if (a->op != XOP_SET)
			import_note_add(&s->remarks, a->file, a->line, a->text,
			    "xinetd takes only \"=\" here and ignored the line");
		else if (v->single[k] != NULL)
			import_note_add(&s->remarks, a->file, a->line, a->text,
			    "set before on line %d: xinetd kept the first", v->single[k]->line);
		else
			v->single[k] = a;
	}
}

static void
view_free(struct view *v)
{
	import_strv_clear(&v->only_from);
	import_strv_clear(&v->no_access);
	import_strv_clear(&v->passenv);
	import_strv_clear(&v->env);
	import_strv_clear(&v->log_success);
	import_strv_clear(&v->log_failure);
}

static struct import_at
at_of(const struct xinetd_attr *a)
{
	return (struct import_at){ a->file, a->line, a->text };
}

/* "UNLIMITED" (-1) or a number within [0, max]; -2 when it is neither. */
static long long
parse_count(const char *text, long long max)
{
	char *end;
	long long n;

	if (strcasecmp(text, "UNLIMITED") == 0)
		return -1;
	n = strtoll(text, &end, 10);
	if (end == text || *end != '\0' || n < 0 || n > max)
		return -2;
	return n;
}

/* rlimit sizes: a number of bytes, K or M after it, or UNLIMITED (-1); -2 when neither. */
static long long
parse_size(const char *text)
{
	char *end;
	long long n, unit = 1;

	if (strcasecmp(text, "UNLIMITED") == 0)
		return -1;
	n = strtoll(text, &end, 10);
	if (end == text || n < 0)
		return -2;
	if (*end == 'K' || *end == 'k')
		unit = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		unit = 1024LL * 1024, end++;
	if (*end != '\0' || n > LLONG_MAX / unit)
		return -2;
	return n * unit;
}

static bool
has_flag(const struct view *v, const char *flag)
{
	const struct xinetd_attr *a = single(v, "flags");

	return a != NULL && import_strv_has(&a->values, flag);
}

/* disable, and the defaults' disabled and enabled lists of ids */
static void
translate_enabled(struct import_service *s, const struct view *v, const struct xinetd_defaults *d)
{
	const struct xinetd_attr *a = single(v, "disable");

	if (a != NULL && a->values.n == 1 && strcasecmp(a->values.v[0], "yes") == 0)
		s->enabled = false;
	else if (a != NULL && (a->values.n != 1 || strcasecmp(a->values.v[0], "no") != 0))
		note_attr(s, a, "%s", "neither yes nor no");
	if (import_strv_has(&d->disabled, s->name) || (d->enabled_set && !import_strv_has(&d->enabled, s->name)))
		s->enabled = false;
}

/* socket_type and protocol: tcp or udp, or the service cannot be served */
static void
translate_protocol(struct import_service *s, const struct view *v)
{
	const char *st = value(v, "socket_type"), *proto = value(v, "protocol");

	if (st == NULL) {
		import_service_unservable(s, "no socket_type");
		return;
	}
	if (strcmp(st, "stream") == 0)
		s->protocol = PROTO_TCP;
	else if (strcmp(st, "dgram") == 0)
		s->protocol = PROTO_UDP;
	else {
		import_service_unservable(s, "socket_type %s: netsrvd serves stream (TCP) and dgram (UDP)", st);
		return;
	}
	if (proto != NULL && strcmp(proto, s->protocol == PROTO_TCP ? "tcp" : "udp") != 0)
		import_service_unservable(s, "protocol %s with socket_type %s", proto, st);
}

static void
translate_port(struct import_service *s, const struct import_host *h, const struct view *v)
{
	const char *port = value(v, "port");
	const char *proto = s->protocol == PROTO_TCP ? "tcp" : "udp";
	long long n;

	if (port != NULL) {
		n = parse_count(port, 65535);
		if (n < 1)
			import_service_unservable(s, "port %s is not 1-65535", port);
		else
			s->port = (int)n;
		return;
	}
	n = h->service_port(v->e->name, proto);
	if (n < 1)
		import_service_unservable(s, "no port, and service \"%s\" has no %s port in /etc/services",
		    v->e->name, proto);
	else
		s->port = (int)n;
}

/* type: INTERNAL, or what netsrvd cannot serve (RPC, TCPMUX); true for INTERNAL */
static bool
translate_type(struct import_service *s, const struct view *v)
{
	const struct xinetd_attr *type = single(v, "type");
	bool internal = false;

	for (size_t i = 0; type != NULL && i < type->values.n; i++) {
		const char *t = type->values.v[i];
		if (strcmp(t, "INTERNAL") == 0)
			internal = true;
		else if (strcmp(t, "RPC") == 0)
			import_service_unservable(s, "type RPC: netsrvd has no portmapper");
		else if (strcmp(t, "TCPMUX") == 0 || strcmp(t, "TCPMUXPLUS") == 0)
			import_service_unservable(s, "type %s: netsrvd has no tcpmux (RFC 1078)", t);
		else if (strcmp(t, "UNLISTED") != 0)
			note_attr(s, type, "an unknown type: %s", t);
	}
	if (has_flag(v, "SENSOR"))
		import_service_unservable(s, "flags SENSOR: netsrvd has no SENSOR blacklist");
	return internal;
}

/* the internal service of the name, or server and server_args (NAMEINARGS); redirect */
static void
translate_program(struct import_service *s, const struct import_host *h, const struct view *v,
    bool internal)
{
	const struct xinetd_attr *server = single(v, "server"), *args = single(v, "server_args");
	struct import_strv none = { .v = NULL, .n = 0 };
	struct import_at at = import_at_make(v->e->file, v->e->line, "service");

	const struct xinetd_attr *redirect = single(v, "redirect");

	if (internal) {
		import_map_internal(s, v->e->name, &at);
		return;
	}
	/* xinetd relays itself and runs no server: its server, if any, is never started */
	if (redirect != NULL) {
		at = at_of(redirect);
		import_map_redirect(s, h, &redirect->values, &at);
		if (server != NULL && s->unservable == NULL)
			note_attr(s, server, "%s", "unused: xinetd's redirect runs no server either");
		return;
	}
	if (server == NULL || server->values.n == 0) {
		import_service_unservable(s, "no server and not INTERNAL");
		return;
	}
	at = at_of(args != NULL ? args : server);
	import_map_program(s, h, server->values.v[0], args != NULL ? &args->values : &none,
	    has_flag(v, "NAMEINARGS"), &at);
}

static void
translate_wait(struct import_service *s, const struct view *v)
{
	const struct xinetd_attr *a = single(v, "wait");
	struct import_at at = import_at_make(v->e->file, v->e->line, "wait (none)");
	bool wait = s->protocol == PROTO_UDP;	/* what each protocol's programs expect */

	if (a != NULL && a->values.n == 1 && (strcasecmp(a->values.v[0], "yes") == 0 ||
	    strcasecmp(a->values.v[0], "no") == 0)) {
		wait = strcasecmp(a->values.v[0], "yes") == 0;
		at = at_of(a);
	} else if (a != NULL)
		note_attr(s, a, "%s", "neither yes nor no");
	import_map_wait(s, wait, &at);
}

/* A single attribute of the service, else the defaults' one. */
static const struct xinetd_attr *
or_default(const struct view *v, const char *name, const struct xinetd_attr *def)
{
	const struct xinetd_attr *a = single(v, name);

	return a != NULL ? a : def;
}

/*
 * cps = N WAIT: xinetd switches the service off for WAIT seconds once N
 * connections came within a second; connection_rate = N refuses the ones
 * over N a second and goes on serving, which is what cps was for.
 */
static void
translate_cps(struct import_service *s, const struct xinetd_attr *cps)
{
	struct import_at at = at_of(cps);
	long long n = -2;

	if (cps->values.n == 2 && parse_count(cps->values.v[1], LONG_MAX) >= 0)
		n = parse_count(cps->values.v[0], LONG_MAX);
	if (n < 0)
		note_attr(s, cps, "%s", "not a number of connections and a number of seconds");
	else if (s->protocol != PROTO_TCP)
		note_attr(s, cps, "%s", "connection_rate applies to TCP services only");
	else
		import_map_connection_rate(s, (long)n, &at);
}

static void
translate_caps(struct import_service *s, const struct view *v, const struct xinetd_defaults *d)
{
	const struct xinetd_attr *cps = or_default(v, "cps", d->cps);

	const struct xinetd_attr *inst = or_default(v, "instances", d->instances);
	const struct xinetd_attr *per = or_default(v, "per_source", d->per_source);
	long long n;

	if (inst != NULL && inst->values.n == 1) {
		struct import_at at = at_of(inst);
		n = parse_count(inst->values.v[0], LONG_MAX);
		if (n == -2)
			note_attr(s, inst, "%s", "neither a number nor UNLIMITED");
		else if (n >= 0)
			import_map_instances(s, (long)n, &at);
	}
	if (per != NULL && per->values.n == 1) {
		struct import_at at = at_of(per);
		n = parse_count(per->values.v[0], LONG_MAX);
		if (n == -2)
			note_attr(s, per, "%s", "neither a number nor UNLIMITED");
		else
			import_map_per_source(s, n < 0 ? 0 : (long)n, &at);
	}
	/* the defaults' cps is for the TCP services netsrvd accepts for: the others are told only of their own */
	if (cps != NULL && ((s->protocol == PROTO_TCP && !s->wait) || cps != d->cps))
		translate_cps(s, cps);
	/* xinetd's own defaults are UNLIMITED both */
	import_map_default_caps(s, import_schema_max("max_workers"));
}

/* bind/interface (the service's or the defaults'), then the IPv4/IPv6 flags and v6only */
static void
translate_address(struct import_service *s, const struct import_host *h, const struct view *v,
    const struct xinetd_defaults *d)
{
	const struct xinetd_attr *bind = single(v, "bind");
	const struct xinetd_attr *v6only = or_default(v, "v6only", d->v6only);
	struct import_at at = import_at_make(v->e->file, v->e->line, "flags");

	if (bind == NULL)
		bind = single(v, "interface");
	if (bind == NULL)
		bind = d->bind;
	if (bind != NULL && bind->values.n == 1) {
		at = at_of(bind);
		import_addr_bind(s, h, bind->values.v[0], &at);
	}
	/*
	 * flags = IPv6 makes xinetd open an AF_INET6 socket that IPv4 clients
	 * reach too (the kernel's bindv6only is 0): netsrvd's "*". Only
	 * v6only = yes keeps them out, which is "::".
	 */
	bool every = strcmp(s->address, "*") == 0;
	bool v6only_yes = v6only != NULL && v6only->values.n == 1 &&
	    strcasecmp(v6only->values.v[0], "yes") == 0;

	if (has_flag(v, "IPv4"))
		import_addr_family(s, AF_INET, &at);
	else if ((v6only_yes && every) || (has_flag(v, "IPv6") && !every))
		import_addr_family(s, AF_INET6, &at);	/* "::", or a bind address that must be IPv6 */
}

/* A list of xinetd addresses into CIDR prefixes; names are noted. */
static void
acl_convert(struct import_service *s, const struct import_strv *values, struct import_strv *out,
    const struct xinetd_attr *from, const char *attr)
{
	for (size_t i = 0; i < values->n; i++) {
		char *what;
		if (import_addr_xinetd(values->v[i], out) == 0)
			continue;
		what = import_xprintf("%s %s", attr, values->v[i]);
		import_note_add(&s->notes, from->file, from->line, what,
		    "netsrvd matches addresses and prefixes, not host, domain or network names");
		free(what);
	}
}

static void
translate_acl(struct import_service *s, const struct view *v)
{
	/* served without its rules, it would admit whom xinetd's rules kept out */
	if (s->wait && s->protocol == PROTO_TCP && (v->only_from_set || v->no_access_set)) {
		import_service_unservable(s, "only_from and no_access cannot apply to a TCP wait "
		    "program: it accepts its own connections, unseen by netsrvd");
		return;
	}
	if (v->only_from_set) {
		acl_convert(s, &v->only_from, &s->allow, v->only_from_at, "only_from");
		/* an empty only_from admits nobody; an empty allow list admits all */
		if (s->allow.n == 0) {
			import_strv_add(&s->deny, "0.0.0.0/0");
			import_strv_add(&s->deny, "::/0");
		}
	}
	if (v->no_access_set)
		acl_convert(s, &v->no_access, &s->deny, v->no_access_at, "no_access");
	if (v->only_from_set && v->no_access_set) {
		struct import_at at = at_of(v->no_access_at);
		import_addr_check_precedence(s, &at);
	}
}

static bool
is_exec(const struct import_service *s)
{
	return s->handler != NULL && strcmp(s->handler, "exec") == 0;
}

/* The last line of the entry that set attribute name: where a note about it points. */
static const struct xinetd_attr *
last_of(const struct view *v, const char *name)
{
	const struct xinetd_attr *last = NULL;

	for (size_t i = 0; i < v->e->nattr; i++)
		if (strcmp(v->e->attr[i].name, name) == 0)
			last = &v->e->attr[i];
	return last;
}

static void
translate_environment(struct import_service *s, const struct view *v)
{
	const struct xinetd_attr *env = last_of(v, "env"), *pass = last_of(v, "passenv");

	if (!is_exec(s))
		return;	/* the environment of a built-in handler means nothing */
	for (size_t i = 0; i < v->env.n; i++) {
		const char *eq = strchr(v->env.v[i], '=');
		if (eq == NULL || !exec_env_name_valid(v->env.v[i], (size_t)(eq - v->env.v[i])))
			note_attr(s, env, "not NAME=value: %s", v->env.v[i]);
		else
			import_strv_add(&s->env, v->env.v[i]);
	}
	for (size_t i = 0; i < v->passenv.n; i++) {
		if (exec_env_name_valid(v->passenv.v[i], strlen(v->passenv.v[i])))
			import_strv_add(&s->passenv, v->passenv.v[i]);
		else if (pass != NULL)
			note_attr(s, pass, "not a variable name: %s", v->passenv.v[i]);
	}
}

/* rlimit_*: within the range netsrvd's limits key takes, or noted. */
static void
translate_limit(struct import_service *s, const struct view *v, const char *name,
    long long *slot, bool size, long long min, long long max)
{
	const struct xinetd_attr *a = single(v, name);
	long long n;

	if (a == NULL)
		return;
	n = a->values.n != 1 ? -2 : size ? parse_size(a->values.v[0]) : parse_count(a->values.v[0], LLONG_MAX);
	if (n == -2)
		note_attr(s, a, "%s", "not a size netsrvd understands");
	else if (!is_exec(s))
		note_attr(s, a, "%s", "netsrvd sets limits on programs only (handler exec)");
	else if (n >= 0 && (n < min || n > max))
		note_attr(s, a, "netsrvd's limit is %lld to %lld", min, max);
	else if (n >= 0)
		*slot = n;
}

/* nice and umask: the program's (import_map.c) */
static void
translate_process(struct import_service *s, const struct view *v)
{
	const struct xinetd_attr *nice = single(v, "nice"), *mask = single(v, "umask");
	struct import_at at;

	if (nice != NULL) {
		at = at_of(nice);
		import_map_nice(s, nice->values.n == 1 ? nice->values.v[0] : "", &at);
	}
	if (mask != NULL) {
		at = at_of(mask);
		import_map_umask(s, mask->values.n == 1 ? mask->values.v[0] : "", &at);
	}
}

static void
translate_credentials(struct import_service *s, const struct import_host *h, const struct view *v,
    const struct xinetd_defaults *d)
{
	const struct xinetd_attr *user = single(v, "user"), *group = single(v, "group");
	const struct xinetd_attr *groups = or_default(v, "groups", d->groups);
	struct import_at at = import_at_make(v->e->file, v->e->line, "user");

	if (user != NULL || group != NULL)
		at = at_of(user != NULL ? user : group);
	import_map_credentials(s, h, value(v, "user"), value(v, "group"), &at);
	if (groups == NULL)
		return;
	if (groups->values.n != 1 || (strcasecmp(groups->values.v[0], "yes") != 0 &&
	    strcasecmp(groups->values.v[0], "no") != 0))
		note_attr(s, groups, "%s", "neither yes nor no");
	else if (strcasecmp(groups->values.v[0], "yes") == 0)
		s->groups = s->user != NULL;	/* without a user, netsrvd's own workers serve */
}

static void
translate_flags(struct import_service *s, const struct import_host *h, const struct view *v)
{
	const struct xinetd_attr *a = single(v, "flags");
	static const char *const handled[] = {
		"IPv4", "IPv6", "NAMEINARGS", "SENSOR", "REUSE", "NOLIBWRAP", "KEEPALIVE",
	};

	for (size_t i = 0; a != NULL && i < a->values.n; i++) {
		const char *f = a->values.v[i];
		char *what;
		if (strcmp(f, "KEEPALIVE") == 0) {
			s->keepalive = true;
			if (!import_map_key_known(h, "keepalive"))
				note_attr(s, a, "%s", "KEEPALIVE: this netsrvd has no keepalive key");
			continue;
		}
		if (index_of(handled, sizeof(handled) / sizeof(handled[0]), f) >= 0)
			continue;
		what = import_xprintf("flags %s", f);
		import_note_add(&s->notes, a->file, a->line, what, "%s",
		    strcmp(f, "NODELAY") == 0 ? "netsrvd does not set TCP_NODELAY for programs" :
		    "netsrvd has no such option");
		free(what);
	}
}

/*
 * A service's log_type that names where every service logs already: the
 * defaults' target (syslog, or its file), else xinetd's and netsrvd's
 * default, syslog's daemon facility at info.
 */
static bool
log_type_is_effective(const struct import_result *r, const struct import_strv *v)
{
	const char *target = r->log_target != NULL ? r->log_target : "syslog";
	const char *facility = r->log_facility != NULL ? r->log_facility : "daemon";

	if ((v->n == 2 || v->n == 3) && strcmp(v->v[0], "SYSLOG") == 0)
		return strcmp(target, "syslog") == 0 && strcmp(v->v[1], facility) == 0 &&
		    (v->n == 2 || strcmp(v->v[2], "info") == 0);
	if (v->n == 2 && strcmp(v->v[0], "FILE") == 0)
		return strcmp(target, v->v[1]) == 0;
	return false;
}

/* log_type beside the whole log's; log_on_success and log_on_failure's USERID */
static void
translate_logging(struct import_result *r, struct import_service *s, const struct view *v)
{
	const struct xinetd_attr *a = single(v, "log_type");
	static const char *const connection_flags[] = { "PID", "HOST", "EXIT", "DURATION", "TRAFFIC" };

	if (a != NULL && !log_type_is_effective(r, &a->values))
		note_attr(s, a, "%s", "netsrvd has one log for every service (log.target)");
	for (size_t i = 0; i < v->log_success.n; i++)
		if (index_of(connection_flags, 5, v->log_success.v[i]) >= 0 && s->enabled)
			r->log_connections = true;
	if (import_strv_has(&v->log_success, "USERID") || import_strv_has(&v->log_failure, "USERID")) {
		const struct xinetd_attr *last = NULL;
		for (size_t i = 0; i < v->e->nattr; i++)
			if (strncmp(v->e->attr[i].name, "log_on_", 7) == 0)
				last = &v->e->attr[i];
		if (last != NULL)
			note_attr(s, last, "%s", "netsrvd does not ask the client's identd (RFC 1413)");
	}
}

/* libwrap = name: the tables for that name, not the service's (NOLIBWRAP: none at all) */
static void
translate_libwrap(struct import_service *s, const struct view *v)
{
	const struct xinetd_attr *a = single(v, "libwrap");
	struct import_at at;

	if (a == NULL)
		return;
	if (has_flag(v, "NOLIBWRAP") || a->values.n != 1) {
		note_attr(s, a, "%s", has_flag(v, "NOLIBWRAP") ? "flags NOLIBWRAP turns it off" :
		    "not one daemon name");
		return;
	}
	at = at_of(a);
	import_map_tcp_wrappers(s, a->values.v[0], &at);
}

static void
translate_lost(struct import_service *s, const struct view *v)
{
	for (size_t i = 0; i < sizeof(lost_attrs) / sizeof(lost_attrs[0]); i++) {
		const struct xinetd_attr *a = single(v, lost_attrs[i].name);
		if (a == NULL)
			continue;
		note_attr(s, a, "%s", lost_attrs[i].why);
	}
}

void
import_xinetd_translate(struct import_result *r, const struct import_host *h,
    const struct xinetd_entry *e, const struct xinetd_defaults *d)
{
	struct import_service *s = import_service_add(r, e->file, e->line);
	struct view v;
	const char *id;
	bool internal, tcp;

	view_init(&v, e, d);
	view_build(&v, s);
	id = value(&v, "id");
	s->name = import_xstrdup(id != NULL ? id : e->name);
	s->origin = id != NULL && strcmp(id, e->name) != 0 ?
	    import_xprintf("service %s (id %s)", e->name, id) : import_xprintf("service %s", e->name);
	translate_enabled(s, &v, d);
	translate_protocol(s, &v);
	internal = translate_type(s, &v);
	translate_port(s, h, &v);
	translate_program(s, h, &v, internal);
	translate_wait(s, &v);
	translate_credentials(s, h, &v, d);
	translate_caps(s, &v, d);
	translate_address(s, h, &v, d);
	translate_acl(s, &v);
	translate_environment(s, &v);
	/* the ranges of the exec handler's limits keys */
	translate_limit(s, &v, "rlimit_as", &s->limits.memory, true, 1048576, LLONG_MAX);
	translate_limit(s, &v, "rlimit_cpu", &s->limits.cpu, false, 0, INT_MAX);
	translate_limit(s, &v, "rlimit_files", &s->limits.files, false, 3, 1048576);
	translate_process(s, &v);
	translate_flags(s, h, &v);
	translate_libwrap(s, &v);
	translate_logging(r, s, &v);
	/* the defaults' banner and max_load are for the TCP services netsrvd accepts for: another is told only of its own */
	tcp = s->protocol == PROTO_TCP && !s->wait;
	import_xinetd_door(s, h, &(struct xinetd_door){
	    .banner = or_default(&v, "banner", tcp ? d->banner : NULL),
	    .banner_success = single(&v, "banner_success"), .banner_fail = single(&v, "banner_fail"),
	    .max_load = or_default(&v, "max_load", tcp ? d->max_load : NULL) });
	translate_lost(s, &v);
	view_free(&v);
}

/* log_type = SYSLOG facility [level] | FILE path [soft [hard]]: netsrvd's global log */
static void
defaults_log_type(struct import_result *r, const struct xinetd_attr *a)
{
	const struct import_strv *val = &a->values;
	int facility;

	if (val->n >= 1 && strcmp(val->v[0], "SYSLOG") == 0) {
		import_set(&r->log_target, "syslog");
		if (val->n >= 2 && log_facility_parse(val->v[1], &facility) == 0)
			import_set(&r->log_facility, val->v[1]);
		else if (val->n >= 2)
			import_note_add(&r->notes, a->file, a->line, a->text,
			    "netsrvd logs to daemon, user, auth, authpriv or local0-7, not %s", val->v[1]);
		if (val->n >= 3 && strcmp(val->v[2], "info") != 0)
			import_note_add(&r->notes, a->file, a->line, a->text,
			    "netsrvd logs each connection at info, not %s", val->v[2]);
	} else if (val->n >= 2 && strcmp(val->v[0], "FILE") == 0 && val->v[1][0] == '/') {
		import_set(&r->log_target, val->v[1]);
		if (val->n >= 3)
			import_note_add(&r->notes, a->file, a->line, a->text,
			    "netsrvd does not cap its log file's size (logrotate does)");
	} else
		import_note_add(&r->notes, a->file, a->line, a->text,
		    "neither SYSLOG facility nor FILE /absolute/path");
}

static void
defaults_list(struct xinetd_defaults *d, const struct xinetd_attr *a)
{
	/* in the defaults entry, "=" adds to the list as "+=" does */
	struct xinetd_attr add = *a;
	struct import_strv *list = NULL;

	if (add.op == XOP_SET)
		add.op = XOP_ADD;
	if (strcmp(a->name, "only_from") == 0)
		list = &d->only_from, d->only_from_set = true, d->only_from_at = a;
	else if (strcmp(a->name, "no_access") == 0)
		list = &d->no_access, d->no_access_set = true, d->no_access_at = a;
	else if (strcmp(a->name, "passenv") == 0)
		list = &d->passenv, d->passenv_set = true;
	else if (strcmp(a->name, "disabled") == 0)
		list = &d->disabled;
	else if (strcmp(a->name, "enabled") == 0)
		list = &d->enabled, d->enabled_set = true;
	if (list != NULL)
		import_xinetd_apply_list(list, &add);
}

void
import_xinetd_defaults(struct import_result *r, const struct xinetd_entry *e,
    struct xinetd_defaults *d)
{
	static const char *const lists[] = { "only_from", "no_access", "passenv", "disabled", "enabled" };
	static const char *const connection_flags[] = { "PID", "HOST", "EXIT", "DURATION", "TRAFFIC" };

	for (size_t i = 0; i < e->nattr; i++) {
		const struct xinetd_attr *a = &e->attr[i];
		int lost = -1;

		for (size_t j = 0; j < sizeof(lost_attrs) / sizeof(lost_attrs[0]); j++)
			if (strcmp(lost_attrs[j].name, a->name) == 0)
				lost = (int)j;
		if (index_of(lists, 5, a->name) >= 0)
			defaults_list(d, a);
		else if (strcmp(a->name, "log_type") == 0) {
			defaults_log_type(r, a);
		} else if (strcmp(a->name, "log_on_success") == 0) {
			for (size_t j = 0; j < a->values.n; j++)
				if (index_of(connection_flags, 5, a->values.v[j]) >= 0)
					r->log_connections = true;
			if (import_strv_has(&a->values, "USERID"))
				import_note_add(&r->notes, a->file, a->line, a->text,
				    "netsrvd does not ask the client's identd (RFC 1413)");
		} else if (strcmp(a->name, "log_on_failure") == 0) {
			if (import_strv_has(&a->values, "USERID"))
				import_note_add(&r->notes, a->file, a->line, a->text,
				    "netsrvd does not ask the client's identd (RFC 1413)");
		} else if (strcmp(a->name, "instances") == 0)
			d->instances = a;
		else if (strcmp(a->name, "per_source") == 0)
			d->per_source = a;
		else if (strcmp(a->name, "cps") == 0)
			d->cps = a;
		else if (strcmp(a->name, "bind") == 0 || strcmp(a->name, "interface") == 0)
			d->bind = a;
		else if (strcmp(a->name, "v6only") == 0)
			d->v6only = a;
		else if (strcmp(a->name, "groups") == 0)
			d->groups = a;
		else if (strcmp(a->name, "banner") == 0)
			d->banner = a;
		else if (strcmp(a->name, "max_load") == 0)
			d->max_load = a;
		else if (lost >= 0)
			import_note_add(&r->notes, a->file, a->line, a->text, "%s", lost_attrs[lost].why);
		else
			import_note_add(&r->notes, a->file, a->line, a->text,
			    "not an xinetd defaults attribute");
	}
}

void
import_xinetd_defaults_free(struct xinetd_defaults *d)
{
	import_strv_clear(&d->only_from);
	import_strv_clear(&d->no_access);
	import_strv_clear(&d->passenv);
	import_strv_clear(&d->disabled);
	import_strv_clear(&d->enabled);
}
