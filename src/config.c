/* netsrv.conf: the schema, loading it whole, checking it whole. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <libconfig.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_error.h"
#include "handler.h"
#include "util.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif

#define G(field) offsetof(struct config, field)
#define L(field) offsetof(struct log_config, field)
#define S(field) offsetof(struct service_config, field)

/* name, scope, type, min, max, default, reloadable, a service inherits it, offset */
#define K(n, sc, t, lo, hi, d, rel, inh, off) \
	{ .name = (n), .scope = (sc), .type = (t), .min = (lo), .max = (hi), .def = (d), \
	  .reloadable = (rel), .inherit = (inh), .offset = (off) }
#define INHERIT	true

const struct config_key config_schema[] = {
	K("user", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, false, G(user)),
	K("group", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, false, G(group)),
	/* the master holds its pid file locked from start to exit */
	K("pid_file", SCOPE_GLOBAL, TYPE_STRING, 0, 0, RUNSTATEDIR "/netsrvd.pid", false, false, G(pid_file)),
	K("log", SCOPE_GLOBAL, TYPE_GROUP, 0, 0, NULL, true, false, 0),
	K("workers", SCOPE_GLOBAL, TYPE_INT, 1, 4096, "4", true, false, G(workers)),
	K("timeout", SCOPE_GLOBAL, TYPE_INT, 0, 86400, "30", true, false, G(timeout)),
	K("shutdown_timeout", SCOPE_GLOBAL, TYPE_INT, 0, 3600, "10", true, false, G(shutdown_timeout)),
	K("backlog", SCOPE_GLOBAL, TYPE_INT, 1, 65535, "128", true, false, G(backlog)),
	K("services", SCOPE_GLOBAL, TYPE_SERVICE_LIST, 0, 0, NULL, true, false, 0),
	/*
	 * An adaptive pool by default: one address holding slow connections
	 * (slowloris) gets at most max_per_source workers and the pool grows
	 * past them, so another client is still served (netsrv.conf(5)). A
	 * max_workers nobody set is never below workers (build, load_service).
	 */
	K("max_workers", SCOPE_GLOBAL, TYPE_INT, 1, 4096, "32", true, false, G(max_workers)),
	K("min_spare", SCOPE_GLOBAL, TYPE_INT, 0, 4096, "0", true, false, G(min_spare)),	/* grow only for clients that wait */
	K("max_spare", SCOPE_GLOBAL, TYPE_INT, 0, 4096, "min_spare", true, false, G(max_spare)),
	K("max_connections_per_worker", SCOPE_GLOBAL, TYPE_INT, 0, 100000000, "0", true, false, G(max_connections_per_worker)),
	K("max_per_source", SCOPE_GLOBAL, TYPE_INT, 0, 4096, "8", true, false, G(max_per_source)),
	/*
	 * Far above what a real echo, daytime, time or qotd client sends (one
	 * datagram, then it waits), low enough that a forged source gets a
	 * bounded stream; a burst of a second's worth.
	 */
	K("udp_rate", SCOPE_GLOBAL, TYPE_INT, 0, 1000000, "200", true, false, G(udp_rate)),
	K("udp_burst", SCOPE_GLOBAL, TYPE_INT, 0, 1000000, "udp_rate", true, false, G(udp_burst)),
	K("chroot", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, false, G(chroot_dir)),
	K("seccomp", SCOPE_GLOBAL, TYPE_BOOL, 0, 0, "true", true, false, G(seccomp)),

	K("target", SCOPE_LOG, TYPE_STRING, 0, 0, NULL, true, false, L(target)),
	K("facility", SCOPE_LOG, TYPE_STRING, 0, 0, "daemon", true, false, L(facility_name)),
	K("level", SCOPE_LOG, TYPE_STRING, 0, 0, "info", true, false, L(level_name)),
	K("connections", SCOPE_LOG, TYPE_BOOL, 0, 0, "false", true, false, L(connections)),

	K("name", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(name)),
	K("protocol", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(protocol_name)),
	K("address", SCOPE_SERVICE, TYPE_STRING, 0, 0, "*", true, false, S(address)),
	K("port", SCOPE_SERVICE, TYPE_INT, 1, 65535, NULL, true, false, S(port)),
	K("handler", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(handler_name)),
	K("workers", SCOPE_SERVICE, TYPE_INT, 1, 4096, NULL, true, INHERIT, S(workers)),
	K("max_workers", SCOPE_SERVICE, TYPE_INT, 1, 4096, NULL, true, INHERIT, S(max_workers)),
	K("min_spare", SCOPE_SERVICE, TYPE_INT, 0, 4096, NULL, true, INHERIT, S(min_spare)),
	K("max_spare", SCOPE_SERVICE, TYPE_INT, 0, 4096, NULL, true, INHERIT, S(max_spare)),
	K("max_connections_per_worker", SCOPE_SERVICE, TYPE_INT, 0, 100000000, NULL, true, INHERIT, S(max_connections_per_worker)),
	K("max_per_source", SCOPE_SERVICE, TYPE_INT, 0, 4096, NULL, true, INHERIT, S(max_per_source)),
	K("udp_rate", SCOPE_SERVICE, TYPE_INT, 0, 1000000, NULL, true, INHERIT, S(udp_rate)),
	K("udp_burst", SCOPE_SERVICE, TYPE_INT, 0, 1000000, NULL, true, INHERIT, S(udp_burst)),
	K("timeout", SCOPE_SERVICE, TYPE_INT, 0, 86400, NULL, true, INHERIT, S(timeout)),
	K("backlog", SCOPE_SERVICE, TYPE_INT, 1, 65535, NULL, true, INHERIT, S(backlog)),
	K("allow", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, "[]", true, false, 0),
	K("deny", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, "[]", true, false, 0),
	K("proxy_from", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, "[]", true, false, 0),
	/* no defaults: a service that does not set them keeps the kernel's (net.ipv4.tcp_keepalive_*) */
	K("keepalive", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "false", true, false, S(keepalive)),
	K("keepalive_idle", SCOPE_SERVICE, TYPE_INT, 1, 32767, NULL, true, false, S(keepalive_idle)),
	K("keepalive_interval", SCOPE_SERVICE, TYPE_INT, 1, 32767, NULL, true, false, S(keepalive_interval)),
	K("keepalive_count", SCOPE_SERVICE, TYPE_INT, 1, 127, NULL, true, false, S(keepalive_count)),
	K("interface", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(interface)),
	/* IP_FREEBIND: bind an address the host does not have yet; used when a socket is bound */
	K("freebind", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "false", true, false, S(freebind)),
	K("enabled", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "true", true, false, S(enabled)),
	/* whom the service's workers (and an exec service's programs) run as */
	K("user", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, INHERIT, S(user)),
	K("group", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, INHERIT, S(group)),
	K("groups", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "false", true, false, S(groups)),
	/* exec: its programs may run as the user of built-in workers (check_program_users) */
	K("share_user", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "false", true, false, S(share_user)),
};
const size_t config_schema_len = sizeof(config_schema) / sizeof(config_schema[0]);

/* Which rows of config_schema a scope's group set: a bool per row. */
#define SCHEMA_MAX 64
_Static_assert(sizeof(config_schema) / sizeof(config_schema[0]) <= SCHEMA_MAX,
    "SCHEMA_MAX holds a flag per schema row");

/* Where we are while building: the file's name, the first error, what the globals set. */
struct ctx {
	const char *file;
	char *err;
	size_t errlen;
	bool gset[SCHEMA_MAX];	/* rows of SCOPE_GLOBAL the file set */
};

/* A service group, for the handlers' checks (config_error). */
struct config_where {
	struct ctx *c;
	const config_setting_t *group;
};

static int
fail_at(struct ctx *c, const config_setting_t *st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail_at(struct ctx *c, const config_setting_t *st, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st != NULL && config_setting_source_line(st) > 0)
		snprintf(c->err, c->errlen, "%s:%u: %s", c->file,
		    config_setting_source_line(st), msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
	return -1;
}

const char *
config_scope_name(enum config_scope s)
{
	switch (s) {
	case SCOPE_GLOBAL: return "global";
	case SCOPE_LOG: return "log";
	case SCOPE_SERVICE: return "service";
	}
	return "?";
}

const char *
config_proto_name(enum proto p)
{
	return p == PROTO_TCP ? "tcp" : "udp";
}

static const struct config_key *
schema_find(const char *name, enum config_scope scope)
{
	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].scope == scope && strcmp(config_schema[i].name, name) == 0)
			return &config_schema[i];
	return NULL;
}

static size_t
schema_index(const struct config_key *k)
{
	return (size_t)(k - config_schema);
}

static const struct config_key *
keys_find(const struct config_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The row of the first handler that declares a key of this name, or NULL. */
static const struct config_key *
handler_key_find(const char *name)
{
	for (size_t i = 0; i < handler_count(); i++) {
		const struct handler *h = handler_at(i);
		const struct config_key *k = keys_find(h->keys, h->nkeys, name);
		if (k != NULL)
			return k;
	}
	return NULL;
}

/* A key of scope anywhere in the schema: the core table, or for services a handler's. */
static const struct config_key *
key_find(const char *name, enum config_scope scope)
{
	const struct config_key *k = schema_find(name, scope);

	if (k == NULL && scope == SCOPE_SERVICE)
		k = handler_key_find(name);
	return k;
}

static const char *
type_name(enum config_type t)
{
	switch (t) {
	case TYPE_INT: return "an integer";
	case TYPE_BOOL: return "true or false";
	case TYPE_STRING: return "a string";
	case TYPE_STRING_LIST: return "a list of strings";
	case TYPE_GROUP: return "a group { ... }";
	case TYPE_SERVICE_LIST: return "a list of service groups ( { ... }, ... )";
	}
	return "?";
}

static void
closest(const char *name, const char *cand, const char **best, size_t *bestd)
{
	size_t d = util_edit_distance(name, cand);

	if (d < *bestd) {
		*bestd = d;
		*best = cand;
	}
}

static int
unknown_key(struct ctx *c, const config_setting_t *st, enum config_scope scope)
{
	const char *name = config_setting_name(st);
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].scope == scope)
			closest(name, config_schema[i].name, &best, &bestd);
	for (size_t i = 0; scope == SCOPE_SERVICE && i < handler_count(); i++)
		for (size_t j = 0; j < handler_at(i)->nkeys; j++)
			closest(name, handler_at(i)->keys[j].name, &best, &bestd);
	if (best != NULL)
		return fail_at(c, st, "unknown %s setting \"%s\" (did you mean \"%s\"?)",
		    config_scope_name(scope), name, best);
	for (int s = SCOPE_GLOBAL; s <= SCOPE_SERVICE; s++)
		if ((enum config_scope)s != scope && key_find(name, (enum config_scope)s))
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

static void *
at(void *base, size_t off)
{
	return (char *)base + off;
}

static const void *
at_const(const void *base, size_t off)
{
	return (const char *)base + off;
}

/* Whether a row has a value in its struct: the core table's lists and groups are read by code. */
static bool
stored(const struct config_key *k, bool handler_key)
{
	return k->type == TYPE_INT || k->type == TYPE_BOOL || k->type == TYPE_STRING ||
	    (handler_key && (k->type == TYPE_STRING_LIST || (k->type == TYPE_GROUP && k->sub != NULL)));
}

static void
strv_free(struct config_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* Frees what the loader stored for keys in base (a handler's conf). */
static void
keys_free(const struct config_key *keys, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		if (k->type == TYPE_STRING) {
			free(*(char **)at(base, k->offset));
			*(char **)at(base, k->offset) = NULL;
		} else if (k->type == TYPE_STRING_LIST)
			strv_free(at(base, k->offset));
		else if (k->type == TYPE_GROUP && k->sub != NULL)
			keys_free(k->sub, k->nsub, at(base, k->offset));
	}
}

static int load_keys(struct ctx *c, const config_setting_t *group, const char *what,
    const struct config_key *keys, size_t n, void *base);

/* Checks one setting against its row and stores it at the row's offset in base. */
/* A TYPE_INT value: an int, or a long long where the row says wide. */
static void
int_put(const struct config_key *k, void *base, long long v)
{
	if (k->wide)
		*(long long *)at(base, k->offset) = v;
	else
		*(int *)at(base, k->offset) = (int)v;
}

static long long
int_get(const struct config_key *k, const void *base)
{
	return k->wide ? *(const long long *)at_const(base, k->offset) :
	    *(const int *)at_const(base, k->offset);
}

static int
store_value(struct ctx *c, const config_setting_t *st, const struct config_key *k,
    void *base, bool handler_key)
{
	const char *name = k->name;

	if (!type_ok(st, k->type))
		return fail_at(c, st, "\"%s\" must be %s", name, type_name(k->type));
	if (!stored(k, handler_key))
		return 0;
	if (k->type == TYPE_INT) {
		long long v = config_setting_get_int64(st);
		if (v < k->min || v > k->max)
			return fail_at(c, st, "\"%s\" is %lld, out of range %lld-%lld",
			    name, v, k->min, k->max);
		int_put(k, base, v);
	} else if (k->type == TYPE_BOOL) {
		*(bool *)at(base, k->offset) = config_setting_get_bool(st) != 0;
	} else if (k->type == TYPE_STRING) {
		char **slot = at(base, k->offset);
		char *v = strdup(config_setting_get_string(st));
		if (v == NULL)
			return fail_at(c, st, "out of memory");
		free(*slot);
		*slot = v;
	} else if (k->type == TYPE_STRING_LIST) {
		struct config_strv *v = at(base, k->offset);
		int len = config_setting_length(st);

		strv_free(v);
		if (len > 0 && (v->v = calloc((size_t)len, sizeof(*v->v))) == NULL)
			return fail_at(c, st, "out of memory");
		for (int i = 0; i < len; i++, v->n++)
			if ((v->v[i] = strdup(config_setting_get_string_elem(st, i))) == NULL)
				return fail_at(c, st, "out of memory");
	} else if (k->type == TYPE_GROUP)
		return load_keys(c, st, name, k->sub, k->nsub, at(base, k->offset));
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
		const struct config_key *k = name != NULL ? keys_find(keys, n, name) : NULL;

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
		k = schema_find(name, scope);
		if (k == NULL && scope == SCOPE_SERVICE && handler_key_find(name) != NULL)
			continue;
		if (k == NULL)
			return unknown_key(c, st, scope);
		if (store_value(c, st, k, base, false) == -1)
			return -1;
		set[schema_index(k)] = true;
	}
	return 0;
}

/*
 * Stores def, the default of k as the schema writes it, in base: a number,
 * true or false, a string, or for an integer the name of a key of scope
 * whose value (already resolved: it is above k in the table) it copies.
 */
static int
store_default(const struct config_key *k, const char *def, enum config_scope scope, void *base)
{
	const struct config_key *ref;

	if (def == NULL || !stored(k, false))
		return 0;
	switch (k->type) {
	case TYPE_INT:
		if ((def[0] >= '0' && def[0] <= '9') || def[0] == '-')
			int_put(k, base, strtoll(def, NULL, 10));
		else if ((ref = schema_find(def, scope)) != NULL && ref->type == TYPE_INT)
			*(int *)at(base, k->offset) = *(int *)at(base, ref->offset);
		return 0;
	case TYPE_BOOL:
		*(bool *)at(base, k->offset) = strcmp(def, "true") == 0;
		return 0;
	case TYPE_STRING:
		if (*(char **)at(base, k->offset) == NULL &&
		    (*(char **)at(base, k->offset) = strdup(def)) == NULL)
			return -1;
		return 0;
	default:
		return 0;
	}
}

/* Copies a global key's value to the service key of its name. */
static int
inherit_value(const struct config_key *k, const struct config_key *g, void *base, const void *gbase)
{
	switch (k->type) {
	case TYPE_INT:
		*(int *)at(base, k->offset) = *(const int *)at_const(gbase, g->offset);
		return 0;
	case TYPE_BOOL:
		*(bool *)at(base, k->offset) = *(const bool *)at_const(gbase, g->offset);
		return 0;
	case TYPE_STRING: {
		const char *v = *(char *const *)at_const(gbase, g->offset);
		if (v != NULL && (*(char **)at(base, k->offset) = strdup(v)) == NULL)
			return -1;
		return 0;
	}
	default:
		return 0;
	}
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

		if (k->scope != scope || set[i] || !stored(k, false))
			continue;
		if (k->inherit) {
			const struct config_key *g = schema_find(k->name, SCOPE_GLOBAL);
			if (g == NULL)
				continue;
			if (c->gset[schema_index(g)]) {
				if (inherit_value(k, g, base, cfg) == -1)
					return -1;
				continue;
			}
			def = g->def;
		}
		if (store_default(k, def, scope, base) == -1)
			return -1;
	}
	return 0;
}

/* Whether the file set a key, for a service key: there or in the globals it inherits. */
static bool
was_set(const struct ctx *c, const bool set[SCHEMA_MAX], const char *name, enum config_scope scope)
{
	const struct config_key *k = schema_find(name, scope);
	const struct config_key *g = k != NULL && k->inherit ? schema_find(name, SCOPE_GLOBAL) : NULL;

	return (k != NULL && set[schema_index(k)]) || (g != NULL && c->gset[schema_index(g)]);
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

/*
 * user and group (either may be unset) to ids, for the global keys or a
 * service's: where is the group whose lines errors name.
 */
static int
resolve_identity(struct ctx *c, const config_setting_t *where, const char *user,
    const char *group, struct identity *id)
{
	if (user != NULL) {
		struct passwd *pw;
		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL)
			return fail_at(c, member_or(where, "user"),
			    "unknown user \"%s\"%s%s", user, errno ? ": " : "",
			    errno ? strerror(errno) : "");
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
		id->drop = true;
	}
	if (group != NULL) {
		struct group *gr;
		errno = 0;
		gr = getgrnam(group);
		if (gr == NULL)
			return fail_at(c, member_or(where, "group"),
			    "unknown group \"%s\"%s%s", group, errno ? ": " : "",
			    errno ? strerror(errno) : "");
		id->gid = gr->gr_gid;
		if (user == NULL)
			id->uid = getuid();
		id->drop = true;
	}
	return 0;
}

/*
 * groups = true: the user's groups from the group database, read here as
 * initgroups(3) reads them, so that a chrooted worker needs no /etc/group
 * and a reload picks up a changed membership.
 */
static int
resolve_groups(struct ctx *c, const config_setting_t *svc, struct service_config *s)
{
	int n = 16;

	if (!s->groups)
		return 0;
	if (s->user == NULL)
		return fail_at(c, member_or(svc, "groups"),
		    "service \"%s\": groups = true needs a user (whose groups?)", s->name);
	for (;;) {
		gid_t *v = realloc(s->id.groups, (size_t)n * sizeof(*v));
		int want = n;
		if (v == NULL)
			return fail_at(c, svc, "out of memory");
		s->id.groups = v;
		if (getgrouplist(s->user, s->id.gid, v, &want) != -1) {
			s->id.ngroups = (size_t)want;
			return 0;
		}
		if (want <= n)	/* glibc says how many it needs; anything else is odd */
			return fail_at(c, member_or(svc, "groups"),
			    "service \"%s\": the groups of user \"%s\" cannot be read", s->name, s->user);
		n = want;
	}
}

static bool
valid_service_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
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

static int
load_acl(struct ctx *c, const config_setting_t *svc, const char *key,
    struct service_config *s, struct cidr **out, size_t *n)
{
	const config_setting_t *list = config_setting_get_member(svc, key);
	char msg[256];
	int len;

	*out = NULL;
	*n = 0;
	if (list == NULL || (len = config_setting_length(list)) == 0)
		return 0;
	*out = calloc((size_t)len, sizeof(**out));
	if (*out == NULL)
		return fail_at(c, list, "out of memory");
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		if (cidr_parse(config_setting_get_string(e), &(*out)[i], msg, sizeof(msg)) == -1)
			return fail_at(c, e, "service \"%s\": %s: %s", s->name, key, msg);
		(*n)++;
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

/* "qotd" or "handlers a, b": who declares key, for the message. */
static void
declared_by(const char *key, char *buf, size_t len)
{
	size_t n = 0, used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < handler_count(); i++)
		n += keys_find(handler_at(i)->keys, handler_at(i)->nkeys, key) != NULL;
	used = (size_t)snprintf(buf, len, "handler%s ", n > 1 ? "s" : "");
	for (size_t i = 0, k = 0; i < handler_count() && used < len; i++) {
		const struct handler *h = handler_at(i);
		if (keys_find(h->keys, h->nkeys, key) == NULL)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", k++ > 0 ? ", " : "", h->name);
	}
}

/* Handler keys nobody set: their defaults, the sub keys of groups included. */
static int
handler_defaults(const struct config_key *keys, size_t n, void *base, const config_setting_t *group)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		const config_setting_t *st = group != NULL ? config_setting_get_member(group, k->name) : NULL;

		if (k->type == TYPE_GROUP && k->sub != NULL) {
			if (handler_defaults(k->sub, k->nsub, at(base, k->offset), st) == -1)
				return -1;
		} else if (st == NULL && store_default(k, k->def, SCOPE_SERVICE, base) == -1)
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

		if (name == NULL || schema_find(name, SCOPE_SERVICE) != NULL)
			continue;
		k = keys_find(h->keys, h->nkeys, name);
		if (k == NULL) {
			declared_by(name, who, sizeof(who));
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

/* The keys of a TCP connection: a UDP service setting one is told so on its line. */
static const char *const tcp_only_keys[] = {
	"proxy_from", "keepalive", "keepalive_idle", "keepalive_interval", "keepalive_count",
};
static const char *const keepalive_timers[] = {
	"keepalive_idle", "keepalive_interval", "keepalive_count",
};

static bool
service_set(const bool set[SCHEMA_MAX], const char *name)
{
	return set[schema_index(schema_find(name, SCOPE_SERVICE))];
}

/*
 * proxy_from and keepalive concern TCP connections; the keepalive timers
 * mean nothing without keepalive. An interface must exist now: binding
 * to a name that is not there would fail at bind, or worse, in another
 * daemon, bind to every address (xinetd's openSUSE#20).
 */
static int
check_socket_keys(struct ctx *c, const config_setting_t *svc, const struct service_config *s,
    const bool set[SCHEMA_MAX])
{
	for (size_t i = 0; i < sizeof(tcp_only_keys) / sizeof(tcp_only_keys[0]); i++)
		if (s->protocol == PROTO_UDP && service_set(set, tcp_only_keys[i]))
			return fail_at(c, config_setting_get_member(svc, tcp_only_keys[i]),
			    "service \"%s\": %s applies to TCP services only", s->name, tcp_only_keys[i]);
	for (size_t i = 0; i < sizeof(keepalive_timers) / sizeof(keepalive_timers[0]); i++)
		if (!s->keepalive && service_set(set, keepalive_timers[i]))
			return fail_at(c, config_setting_get_member(svc, keepalive_timers[i]),
			    "service \"%s\": %s needs keepalive = true", s->name, keepalive_timers[i]);
	if (s->interface == NULL)
		return 0;
	if (s->interface[0] == '\0' || strlen(s->interface) >= IF_NAMESIZE ||
	    if_nametoindex(s->interface) == 0)
		return fail_at(c, config_setting_get_member(svc, "interface"),
		    "service \"%s\": unknown interface \"%s\"", s->name, s->interface);
	return 0;
}

static int
load_service(struct ctx *c, const config_setting_t *svc, const struct config *cfg,
    struct service_config *s)
{
	bool set[SCHEMA_MAX] = { false };

	s->line = config_setting_source_line(svc);
	if (config_setting_type(svc) != CONFIG_TYPE_GROUP)
		return fail_at(c, svc, "each entry of \"services\" must be a group { ... }");
	if (load_group(c, svc, SCOPE_SERVICE, s, set) == -1)
		return -1;
	if (require(c, svc, s->name, "name", NULL) == -1)
		return -1;
	if (!valid_service_name(s->name))
		return fail_at(c, config_setting_get_member(svc, "name"),
		    "service name \"%s\" must be 1-32 characters of A-Z a-z 0-9 . _ -", s->name);
	if (require(c, svc, s->protocol_name, "protocol", s->name) == -1 ||
	    require(c, svc, s->handler_name, "handler", s->name) == -1 ||
	    require(c, svc, s->port ? &s->port : NULL, "port", s->name) == -1)
		return -1;
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
	    s->handler->serve_udp_socket == NULL)
		return fail_at(c, config_setting_get_member(svc, "handler"),
		    "service \"%s\": handler %s serves TCP only", s->name, s->handler_name);
	if (apply_defaults(c, SCOPE_SERVICE, s, set, cfg) == -1)
		return fail_at(c, svc, "out of memory");
	if (parse_address(c, member_or(svc, "address"), s) == -1)
		return -1;
	/* an adaptive pool nobody sized is never below workers */
	if (!was_set(c, set, "max_workers", SCOPE_SERVICE) && s->max_workers < s->workers)
		s->max_workers = s->workers;
	if (s->protocol == PROTO_TCP && (set[schema_index(schema_find("udp_rate", SCOPE_SERVICE))] ||
	    set[schema_index(schema_find("udp_burst", SCOPE_SERVICE))]))
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
	if (load_acl(c, svc, "allow", s, &s->allow, &s->nallow) == -1 ||
	    load_acl(c, svc, "deny", s, &s->deny, &s->ndeny) == -1 ||
	    load_acl(c, svc, "proxy_from", s, &s->proxy_from, &s->nproxy_from) == -1)
		return -1;
	if (check_socket_keys(c, svc, s, set) == -1)
		return -1;
	if (resolve_identity(c, svc, s->user, s->group, &s->id) == -1 ||
	    resolve_groups(c, svc, s) == -1)
		return -1;
	return load_handler_keys(c, svc, s);
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

/*
 * A program runs as its service's user. Were that the user of a built-in
 * service's workers, the program could stop, trace or kill them, so it is
 * refused unless the exec service says share_user = true. Not concerned:
 * root (a root program can do anything in any case) and identities not
 * chosen (netsrvd not started as root has no other user to give).
 */
static int
check_program_users(struct ctx *c, const config_setting_t *list, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];

		if (!s->enabled || !s->handler->runs_programs || !s->id.drop || s->id.uid == 0 ||
		    s->share_user)
			continue;
		for (size_t j = 0; j < cfg->nservices; j++) {
			const struct service_config *o = &cfg->services[j];
			if (!o->enabled || o->handler->runs_programs || !o->id.drop || o->id.uid != s->id.uid)
				continue;
			return fail_at(c, member_or(config_setting_get_elem(list, (unsigned)i), "user"),
			    "service \"%s\": its programs would run as user %s (uid %ld), as the workers of service \"%s\" (line %d) do, and could stop or kill them; give it a user of its own (user = \"...\"), or set share_user = true if that is meant",
			    s->name, s->user != NULL ? s->user : "netsrvd's", (long)s->id.uid,
			    o->name, o->line);
		}
	}
	return 0;
}

static int
load_services(struct ctx *c, const config_setting_t *root, struct config *cfg)
{
	const config_setting_t *list = config_setting_get_member(root, "services");
	int n;

	if (list == NULL)
		return fail_at(c, NULL, "no \"services\" list: nothing to serve (is the file empty or truncated?)");
	n = config_setting_length(list);
	/*
	 * An empty list is a file cut short, never a choice: one whose
	 * services are all disabled is (config_enabled_services() == 0).
	 */
	if (n == 0)
		return fail_at(c, list, "empty \"services\" list: nothing to serve (is the file truncated?)");
	if ((cfg->services = calloc((size_t)n, sizeof(*cfg->services))) == NULL)
		return fail_at(c, list, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *svc = config_setting_get_elem(list, (unsigned)i);
		struct service_config *s = &cfg->services[i];

		cfg->nservices++;
		if (load_service(c, svc, cfg, s) == -1)
			return -1;
		for (int j = 0; j < i; j++) {
			const struct service_config *o = &cfg->services[j];
			if (strcmp(o->name, s->name) == 0)
				return fail_at(c, config_setting_get_member(svc, "name"),
				    "duplicate service name \"%s\" (first defined on line %d)",
				    s->name, o->line);
			if (s->enabled && o->enabled && services_overlap(s, o))
				return fail_at(c, svc,
				    "service \"%s\": %s %s port %d overlaps service \"%s\" (%s %s port %d, line %d)",
				    s->name, s->protocol_name, s->address, s->port, o->name,
				    o->protocol_name, o->address, o->port, o->line);
		}
	}
	return check_program_users(c, list, cfg);
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
	if (load_log(c, root, cfg) == -1 ||
	    resolve_identity(c, root, cfg->user, cfg->group, &cfg->id) == -1)
		return -1;
	return load_services(c, root, cfg);
}

static struct config *
finish(config_t *lc, int parsed, const char *text, const char *name, char *err, size_t errlen)
{
	struct ctx c = { .file = name, .err = err, .errlen = errlen };
	struct config *cfg;

	if (!parsed) {
		char why[CONFIG_ERR_MAX];
		/* @include is refused before parsing: the error is in text */
		config_error_describe(text, config_error_line(lc), config_error_text(lc), why, sizeof(why));
		if (config_error_line(lc) > 0)
			snprintf(err, errlen, "%s:%d: %s", config_error_file(lc) ?
			    config_error_file(lc) : name, config_error_line(lc), why);
		else
			snprintf(err, errlen, "%s: %s", name, config_error_text(lc));
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

/*
 * @include is refused: libconfig 1.5 calls exit(2) when an included path
 * is a directory (its flex scanner fails), which would take a running
 * master down on SIGHUP, and an included file escapes every check here.
 */
static int
refuse_includes(const char *text, const char *name, char *err, size_t errlen)
{
	int line = 1;

	for (const char *p = text; *p != '\0'; line++) {
		const char *q = p + strspn(p, " \t");
		if (strncmp(q, "@include", 8) == 0) {
			snprintf(err, errlen, "%s:%d: @include is not supported: keep the whole configuration in one file",
			    name, line);
			return -1;
		}
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return 0;
}

/* The setting an integer literal belongs to, for the message; NULL inside an array. */
static const struct config_key *
int_key_named(const char *name, size_t len)
{
	/* a key with the same name has the same range in every scope */
	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].type == TYPE_INT && strlen(config_schema[i].name) == len &&
		    strncmp(config_schema[i].name, name, len) == 0)
			return &config_schema[i];
	for (size_t i = 0; i < handler_count(); i++)
		for (size_t j = 0; j < handler_at(i)->nkeys; j++) {
			const struct config_key *k = &handler_at(i)->keys[j];
			if (k->type == TYPE_INT && strlen(k->name) == len && strncmp(k->name, name, len) == 0)
				return k;
		}
	return NULL;
}

/*
 * Whether the literal tok (len bytes) is an integer libconfig would store
 * without wrapping: in 32 bits, or 64 with an L suffix. Anything that is
 * not an integer literal (a float, a syntax error) is libconfig's to judge.
 */
static bool
integer_fits(const char *tok, size_t len)
{
	char buf[64];
	size_t skip = 0;
	bool wide = false, hex;

	while (len > 0 && tok[len - 1] == 'L') {
		len--;
		wide = true;
	}
	hex = len > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X');
	if (hex)
		skip = 2;
	else if (len > 0 && (tok[0] == '-' || tok[0] == '+'))
		skip = 1;
	if (len == skip)
		return true;	/* not an integer literal */
	for (size_t i = skip; i < len; i++)
		if (!(tok[i] >= '0' && tok[i] <= '9') &&
		    !(hex && strchr("abcdefABCDEF", tok[i]) != NULL))
			return true;	/* nor this: a float, or libconfig's syntax error */
	if (len >= sizeof(buf))
		return false;	/* 60-odd digits */
	memcpy(buf, tok, len);
	buf[len] = '\0';
	errno = 0;
	if (hex) {
		unsigned long long u = strtoull(buf + 2, NULL, 16);
		return errno == 0 && u <= (wide ? (unsigned long long)LLONG_MAX : (unsigned long long)INT_MAX);
	}
	long long v = strtoll(buf, NULL, 10);
	return errno == 0 && (wide || (v >= INT_MIN && v <= INT_MAX));
}

/* Skips a string, a comment or a space at p; returns where it ends, counting lines. */
static const char *
skip_inert(const char *p, int *line)
{
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			*line += *p == '\n';
		}
		return *p == '"' ? p + 1 : p;
	}
	if (*p == '#' || (p[0] == '/' && p[1] == '/'))
		return p + strcspn(p, "\n");
	if (p[0] == '/' && p[1] == '*') {
		for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
			*line += *p == '\n';
		return *p != '\0' ? p + 2 : p;
	}
	*line += *p == '\n';
	return p + 1;
}

/*
 * libconfig 1.5 converts integer literals with no range check: 4294988303
 * becomes 21007, 99999999999999999999 becomes -1, 0x100000000 becomes 0, so
 * no check on the parsed value can see them. Read the literals in the
 * text first: one that does not fit is named with its key and line.
 */
static int
refuse_wrapping_integers(const char *text, const char *name, char *err, size_t errlen)
{
	const char *key = NULL;
	size_t keylen = 0;
	int line = 1, keyline = 0;
	bool after_key = false;	/* the last token was the "=" or ":" after key */

	for (const char *p = text; *p != '\0';) {
		const char *q = p;
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '*') {
			q += strspn(q, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*-");
			key = p;
			keylen = (size_t)(q - p);
			keyline = line;
			after_key = false;
		} else if ((*p >= '0' && *p <= '9') || ((*p == '-' || *p == '+') && p[1] >= '0' && p[1] <= '9')) {
			q += 1 + strspn(q + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.");
			if (!integer_fits(p, (size_t)(q - p))) {
				const struct config_key *k = after_key ? int_key_named(key, keylen) : NULL;
				if (k != NULL)
					snprintf(err, errlen, "%s:%d: \"%s\" is %.*s, out of range %lld-%lld",
					    name, keyline, k->name, (int)(q - p), p, k->min, k->max);
				else
					snprintf(err, errlen, "%s:%d: integer %.*s does not fit in %s",
					    name, after_key ? keyline : line, (int)(q - p), p,
					    q[-1] == 'L' ? "64 bits" : "32 bits (append L for 64 bits)");
				return -1;
			}
			after_key = false;
		} else if ((*p == '=' || *p == ':') && key != NULL) {
			after_key = true;
			q++;
		} else {
			/* spaces and comments keep it; a string or punctuation ends it */
			if (strchr("\",;[](){}", *p) != NULL)
				after_key = false;
			q = skip_inert(p, &line);
		}
		p = q;
	}
	return 0;
}

struct config *
config_parse_string(const char *text, const char *name, char *err, size_t errlen)
{
	config_t lc;

	if (refuse_includes(text, name, err, errlen) == -1 ||
	    refuse_wrapping_integers(text, name, err, errlen) == -1)
		return NULL;
	config_init(&lc);
	return finish(&lc, config_read_string(&lc, text) == CONFIG_TRUE, text, name, err, errlen);
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	config_t lc;
	char *data;
	size_t size;

	/* read it ourselves: libconfig reports a missing file without errno */
	if (util_read_file(path, 16u << 20, &data, &size) == -1) {
		snprintf(err, errlen, "%s: cannot read configuration: %s", path,
		    errno == EFBIG ? "larger than 16 MiB" :
		    errno == EINVAL ? "not a regular file" : strerror(errno));
		return NULL;
	}
	if (memchr(data, '\0', size) != NULL) {
		snprintf(err, errlen, "%s: not a text file (NUL byte)", path);
		free(data);
		return NULL;
	}
	if (refuse_includes(data, path, err, errlen) == -1 ||
	    refuse_wrapping_integers(data, path, err, errlen) == -1) {
		free(data);
		return NULL;
	}
	config_init(&lc);
	int ok = config_read_string(&lc, data) == CONFIG_TRUE;
	struct config *cfg = finish(&lc, ok, data, path, err, errlen);
	free(data);
	return cfg;
}

static void
service_free(struct service_config *s)
{
	free(s->name);
	free(s->protocol_name);
	free(s->address);
	free(s->handler_name);
	free(s->user);
	free(s->group);
	free(s->id.groups);
	free(s->allow);
	free(s->deny);
	free(s->proxy_from);
	free(s->interface);
	if (s->handler != NULL) {
		if (s->handler->release != NULL)
			s->handler->release(s);
		if (s->hconf != NULL)
			keys_free(s->handler->keys, s->handler->nkeys, s->hconf);
	}
	free(s->hconf);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nservices; i++)
		service_free(&cfg->services[i]);
	free(cfg->services);
	free(cfg->path);
	free(cfg->user);
	free(cfg->group);
	free(cfg->pid_file);
	free(cfg->chroot_dir);
	free(cfg->log.target);
	free(cfg->log.facility_name);
	free(cfg->log.level_name);
	free(cfg);
}

size_t
config_enabled_services(const struct config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nservices; i++)
		n += cfg->services[i].enabled;
	return n;
}

/* Appends an entry to report, whole entries only, "; " between them. */
static void
report_add(char *report, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
report_add(char *report, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(report, len);
	char entry[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(entry, sizeof(entry), fmt, ap);
	va_end(ap);
	if (used + (used > 0 ? 2 : 0) + strlen(entry) < len)
		snprintf(report + used, len - used, "%s%s", used > 0 ? "; " : "", entry);
}

/* Whether k's stored value differs from a to b; if so, both go into report. */
static bool
key_changed(const struct config_key *k, const void *a, const void *b, const char *prefix,
    char *report, size_t len)
{
	switch (k->type) {
	case TYPE_INT: {
		long long x = int_get(k, a), y = int_get(k, b);
		if (x == y)
			return false;
		report_add(report, len, "%s%s: %lld -> %lld", prefix, k->name, x, y);
		return true;
	}
	case TYPE_BOOL: {
		bool x = *(const bool *)at_const(a, k->offset), y = *(const bool *)at_const(b, k->offset);
		if (x == y)
			return false;
		report_add(report, len, "%s%s: %s -> %s", prefix, k->name, x ? "true" : "false",
		    y ? "true" : "false");
		return true;
	}
	case TYPE_STRING: {
		const char *x = *(char *const *)at_const(a, k->offset);
		const char *y = *(char *const *)at_const(b, k->offset);
		if ((x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0))
			return false;
		report_add(report, len, "%s%s: %s%s%s -> %s%s%s", prefix, k->name,
		    x ? "\"" : "", x ? x : "(none)", x ? "\"" : "",
		    y ? "\"" : "", y ? y : "(none)", y ? "\"" : "");
		return true;
	}
	default:
		return false;	/* lists and groups: no row that holds one is non-reloadable yet */
	}
}

static size_t
scope_changes(enum config_scope scope, const void *a, const void *b, const char *prefix,
    char *report, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (k->scope == scope && !k->reloadable && stored(k, false))
			n += key_changed(k, a, b, prefix, report, len);
	}
	return n;
}

size_t
config_reload_changes(const struct config *old, const struct config *new, char *report, size_t len)
{
	char prefix[64];
	size_t n = 0;

	if (len > 0)
		report[0] = '\0';
	n += scope_changes(SCOPE_GLOBAL, old, new, "", report, len);
	n += scope_changes(SCOPE_LOG, &old->log, &new->log, "log.", report, len);
	for (size_t i = 0; i < old->nservices; i++)
		for (size_t j = 0; j < new->nservices; j++) {
			const struct service_config *a = &old->services[i], *b = &new->services[j];
			const struct handler *h = a->handler;

			if (strcmp(a->name, b->name) != 0)
				continue;
			snprintf(prefix, sizeof(prefix), "service %s: ", a->name);
			n += scope_changes(SCOPE_SERVICE, a, b, prefix, report, len);
			/* a handler's own keys, when both generations run the same handler */
			if (h == b->handler && a->hconf != NULL && b->hconf != NULL)
				for (size_t k = 0; k < h->nkeys; k++)
					if (!h->keys[k].reloadable && stored(&h->keys[k], true))
						n += key_changed(&h->keys[k], a->hconf, b->hconf,
						    prefix, report, len);
		}
	return n;
}
