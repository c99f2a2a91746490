/* netsrv.conf: loading it whole, checking it whole, freeing it (the schema: config_schema.c). */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "config_acl.h"
#include "config_confine.h"
#include "config_dropin.h"
#include "config_error.h"
#include "config_inetd.h"
#include "config_identity.h"
#include "config_service.h"
#include "config_tls.h"
#include "config_text.h"
#include "handler.h"
#include "util.h"
#include "wrappers.h"

/* Where we are while building: the file's name, the first error, what the globals set. */
struct ctx {
	const char *file;
	char *err;
	size_t errlen;
	bool gset[SCHEMA_MAX];	/* rows of SCOPE_GLOBAL the file set */
	struct config *cfg;	/* what is being built (for the drop-ins) */
	int line;		/* > 0: where the text stands in the file (an inetd_conf entry) */
	config_inetd_translate_fn *translate;	/* inetd_conf's; NULL: refused */
};

/* A service group, for the handlers' checks (config_error). */
struct config_where {
	struct ctx *c;
	const config_setting_t *group;
};

static void
set_error(struct ctx *c, const config_setting_t *st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The first error, "FILE:LINE: message" (the line of st), and -1. A macro
 * so that the -1 is seen at each call: clang's analyzer does not follow a
 * variadic function, and would take a failed check for a passed one.
 */
#define fail_at(c, st, ...) (set_error((c), (st), __VA_ARGS__), -1)

static void
set_error(struct ctx *c, const config_setting_t *st, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->line > 0)
		snprintf(c->err, c->errlen, "%s:%d: %s", c->file, c->line, msg);
	else if (st != NULL && config_setting_source_line(st) > 0)
		snprintf(c->err, c->errlen, "%s:%u: %s", c->file,
		    config_setting_source_line(st), msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
}

const char *
config_proto_name(enum proto p)
{
	return p == PROTO_TCP ? "tcp" : "udp";
}

static int
unknown_key(struct ctx *c, const config_setting_t *st, enum config_scope scope)
{
	const char *name = config_setting_name(st);
	const char *best = config_key_closest(name, scope);

	if (best != NULL)
		return fail_at(c, st, "unknown %s setting \"%s\" (did you mean \"%s\"?)",
		    config_scope_name(scope), name, best);
	for (int s = SCOPE_GLOBAL; s <= SCOPE_SERVICE; s++)
		if ((enum config_scope)s != scope && config_key_find(name, (enum config_scope)s))
			return fail_at(c, st, "\"%s\" is a %s setting, not allowed in the %s scope",
			    name, config_scope_name((enum config_scope)s), config_scope_name(scope));
	return fail_at(c, st, "unknown %s setting \"%s\"", config_scope_name(scope), name);
}

static bool
type_ok(const config_setting_t *st, enum config_type t)
{
	int ct = config_setting_type(st);

	switch (t) {
	case TYPE_INT: return ct == CONFIG_TYPE_INT || ct == CONFIG_TYPE_INT64;
	case TYPE_FLOAT: return ct == CONFIG_TYPE_FLOAT || ct == CONFIG_TYPE_INT || ct == CONFIG_TYPE_INT64;
	case TYPE_BOOL: return ct == CONFIG_TYPE_BOOL;
	case TYPE_STRING: return ct == CONFIG_TYPE_STRING;
	case TYPE_GROUP: return ct == CONFIG_TYPE_GROUP;
	case TYPE_SERVICE_LIST: return ct == CONFIG_TYPE_LIST;
	case TYPE_STRING_LIST:
		if (ct != CONFIG_TYPE_ARRAY && ct != CONFIG_TYPE_LIST)
			return false;
		for (int i = 0; i < config_setting_length(st); i++)
			if (config_setting_type(config_setting_get_elem(st, (unsigned)i)) != CONFIG_TYPE_STRING)
				return false;
		return true;
	}
	return false;
}

static int load_keys(struct ctx *c, const config_setting_t *group, const char *what,
    const struct config_key *keys, size_t n, void *base);

/* Checks one setting against its row and stores it at the row's offset in base. */
static int
store_value(struct ctx *c, const config_setting_t *st, const struct config_key *k,
    void *base, bool handler_key)
{
	const char *name = k->name;

	if (!type_ok(st, k->type) || !config_key_choice_ok(k, config_setting_get_string(st)))
		return fail_at(c, st, "\"%s\" must be %s", name, config_key_expects(k));
	if (!config_key_stored(k, handler_key))
		return 0;
	if (k->type == TYPE_INT) {
		long long v = config_setting_get_int64(st);
		if (v < k->min || v > k->max)
			return fail_at(c, st, "\"%s\" is %lld, out of range %lld-%lld",
			    name, v, k->min, k->max);
		config_key_set_int(k, base, v);
	} else if (k->type == TYPE_FLOAT) {
		double v = config_setting_type(st) == CONFIG_TYPE_FLOAT ? config_setting_get_float(st) :
		    (double)config_setting_get_int64(st);	/* max_load = 2; as well as 2.5 */
		if (!(v >= (double)k->min && v <= (double)k->max))
			return fail_at(c, st, "\"%s\" is %g, out of range %lld-%lld", name, v, k->min, k->max);
		*(double *)config_key_at(k, base) = v;
	} else if (k->type == TYPE_BOOL) {
		*(bool *)config_key_at(k, base) = config_setting_get_bool(st) != 0;
	} else if (k->type == TYPE_STRING) {
		char **slot = config_key_at(k, base);
		char *v = strdup(config_setting_get_string(st));
		if (v == NULL)
			return fail_at(c, st, "out of memory");
		free(*slot);
		*slot = v;
	} else if (k->type == TYPE_STRING_LIST) {
		struct config_strv *v = config_key_at(k, base);
		int len = config_setting_length(st);

		config_strv_free(v);
		if (len > 0 && (v->v = calloc((size_t)len, sizeof(*v->v))) == NULL)
			return fail_at(c, st, "out of memory");
		for (int i = 0; i < len; i++, v->n++)
			if ((v->v[i] = strdup(config_setting_get_string_elem(st, i))) == NULL)
				return fail_at(c, st, "out of memory");
	} else if (k->type == TYPE_GROUP)
		return load_keys(c, st, name, k->sub, k->nsub, config_key_at(k, base));
	return 0;
}

/* A handler's group key: its members against its own rows. */
static int
load_keys(struct ctx *c, const config_setting_t *group, const char *what,
    const struct config_key *keys, size_t n, void *base)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(st);
		const struct config_key *k = name != NULL ? config_keys_find(keys, n, name) : NULL;

		if (k == NULL)
			return fail_at(c, st, "unknown setting \"%s\" in \"%s\"",
			    name != NULL ? name : "", what);
		if (store_value(c, st, k, base, true) == -1)
			return -1;
	}
	return 0;
}

/*
 * Checks every key of a group against the schema, stores scalar values at
 * their offset in base and flags their rows in set. Lists and groups are
 * left to the caller, and so are a service's handler keys (load_handler_keys).
 */
static int
load_group(struct ctx *c, const config_setting_t *group, enum config_scope scope, void *base,
    bool set[SCHEMA_MAX])
{
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(st);
		const struct config_key *k;

		if (name == NULL)
			return fail_at(c, st, "expected a named setting");
		k = config_schema_find(name, scope);
		if (k == NULL && scope == SCOPE_SERVICE && config_handler_key_find(name) != NULL)
			continue;
		if (k == NULL)
			return unknown_key(c, st, scope);
		if (store_value(c, st, k, base, false) == -1)
			return -1;
		set[config_schema_index(k)] = true;
	}
	return 0;
}
/*
 * Every row of scope the file did not set gets its value, in table order:
 * an inheriting service key the global one's if the file set that, else
 * the default of the global row; any other key its own default. The table
 * is the only place defaults are written.
 */
static int
apply_defaults(struct ctx *c, enum config_scope scope, void *base, const bool set[SCHEMA_MAX],
    const struct config *cfg)
{
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		const char *def = k->def;

		if (k->scope != scope || set[i] || !config_key_stored(k, false))
			continue;
		if (k->inherit) {
			const struct config_key *g = config_schema_find(k->name, SCOPE_GLOBAL);
			if (g == NULL)
				continue;
			if (c->gset[config_schema_index(g)]) {
				if (config_key_inherit(k, g, base, cfg) == -1)
					return -1;
				continue;
			}
			def = g->def;
		}
		if (config_key_store_default(k, def, scope, base) == -1)
			return -1;
	}
	return 0;
}

/* Whether the file set a key, for a service key: there or in the globals it inherits. */
static bool
was_set(const struct ctx *c, const bool set[SCHEMA_MAX], const char *name, enum config_scope scope)
{
	const struct config_key *k = config_schema_find(name, scope);
	const struct config_key *g = k != NULL && k->inherit ? config_schema_find(name, SCOPE_GLOBAL) : NULL;

	return (k != NULL && set[config_schema_index(k)]) || (g != NULL && c->gset[config_schema_index(g)]);
}

static int
load_log(struct ctx *c, const config_setting_t *root, struct config *cfg)
{
	const config_setting_t *lg = config_setting_get_member(root, "log");
	struct log_config *l = &cfg->log;
	const config_setting_t *st;
	bool set[SCHEMA_MAX] = { false };

	if (lg != NULL && load_group(c, lg, SCOPE_LOG, l, set) == -1)
		return -1;
	if (apply_defaults(c, SCOPE_LOG, l, set, cfg) == -1)
		return fail_at(c, NULL, "out of memory");
	if (log_facility_parse(l->facility_name, &l->facility) == -1) {
		st = lg ? config_setting_get_member(lg, "facility") : NULL;
		return fail_at(c, st, "unknown log facility \"%s\" (expected daemon, user, auth, authpriv, local0-local7)",
		    l->facility_name);
	}
	if (log_level_parse(l->level_name, &l->level) == -1) {
		st = lg ? config_setting_get_member(lg, "level") : NULL;
		return fail_at(c, st, "unknown log level \"%s\" (expected error, warning, notice, info, debug)",
		    l->level_name);
	}
	if (l->target != NULL && strcmp(l->target, "syslog") != 0 &&
	    strcmp(l->target, "stderr") != 0 && l->target[0] != '/') {
		st = config_setting_get_member(lg, "target");
		return fail_at(c, st, "log target \"%s\" must be \"syslog\", \"stderr\" or an absolute file path",
		    l->target);
	}
	return 0;
}

static const config_setting_t *
member_or(const config_setting_t *group, const char *key)
{
	const config_setting_t *st = config_setting_get_member(group, key);

	return st != NULL ? st : group;
}

/* A check that said why (config_identity.h), on the line of key in group (NULL: the group's). */
static int
fail_key(struct ctx *c, const config_setting_t *group, const char *key, const char *why)
{
	return fail_at(c, key != NULL ? member_or(group, key) : group, "%s", why);
}

static bool
valid_service_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NETSRVD_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static int
parse_address(struct ctx *c, const config_setting_t *st, struct service_config *s)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&s->addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&s->addr;

	memset(&s->addr, 0, sizeof(s->addr));
	if (strcmp(s->address, "*") == 0) {
		/* dual-stack; the listener falls back to 0.0.0.0 without IPv6 */
		s->any_address = true;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)s->port);
		s->addrlen = sizeof(*s6);
	} else if (inet_pton(AF_INET, s->address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)s->port);
		s->addrlen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, s->address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)s->port);
		s->addrlen = sizeof(*s6);
	} else
		return fail_at(c, st, "service \"%s\": address \"%s\" is not a numeric IPv4 or IPv6 address or \"*\"",
		    s->name, s->address);
	return 0;
}

/* names NULL: addresses only (proxy_from); else host names and suffixes go there (config_acl.h). */
static int
load_acl(struct ctx *c, const config_setting_t *svc, const char *key,
    struct service_config *s, struct cidr **out, size_t *n, char ***names, size_t *nnames)
{
	const config_setting_t *list = config_setting_get_member(svc, key);
	char msg[256];
	int len;

	*out = NULL;
	*n = 0;
	if (list == NULL || (len = config_setting_length(list)) == 0)
		return 0;
	*out = calloc((size_t)len, sizeof(**out));
	if (*out == NULL || (names != NULL && (*names = calloc((size_t)len, sizeof(char *))) == NULL))
		return fail_at(c, list, "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		char *name = NULL;
		enum acl_entry r = config_acl_entry(config_setting_get_string(e), names != NULL,
		    &(*out)[*n], &name, msg, sizeof(msg));

		if (r == ACL_BAD)
			return fail_at(c, e, "service \"%s\": %s: %s", s->name, key, msg);
		if (r == ACL_CIDR)
			(*n)++;
		else if (names != NULL)	/* ACL_NAME comes only when names are taken */
			(*names)[(*nnames)++] = name;
	}
	return 0;
}

/* A relative path in the file means relative to the file, not to the cwd (which is / once daemonized). */
static int
relative_to_config(struct ctx *c, char **path)
{
	const char *slash = strrchr(c->file, '/');
	size_t dirlen = slash ? (size_t)(slash - c->file) + 1 : 0;
	size_t plen = strlen(*path);
	char *abs = malloc(dirlen + plen + 1);

	if (abs == NULL)
		return -1;
	memcpy(abs, c->file, dirlen);
	memcpy(abs + dirlen, *path, plen + 1);
	free(*path);
	*path = abs;
	return 0;
}

int
config_error(const struct config_where *w, const char *key, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	const config_setting_t *st = key != NULL ? config_setting_get_member(w->group, key) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_at(w->c, st != NULL ? st : w->group, "%s", msg);
}

bool
config_where_sets(const struct config_where *w, const char *key)
{
	return config_setting_get_member(w->group, key) != NULL;
}

int
config_path_relative(const struct config_where *w, char **path)
{
	if (*path == NULL || (*path)[0] == '/')
		return 0;
	return relative_to_config(w->c, path);
}

static int
require(struct ctx *c, const config_setting_t *svc, const void *value,
    const char *key, const char *name)
{
	if (value != NULL)
		return 0;
	if (name != NULL)
		return fail_at(c, svc, "service \"%s\": missing required setting \"%s\"", name, key);
	return fail_at(c, svc, "service: missing required setting \"%s\"", key);
}

static int
handler_defaults(const struct config_key *keys, size_t n, void *base, const config_setting_t *group)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		const config_setting_t *st = group != NULL ? config_setting_get_member(group, k->name) : NULL;

		if (k->type == TYPE_GROUP && k->sub != NULL) {
			if (handler_defaults(k->sub, k->nsub, config_key_at(k, base), st) == -1)
				return -1;
		} else if (st == NULL && config_key_store_default(k, k->def, SCOPE_SERVICE, base) == -1)
			return -1;
	}
	return 0;
}

/*
 * The keys the service's handler declares: stored in the block it asked
 * for, defaulted, required ones present, then the handler's own check. A
 * key another handler declares is an error on its line.
 */
static int
load_handler_keys(struct ctx *c, const config_setting_t *svc, struct service_config *s)
{
	const struct handler *h = s->handler;
	struct config_where w = { .c = c, .group = svc };
	char who[256];

	if (h->conf_size > 0 && (s->hconf = calloc(1, h->conf_size)) == NULL)
		return fail_at(c, svc, "out of memory");
	for (int i = 0; i < config_setting_length(svc); i++) {
		const config_setting_t *st = config_setting_get_elem(svc, (unsigned)i);
		const char *name = config_setting_name(st);
		const struct config_key *k;

		if (name == NULL || config_schema_find(name, SCOPE_SERVICE) != NULL)
			continue;
		k = config_keys_find(h->keys, h->nkeys, name);
		if (k == NULL) {
			config_key_declared_by(name, who, sizeof(who));
			return fail_at(c, st, "service \"%s\": \"%s\" is only used by %s, not %s",
			    s->name, name, who, h->name);
		}
		if (store_value(c, st, k, s->hconf, true) == -1)
			return -1;
	}
	if (handler_defaults(h->keys, h->nkeys, s->hconf, svc) == -1)
		return fail_at(c, svc, "out of memory");
	for (size_t i = 0; i < h->nkeys; i++) {
		const struct config_key *k = &h->keys[i];
		if (k->required && config_setting_get_member(svc, k->name) == NULL) {
			if (k->need != NULL)
				return fail_at(c, svc, "service \"%s\": handler %s needs %s",
				    s->name, h->name, k->need);
			return fail_at(c, svc, "service \"%s\": handler %s needs \"%s\"",
			    s->name, h->name, k->name);
		}
	}
	return h->check != NULL ? h->check(s, &w) : 0;
}

/* The protocol and handler named: known, and the handler serves that protocol. */
static int
resolve_protocol_handler(struct ctx *c, const config_setting_t *svc, struct service_config *s)
{
	if (strcmp(s->protocol_name, "tcp") == 0)
		s->protocol = PROTO_TCP;
	else if (strcmp(s->protocol_name, "udp") == 0)
		s->protocol = PROTO_UDP;
	else
		return fail_at(c, config_setting_get_member(svc, "protocol"),
		    "service \"%s\": unknown protocol \"%s\" (expected tcp or udp)",
		    s->name, s->protocol_name);
	s->handler = handler_find(s->handler_name);
	if (s->handler == NULL)
		return fail_at(c, config_setting_get_member(svc, "handler"),
		    "service \"%s\": unknown handler \"%s\" (expected %s)",
		    s->name, s->handler_name, handler_names());
	if (s->protocol == PROTO_UDP && s->handler->answer_udp == NULL &&
	    s->handler->serve_socket == NULL)
		return fail_at(c, config_setting_get_member(svc, "handler"),
		    "service \"%s\": handler %s serves TCP only", s->name, s->handler_name);
	return 0;
}

static bool
service_set(const bool set[SCHEMA_MAX], const char *name)
{
	return set[config_schema_index(config_schema_find(name, SCOPE_SERVICE))];
}

/* The pool's sizes and the UDP rate, once defaults are in: consistent, and for the right protocol. */
static int
check_pool(struct ctx *c, const config_setting_t *svc, struct service_config *s,
    const bool set[SCHEMA_MAX])
{
	/* an adaptive pool nobody sized is never below workers */
	if (!was_set(c, set, "max_workers", SCOPE_SERVICE) && s->max_workers < s->workers)
		s->max_workers = s->workers;
	if (s->protocol == PROTO_TCP && (service_set(set, "udp_rate") || service_set(set, "udp_burst")))
		return fail_at(c, config_setting_get_member(svc,
		    config_setting_get_member(svc, "udp_rate") ? "udp_rate" : "udp_burst"),
		    "service \"%s\": udp_rate and udp_burst apply to UDP services only", s->name);
	if (s->udp_burst == 0)
		s->udp_burst = s->udp_rate;	/* 0: a second's worth */
	if (s->max_workers < s->workers)
		return fail_at(c, member_or(svc, "max_workers"),
		    "service \"%s\": max_workers %d is below workers %d", s->name,
		    s->max_workers, s->workers);
	if (s->max_spare < s->min_spare)
		return fail_at(c, member_or(svc, "max_spare"),
		    "service \"%s\": max_spare %d is below min_spare %d", s->name,
		    s->max_spare, s->min_spare);
	return 0;
}

/* The `tls` block, once the handler's check ran: its defaults, its paths, then its files (config_tls.c). */
static int
load_tls(struct ctx *c, const config_setting_t *svc, struct service_config *s, struct config *cfg)
{
	const config_setting_t *st = config_setting_get_member(svc, "tls");
	struct config_where w = { .c = c, .group = svc };
	const char *key;
	char why[CONFIG_ERR_MAX];

	if (st == NULL)
		return 0;
	s->tls.on = true;
	if (handler_defaults(config_tls_keys, CONFIG_TLS_NKEYS, &s->tls, st) == -1 ||
	    config_path_relative(&w, &s->tls.certificate) == -1 ||
	    config_path_relative(&w, &s->tls.key) == -1 || config_path_relative(&w, &s->tls.client_ca) == -1)
		return fail_at(c, st, "out of memory");
	if (config_tls_check(s, &cfg->warnings, &key, why, sizeof(why)) == -1)
		return fail_key(c, svc, key, why);
	return 0;
}

/* The confinement keys (config_confine.c); the cgroup group's unset keys are CONFINE_UNSET. */
static int
load_confine(struct ctx *c, const config_setting_t *svc, struct service_config *s, const struct config *cfg)
{
	const config_setting_t *st = config_setting_get_member(svc, "cgroup");
	const char *key;
	char why[CONFIG_ERR_MAX];

	s->confine.cgroup.on = st != NULL;
	/* capabilities = [ ] drops every one: written, even empty, is not unset */
	s->confine.caps_set = config_setting_get_member(svc, "capabilities") != NULL;
	s->confine.nice_set = config_setting_get_member(svc, "nice") != NULL;
	if (handler_defaults(config_cgroup_keys, CONFIG_CGROUP_NKEYS, &s->confine.cgroup, st) == -1)
		return fail_at(c, svc, "out of memory");
	if (config_confine_check(s, cfg->chroot_dir, &key, why, sizeof(why)) == -1)
		return fail_key(c, svc, key, why);
	return 0;
}

static int
load_service(struct ctx *c, const config_setting_t *svc, struct config *cfg,
    struct service_config *s)
{
	bool set[SCHEMA_MAX] = { false };
	struct config_where w = { .c = c, .group = svc };
	char why[CONFIG_ERR_MAX];
	const char *key;

	s->line = c->line > 0 ? c->line : (int)config_setting_source_line(svc);
	if (config_setting_type(svc) != CONFIG_TYPE_GROUP)
		return fail_at(c, svc, "each entry of \"services\" must be a group { ... }");
	if (load_group(c, svc, SCOPE_SERVICE, s, set) == -1)
		return -1;
	if (require(c, svc, s->name, "name", NULL) == -1)
		return -1;
	if (!valid_service_name(s->name))
		return fail_at(c, config_setting_get_member(svc, "name"),
		    "service name \"%s\" must be 1-%d characters of A-Z a-z 0-9 . _ -", s->name,
		    NETSRVD_NAME_MAX);
	if (require(c, svc, s->protocol_name, "protocol", s->name) == -1 ||
	    require(c, svc, s->handler_name, "handler", s->name) == -1 ||
	    require(c, svc, s->port ? &s->port : NULL, "port", s->name) == -1 ||
	    resolve_protocol_handler(c, svc, s) == -1)
		return -1;
	if (apply_defaults(c, SCOPE_SERVICE, s, set, cfg) == -1)
		return fail_at(c, svc, "out of memory");
	if (parse_address(c, member_or(svc, "address"), s) == -1 ||
	    check_pool(c, svc, s, set) == -1)
		return -1;
	if (load_acl(c, svc, "allow", s, &s->allow, &s->nallow, &s->allow_names, &s->nallow_names) == -1 ||
	    load_acl(c, svc, "deny", s, &s->deny, &s->ndeny, &s->deny_names, &s->ndeny_names) == -1 ||
	    load_acl(c, svc, "proxy_from", s, &s->proxy_from, &s->nproxy_from, NULL, NULL) == -1)
		return -1;
	if (config_path_relative(&w, &s->banner_file) == -1 ||
	    config_path_relative(&w, &s->banner_success_file) == -1 ||
	    config_path_relative(&w, &s->banner_fail_file) == -1)
		return fail_at(c, svc, "out of memory");
	if (config_service_check(s, set, &key, why, sizeof(why)) == -1)
		return fail_key(c, svc, key, why);
	if (wrappers_config_check(s, cfg->seccomp, why, sizeof(why)) == -1)
		return fail_key(c, svc, "tcp_wrappers", why);
	if (config_identity_resolve(s->user, s->group, &s->id, &key, why, sizeof(why)) == -1 ||
	    config_identity_groups(s, &key, why, sizeof(why)) == -1)
		return fail_key(c, svc, key, why);
	if (load_confine(c, svc, s, cfg) == -1 || load_handler_keys(c, svc, s) == -1)
		return -1;
	return load_tls(c, svc, s, cfg);
}

/* Two services collide when one could receive the other's packets. */
static bool
services_overlap(const struct service_config *a, const struct service_config *b)
{
	if (a->protocol != b->protocol || a->port != b->port)
		return false;
	if (a->any_address || b->any_address)
		return true;
	if (a->addr.ss_family != b->addr.ss_family)
		return false;
	if (a->addr.ss_family == AF_INET) {
		const struct in_addr *x = &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr;
		const struct in_addr *y = &((const struct sockaddr_in *)(const void *)&b->addr)->sin_addr;
		return x->s_addr == y->s_addr || x->s_addr == htonl(INADDR_ANY) ||
		    y->s_addr == htonl(INADDR_ANY);
	}
	const struct in6_addr *x = &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr;
	const struct in6_addr *y = &((const struct sockaddr_in6 *)(const void *)&b->addr)->sin6_addr;
	return IN6_ARE_ADDR_EQUAL(x, y) || IN6_IS_ADDR_UNSPECIFIED(x) ||
	    IN6_IS_ADDR_UNSPECIFIED(y);
}

/* Where o is, for a clash with s: "line N" within one file (as always), "FILE:N" across files. */
static void
clash_place(const struct service_config *s, const struct service_config *o, char *out, size_t len)
{
	bool same = strcmp(o->file, s->file) == 0;

	snprintf(out, len, "%s%s%d", same ? "line " : o->file, same ? "" : ":", o->line);
}

/* A service another claims (its name, or an address it could receive on): -1. Formats only on a clash. */
static int
check_clash(struct ctx *c, const config_setting_t *svc, const struct service_config *s,
    const struct config *cfg, size_t upto)
{
	char where[PATH_MAX + 32];

	for (size_t j = 0; j < upto; j++) {
		const struct service_config *o = &cfg->services[j];

		if (strcmp(o->name, s->name) == 0) {
			clash_place(s, o, where, sizeof(where));
			return fail_at(c, config_setting_get_member(svc, "name"),
			    "duplicate service name \"%s\" (first defined %s%s)", s->name,
			    strcmp(o->file, s->file) == 0 ? "on " : "at ", where);
		}
		if (s->enabled && o->enabled && services_overlap(s, o)) {
			clash_place(s, o, where, sizeof(where));
			return fail_at(c, svc,
			    "service \"%s\": %s %s port %d overlaps service \"%s\" (%s %s port %d, %s)",
			    s->name, s->protocol_name, s->address, s->port, o->name,
			    o->protocol_name, o->address, o->port, where);
		}
	}
	return 0;
}

/* One file's "services" list, appended to cfg's services and checked against all before it. */
static int
load_service_list(struct ctx *c, const config_setting_t *list, struct config *cfg)
{
	size_t n = (size_t)config_setting_length(list), first = cfg->nservices;
	struct service_config *grown;

	/*
	 * An empty list is a file cut short, never a choice: one whose
	 * services are all disabled is (config_enabled_services() == 0).
	 */
	if (n == 0)
		return fail_at(c, list, "empty \"services\" list: nothing to serve (is the file truncated?)");
	if ((grown = realloc(cfg->services, (first + n) * sizeof(*grown))) == NULL)
		return fail_at(c, list, "out of memory");
	cfg->services = grown;
	memset(&cfg->services[first], 0, n * sizeof(*grown));
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *svc = config_setting_get_elem(list, (unsigned)i);
		struct service_config *s = &cfg->services[first + i];

		cfg->nservices++;
		if ((s->file = strdup(c->file)) == NULL)
			return fail_at(c, svc, "out of memory");
		if (load_service(c, svc, cfg, s) == -1 ||
		    check_clash(c, svc, s, cfg, first + i) == -1)
			return -1;
	}
	return 0;
}

static int
load_services(struct ctx *c, const config_setting_t *root, struct config *cfg)
{
	const config_setting_t *list = config_setting_get_member(root, "services");

	/* with drop-ins or an inetd.conf, the main file may leave every service to them */
	if (list == NULL && (cfg->include_dir != NULL || cfg->inetd_conf != NULL))
		return 0;
	if (list == NULL)
		return fail_at(c, NULL, "no \"services\" list: nothing to serve (is the file empty or truncated?)");
	return load_service_list(c, list, cfg);
}

/* Each drop-in's list, as the main file's (config_dropin_each calls it). */
static int
load_dropin_list(const char *path, const config_setting_t *list, void *arg)
{
	struct ctx *main_ctx = arg, dc = { .file = path, .err = main_ctx->err, .errlen = main_ctx->errlen };

	memcpy(dc.gset, main_ctx->gset, sizeof(dc.gset));
	return load_service_list(&dc, list, main_ctx->cfg);
}

/* An inetd_conf entry (config_inetd_each calls it): appended, or -1 with err said and nothing kept. */
static int
load_inetd_entry(const char *path, int line, const config_setting_t *svc, void *arg)
{
	struct ctx *main_ctx = arg;
	struct ctx ic = { .file = path, .err = main_ctx->err, .errlen = main_ctx->errlen, .line = line };
	struct config *cfg = main_ctx->cfg;
	size_t i = cfg->nservices;
	struct service_config *grown = realloc(cfg->services, (i + 1) * sizeof(*grown));

	if (grown == NULL)
		return fail_at(&ic, svc, "out of memory");
	cfg->services = grown;
	memset(&grown[i], 0, sizeof(*grown));
	memcpy(ic.gset, main_ctx->gset, sizeof(ic.gset));
	if ((grown[i].file = strdup(path)) == NULL || load_service(&ic, svc, cfg, &grown[i]) == -1 ||
	    check_clash(&ic, svc, &grown[i], cfg, i) == -1) {
		if (grown[i].file == NULL)
			(void)fail_at(&ic, svc, "out of memory");
		config_service_free(&grown[i]);
		return -1;
	}
	cfg->nservices++;
	return 0;
}

/* Programs that would share their workers' user, across every file: -1 with the service's place. */
static int
check_shared_users(struct ctx *c, const config_setting_t *root, struct config *cfg)
{
	const config_setting_t *list = config_setting_get_member(root, "services");
	char why[CONFIG_ERR_MAX];
	ssize_t clash = config_identity_shared(cfg, why, sizeof(why));
	const struct service_config *s;

	if (clash == -1)
		return 0;
	s = &cfg->services[clash];
	if (list != NULL && clash < config_setting_length(list))
		return fail_key(c, config_setting_get_elem(list, (unsigned)clash), "user", why);
	snprintf(c->err, c->errlen, "%s:%d: %s", s->file, s->line, why);
	return -1;
}

static int
check_chroot(struct ctx *c, const config_setting_t *root, const char *dir)
{
	const config_setting_t *st = config_setting_get_member(root, "chroot");
	struct stat sb;

	if (dir[0] != '/')
		return fail_at(c, st, "chroot \"%s\" must be an absolute path", dir);
	if (stat(dir, &sb) == -1)
		return fail_at(c, st, "chroot %s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return fail_at(c, st, "chroot %s: not a directory", dir);
	return 0;
}

static int
build(struct ctx *c, const config_t *lc, struct config *cfg)
{
	const config_setting_t *root = config_root_setting(lc);
	char why[CONFIG_ERR_MAX];
	const char *key;

	if (load_group(c, root, SCOPE_GLOBAL, cfg, c->gset) == -1)
		return -1;
	if (apply_defaults(c, SCOPE_GLOBAL, cfg, c->gset, cfg) == -1)
		return fail_at(c, NULL, "out of memory");
	/* an adaptive pool nobody sized is never below workers */
	if (!was_set(c, c->gset, "max_workers", SCOPE_GLOBAL) && cfg->max_workers < cfg->workers)
		cfg->max_workers = cfg->workers;
	if (cfg->chroot_dir != NULL && check_chroot(c, root, cfg->chroot_dir) == -1)
		return -1;
	if (cfg->max_workers < cfg->workers)
		return fail_at(c, config_setting_get_member(root, "max_workers"),
		    "max_workers %d is below workers %d", cfg->max_workers, cfg->workers);
	if (cfg->max_spare < cfg->min_spare)
		return fail_at(c, config_setting_get_member(root, config_setting_get_member(root, "max_spare") ? "max_spare" : "min_spare"),
		    "max_spare %d is below min_spare %d", cfg->max_spare, cfg->min_spare);
	if (cfg->pid_file != NULL && cfg->pid_file[0] != '/')
		return fail_at(c, config_setting_get_member(root, "pid_file"),
		    "pid_file \"%s\" must be an absolute path", cfg->pid_file);
	if (load_log(c, root, cfg) == -1)
		return -1;
	if (config_identity_resolve(cfg->user, cfg->group, &cfg->id, &key, why, sizeof(why)) == -1)
		return fail_key(c, root, key, why);
	if ((cfg->include_dir != NULL && cfg->include_dir[0] != '/' &&
	     relative_to_config(c, &cfg->include_dir) == -1) ||
	    (cfg->inetd_conf != NULL && cfg->inetd_conf[0] != '/' &&
	     relative_to_config(c, &cfg->inetd_conf) == -1))
		return fail_at(c, NULL, "out of memory");
	c->cfg = cfg;
	/* inetd.conf's entries last: one that clashes with the sysadmin's own is the one skipped */
	if (load_services(c, root, cfg) == -1 ||
	    (cfg->include_dir != NULL &&
	     config_dropin_each(cfg->include_dir, cfg->path, load_dropin_list, c, c->err, c->errlen) == -1) ||
	    (cfg->inetd_conf != NULL &&
	     config_inetd_each(cfg, c->translate, load_inetd_entry, c, c->err, c->errlen) == -1))
		return -1;
	return check_shared_users(c, root, cfg);
}

static struct config *
finish(config_t *lc, int parsed, const char *text, const char *name, config_inetd_translate_fn *translate,
    char *err, size_t errlen)
{
	struct ctx c = { .file = name, .err = err, .errlen = errlen, .translate = translate };
	struct config *cfg;

	if (!parsed) {
		config_error_report(lc, text, name, err, errlen);
		config_destroy(lc);
		return NULL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->path = strdup(name)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(cfg);
		config_destroy(lc);
		return NULL;
	}
	if (build(&c, lc, cfg) == -1) {
		config_free(cfg);
		cfg = NULL;
	}
	config_destroy(lc);
	return cfg;
}

struct config *
config_parse_string(const char *text, const char *name, char *err, size_t errlen)
{
	config_t lc;

	if (config_text_check(text, strlen(text), name, err, errlen) == -1)
		return NULL;
	config_init(&lc);
	return finish(&lc, config_read_string(&lc, text) == CONFIG_TRUE, text, name, NULL, err, errlen);
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	return config_load_with(path, NULL, err, errlen);
}

struct config *
config_load_with(const char *path, config_inetd_translate_fn *translate, char *err, size_t errlen)
{
	config_t lc;
	char *data;
	size_t size;

	/* read it ourselves: libconfig reports a missing file without errno */
	if (util_read_file(path, CONFIG_MAX_BYTES, &data, &size) == -1) {
		snprintf(err, errlen, "%s: cannot read configuration: %s", path, config_read_error(errno));
		return NULL;
	}
	if (config_text_check(data, size, path, err, errlen) == -1) {
		free(data);
		return NULL;
	}
	config_init(&lc);
	int ok = config_read_string(&lc, data) == CONFIG_TRUE;
	struct config *cfg = finish(&lc, ok, data, path, translate, err, errlen);
	free(data);
	return cfg;
}
