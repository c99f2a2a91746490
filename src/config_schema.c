/* netsrv.conf's schema: the table of keys, its lookups, and where a row's value lives. */
#include "autoconfig.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_schema.h"
#include "config_types.h"
#include "handler.h"
#include "logpeer.h"
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
/* A string key of fixed words (ch, NULL-terminated; ex lists them for messages). */
#define KC(n, sc, d, inh, off, ch, ex) \
	{ .name = (n), .scope = (sc), .type = TYPE_STRING, .def = (d), .reloadable = true, \
	  .inherit = (inh), .offset = (off), .choices = (ch), .expects = (ex) }

#define T(field) offsetof(struct tls_conf, field)

static const char *const verify_words[] = { "none", "optional", "require", NULL };
static const char *const version_words[] = { "1.2", "1.3", NULL };

/* the tls group's rows (config_tls.c checks them together), offsets into struct tls_conf */
const struct config_key config_tls_keys[CONFIG_TLS_NKEYS] = {
	{ .name = "certificate", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .reloadable = true,
	  .offset = T(certificate) },
	{ .name = "key", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .reloadable = true, .offset = T(key) },
	{ .name = "client_ca", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .reloadable = true,
	  .offset = T(client_ca) },
	{ .name = "verify_client", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .def = "none",
	  .reloadable = true, .offset = T(verify_client), .choices = verify_words,
	  .expects = "one of \"none\", \"optional\", \"require\"" },
	{ .name = "min_version", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .def = "1.2",
	  .reloadable = true, .offset = T(min_version), .choices = version_words,
	  .expects = "one of \"1.2\", \"1.3\"" },
	{ .name = "ciphers", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .reloadable = true,
	  .offset = T(ciphers) },
	{ .name = "ciphersuites", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .reloadable = true,
	  .offset = T(ciphersuites) },
	{ .name = "alpn", .scope = SCOPE_SERVICE, .type = TYPE_STRING_LIST, .reloadable = true,
	  .offset = T(alpn) },
};

#define CG(field) offsetof(struct cgroup_conf, field)

/* netsrv.conf's `cgroup = { ... }` (confine_conf.h): unset, the kernel's own */
const struct config_key config_cgroup_keys[CONFIG_CGROUP_NKEYS] = {
	{ .name = "memory_max", .scope = SCOPE_SERVICE, .type = TYPE_INT, .wide = true, .min = 1048576,
	  .max = LLONG_MAX, .def = "-1", .reloadable = true, .offset = CG(memory_max) },
	{ .name = "pids_max", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 1, .max = 4194304,
	  .def = "-1", .reloadable = true, .offset = CG(pids_max) },
	{ .name = "cpu_weight", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 1, .max = 10000,
	  .def = "-1", .reloadable = true, .offset = CG(cpu_weight) },
};

static const char *const protect_words[] = { "full", "strict", NULL };
static const char *const filter_words[] = { "system-service", NULL };

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
	/* TCP connections a second, each a bucket with a second's burst; 0 = off (worker.c) */
	K("connection_rate", SCOPE_GLOBAL, TYPE_INT, 0, 1000000, "0", true, false, G(connection_rate)),
	K("connection_rate_per_source", SCOPE_GLOBAL, TYPE_INT, 0, 1000000, "0", true, false,
	    G(connection_rate_per_source)),
	K("lookup_timeout", SCOPE_GLOBAL, TYPE_INT, 1, 60000, "2000", true, false, G(lookup_timeout)),
	/* ms from the accept (or the PROXY header) to the end of a TLS handshake */
	K("handshake_timeout", SCOPE_GLOBAL, TYPE_INT, 1, 600000, "5000", true, false, G(handshake_timeout)),
	/* drop-ins: config_dropin.c; read again at every reload */
	K("include_dir", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, false, G(include_dir)),
	/* packages' update-inetd entries: config_inetd.c; read again at every reload */
	K("inetd_conf", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, false, G(inetd_conf)),
	K("chroot", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, false, G(chroot_dir)),
	K("seccomp", SCOPE_GLOBAL, TYPE_BOOL, 0, 0, "true", true, false, G(seccomp)),
	/* how much of a client's address the access log and the status table keep: logpeer.h */
	KC("log_peer", SCOPE_GLOBAL, "full", false, G(log_peer), logpeer_choices, LOGPEER_EXPECTS),

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
	K("connection_rate", SCOPE_SERVICE, TYPE_INT, 0, 1000000, NULL, true, INHERIT, S(connection_rate)),
	K("connection_rate_per_source", SCOPE_SERVICE, TYPE_INT, 0, 1000000, NULL, true, INHERIT,
	    S(connection_rate_per_source)),
	K("lookup_timeout", SCOPE_SERVICE, TYPE_INT, 1, 60000, NULL, true, INHERIT, S(lookup_timeout)),
	K("handshake_timeout", SCOPE_SERVICE, TYPE_INT, 1, 600000, NULL, true, INHERIT, S(handshake_timeout)),
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
	/* TCP: hosts.allow and hosts.deny for this daemon name, by libwrap (wrappers.c) */
	K("tcp_wrappers", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(tcp_wrappers)),
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
	KC("log_peer", SCOPE_SERVICE, NULL, INHERIT, S(log_peer), logpeer_choices, LOGPEER_EXPECTS),
	/* TCP: files read whole at load, sent to a client (banner.c) */
	K("banner", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(banner_file)),
	K("banner_success", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(banner_success_file)),
	K("banner_fail", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(banner_fail_file)),
	/* TCP: refused while the 1-minute load average is above it (worker.c); 0 = off */
	K("max_load", SCOPE_SERVICE, TYPE_FLOAT, 0, 1000000, "0", true, false, S(max_load)),
	/* TCP: TLS on the connection (config_tls.c keys, tls_ctx.c builds the context) */
	{ .name = "tls", .scope = SCOPE_SERVICE, .type = TYPE_GROUP, .reloadable = true,
	  .offset = S(tls), .sub = config_tls_keys, .nsub = CONFIG_TLS_NKEYS },
	/*
	 * Confinement (confine_conf.h; checked whole in config_confine.c,
	 * applied by confine.c in the worker and cgroup.c): systemd.exec's
	 * sandbox, named in netsrv.conf(5) beside each key.
	 */
	K("no_new_privileges", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "false", true, false, S(confine.no_new_privileges)),
	K("capabilities", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, NULL, true, false, S(confine.capabilities)),
	K("chroot", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, false, S(confine.chroot)),
	K("read_only_paths", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, NULL, true, false, S(confine.read_only_paths)),
	K("read_write_paths", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, NULL, true, false, S(confine.read_write_paths)),
	K("inaccessible_paths", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, NULL, true, false,
	    S(confine.inaccessible_paths)),
	K("private_tmp", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "false", true, false, S(confine.private_tmp)),
	KC("protect_system", SCOPE_SERVICE, NULL, false, S(confine.protect_system), protect_words,
	    "one of \"full\", \"strict\""),
	K("protect_home", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "false", true, false, S(confine.protect_home)),
	KC("syscall_filter", SCOPE_SERVICE, NULL, false, S(confine.syscall_filter), filter_words,
	    "\"system-service\""),
	/* no default: unset, they keep the worker's (config_confine.c: nice_set, umask_mode) */
	K("nice", SCOPE_SERVICE, TYPE_INT, -20, 19, NULL, true, false, S(confine.nice)),
	{ .name = "umask", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .reloadable = true,
	  .expects = "an octal mode in quotes (umask = \"0022\")", .offset = S(confine.umask) },
	{ .name = "cgroup", .scope = SCOPE_SERVICE, .type = TYPE_GROUP, .reloadable = true,
	  .offset = S(confine.cgroup), .sub = config_cgroup_keys, .nsub = CONFIG_CGROUP_NKEYS },
};
const size_t config_schema_len = sizeof(config_schema) / sizeof(config_schema[0]);

_Static_assert(sizeof(config_schema) / sizeof(config_schema[0]) <= SCHEMA_MAX,
    "SCHEMA_MAX holds a flag per schema row");

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
config_type_name(enum config_type t)
{
	switch (t) {
	case TYPE_INT: return "an integer";
	case TYPE_FLOAT: return "a number";
	case TYPE_BOOL: return "true or false";
	case TYPE_STRING: return "a string";
	case TYPE_STRING_LIST: return "a list of strings";
	case TYPE_GROUP: return "a group { ... }";
	case TYPE_SERVICE_LIST: return "a list of service groups ( { ... }, ... )";
	}
	return "?";
}

const char *
config_key_expects(const struct config_key *k)
{
	return k->expects != NULL ? k->expects : config_type_name(k->type);
}

bool
config_key_choice_ok(const struct config_key *k, const char *str)
{
	if (k->choices == NULL)
		return true;
	for (size_t i = 0; str != NULL && k->choices[i] != NULL; i++)
		if (strcmp(str, k->choices[i]) == 0)
			return true;
	return false;
}

const struct config_key *
config_schema_find(const char *name, enum config_scope scope)
{
	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].scope == scope && strcmp(config_schema[i].name, name) == 0)
			return &config_schema[i];
	return NULL;
}

size_t
config_schema_index(const struct config_key *k)
{
	return (size_t)(k - config_schema);
}

const struct config_key *
config_keys_find(const struct config_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

const struct config_key *
config_handler_key_find(const char *name)
{
	for (size_t i = 0; i < handler_count(); i++) {
		const struct handler *h = handler_at(i);
		const struct config_key *k = config_keys_find(h->keys, h->nkeys, name);
		if (k != NULL)
			return k;
	}
	return NULL;
}

const struct config_key *
config_key_find(const char *name, enum config_scope scope)
{
	const struct config_key *k = config_schema_find(name, scope);

	if (k == NULL && scope == SCOPE_SERVICE)
		k = config_handler_key_find(name);
	return k;
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

const char *
config_key_closest(const char *name, enum config_scope scope)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].scope == scope)
			closest(name, config_schema[i].name, &best, &bestd);
	for (size_t i = 0; scope == SCOPE_SERVICE && i < handler_count(); i++)
		for (size_t j = 0; j < handler_at(i)->nkeys; j++)
			closest(name, handler_at(i)->keys[j].name, &best, &bestd);
	return best;
}

void
config_key_declared_by(const char *key, char *buf, size_t len)
{
	size_t n = 0, used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < handler_count(); i++)
		n += config_keys_find(handler_at(i)->keys, handler_at(i)->nkeys, key) != NULL;
	used = (size_t)snprintf(buf, len, "handler%s ", n > 1 ? "s" : "");
	for (size_t i = 0, k = 0; i < handler_count() && used < len; i++) {
		const struct handler *h = handler_at(i);
		if (config_keys_find(h->keys, h->nkeys, key) == NULL)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", k++ > 0 ? ", " : "", h->name);
	}
}

const struct config_key *
config_int_key_named(const char *name, size_t len)
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

bool
config_key_stored(const struct config_key *k, bool handler_key)
{
	return k->type == TYPE_INT || k->type == TYPE_FLOAT || k->type == TYPE_BOOL || k->type == TYPE_STRING ||
	    (k->type == TYPE_GROUP && k->sub != NULL) || (k->type == TYPE_STRING_LIST && (handler_key || k->offset != 0));
}

void *
config_key_at(const struct config_key *k, void *base)
{
	return (char *)base + k->offset;
}

const void *
config_key_at_const(const struct config_key *k, const void *base)
{
	return (const char *)base + k->offset;
}

void
config_key_set_int(const struct config_key *k, void *base, long long v)
{
	if (k->wide)
		*(long long *)config_key_at(k, base) = v;
	else
		*(int *)config_key_at(k, base) = (int)v;
}

long long
config_key_int(const struct config_key *k, const void *base)
{
	return k->wide ? *(const long long *)config_key_at_const(k, base) :
	    *(const int *)config_key_at_const(k, base);
}

int
config_key_store_default(const struct config_key *k, const char *def, enum config_scope scope,
    void *base)
{
	const struct config_key *ref;

	if (def == NULL || !config_key_stored(k, false))
		return 0;
	switch (k->type) {
	case TYPE_INT:
		if ((def[0] >= '0' && def[0] <= '9') || def[0] == '-')
			config_key_set_int(k, base, strtoll(def, NULL, 10));
		else if ((ref = config_schema_find(def, scope)) != NULL && ref->type == TYPE_INT)
			*(int *)config_key_at(k, base) = *(int *)config_key_at(ref, base);
		return 0;
	case TYPE_FLOAT:
		*(double *)config_key_at(k, base) = strtod(def, NULL);
		return 0;
	case TYPE_BOOL:
		*(bool *)config_key_at(k, base) = strcmp(def, "true") == 0;
		return 0;
	case TYPE_STRING:
		if (*(char **)config_key_at(k, base) == NULL &&
		    (*(char **)config_key_at(k, base) = strdup(def)) == NULL)
			return -1;
		return 0;
	default:
		return 0;
	}
}

int
config_key_inherit(const struct config_key *k, const struct config_key *g, void *base,
    const void *gbase)
{
	switch (k->type) {
	case TYPE_INT:
		*(int *)config_key_at(k, base) = *(const int *)config_key_at_const(g, gbase);
		return 0;
	case TYPE_BOOL:
		*(bool *)config_key_at(k, base) = *(const bool *)config_key_at_const(g, gbase);
		return 0;
	case TYPE_STRING: {
		const char *v = *(char *const *)config_key_at_const(g, gbase);
		if (v != NULL && (*(char **)config_key_at(k, base) = strdup(v)) == NULL)
			return -1;
		return 0;
	}
	default:
		return 0;
	}
}

void
config_strv_free(struct config_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

void
config_keys_free(const struct config_key *keys, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_key *k = &keys[i];
		if (k->type == TYPE_STRING) {
			free(*(char **)config_key_at(k, base));
			*(char **)config_key_at(k, base) = NULL;
		} else if (k->type == TYPE_STRING_LIST)
			config_strv_free(config_key_at(k, base));
		else if (k->type == TYPE_GROUP && k->sub != NULL)
			config_keys_free(k->sub, k->nsub, config_key_at(k, base));
	}
}
