/* netsrv.conf: the schema, loading it whole, checking it whole. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <libconfig.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "handler.h"
#include "util.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif

#define G(field) offsetof(struct config, field)
#define L(field) offsetof(struct log_config, field)
#define S(field) offsetof(struct service_config, field)

const struct config_key config_schema[] = {
	/* name, scope, type, min, max, default, reloadable, offset */
	{ "user", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, G(user) },
	{ "group", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, G(group) },
	{ "pid_file", SCOPE_GLOBAL, TYPE_STRING, 0, 0, RUNSTATEDIR "/netsrvd.pid", false, G(pid_file) },
	{ "log", SCOPE_GLOBAL, TYPE_GROUP, 0, 0, NULL, true, 0 },
	{ "workers", SCOPE_GLOBAL, TYPE_INT, 1, 4096, "4", true, G(workers) },
	{ "timeout", SCOPE_GLOBAL, TYPE_INT, 0, 86400, "30", true, G(timeout) },
	{ "shutdown_timeout", SCOPE_GLOBAL, TYPE_INT, 0, 3600, "10", true, G(shutdown_timeout) },
	{ "backlog", SCOPE_GLOBAL, TYPE_INT, 1, 65535, "128", true, G(backlog) },
	{ "services", SCOPE_GLOBAL, TYPE_SERVICE_LIST, 0, 0, NULL, true, 0 },
	{ "max_workers", SCOPE_GLOBAL, TYPE_INT, 1, 4096, "32", true, G(max_workers) },
	{ "min_spare", SCOPE_GLOBAL, TYPE_INT, 0, 4096, "0", true, G(min_spare) },
	{ "max_spare", SCOPE_GLOBAL, TYPE_INT, 0, 4096, "min_spare", true, G(max_spare) },
	{ "max_connections_per_worker", SCOPE_GLOBAL, TYPE_INT, 0, 100000000, "0", true, G(max_connections_per_worker) },
	{ "max_per_source", SCOPE_GLOBAL, TYPE_INT, 0, 4096, "8", true, G(max_per_source) },
	{ "udp_rate", SCOPE_GLOBAL, TYPE_INT, 0, 1000000, "200", true, G(udp_rate) },
	{ "udp_burst", SCOPE_GLOBAL, TYPE_INT, 0, 1000000, "udp_rate", true, G(udp_burst) },
	{ "chroot", SCOPE_GLOBAL, TYPE_STRING, 0, 0, NULL, true, G(chroot_dir) },
	{ "seccomp", SCOPE_GLOBAL, TYPE_BOOL, 0, 0, "true", true, G(seccomp) },

	{ "target", SCOPE_LOG, TYPE_STRING, 0, 0, NULL, true, L(target) },
	{ "facility", SCOPE_LOG, TYPE_STRING, 0, 0, "daemon", true, L(facility_name) },
	{ "level", SCOPE_LOG, TYPE_STRING, 0, 0, "info", true, L(level_name) },
	{ "connections", SCOPE_LOG, TYPE_BOOL, 0, 0, "false", true, L(connections) },

	{ "name", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, S(name) },
	{ "protocol", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, S(protocol_name) },
	{ "address", SCOPE_SERVICE, TYPE_STRING, 0, 0, "*", true, S(address) },
	{ "port", SCOPE_SERVICE, TYPE_INT, 1, 65535, NULL, true, S(port) },
	{ "handler", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, S(handler_name) },
	{ "workers", SCOPE_SERVICE, TYPE_INT, 1, 4096, NULL, true, S(workers) },
	{ "max_workers", SCOPE_SERVICE, TYPE_INT, 1, 4096, NULL, true, S(max_workers) },
	{ "min_spare", SCOPE_SERVICE, TYPE_INT, 0, 4096, NULL, true, S(min_spare) },
	{ "max_spare", SCOPE_SERVICE, TYPE_INT, 0, 4096, NULL, true, S(max_spare) },
	{ "max_connections_per_worker", SCOPE_SERVICE, TYPE_INT, 0, 100000000, NULL, true, S(max_connections_per_worker) },
	{ "max_per_source", SCOPE_SERVICE, TYPE_INT, 0, 4096, NULL, true, S(max_per_source) },
	{ "udp_rate", SCOPE_SERVICE, TYPE_INT, 0, 1000000, NULL, true, S(udp_rate) },
	{ "udp_burst", SCOPE_SERVICE, TYPE_INT, 0, 1000000, NULL, true, S(udp_burst) },
	{ "timeout", SCOPE_SERVICE, TYPE_INT, 0, 86400, NULL, true, S(timeout) },
	{ "backlog", SCOPE_SERVICE, TYPE_INT, 1, 65535, NULL, true, S(backlog) },
	{ "allow", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, "[]", true, 0 },
	{ "deny", SCOPE_SERVICE, TYPE_STRING_LIST, 0, 0, "[]", true, 0 },
	{ "enabled", SCOPE_SERVICE, TYPE_BOOL, 0, 0, "true", true, S(enabled) },
	{ "quotes", SCOPE_SERVICE, TYPE_STRING, 0, 0, NULL, true, S(quotes_path) },
};
const size_t config_schema_len = sizeof(config_schema) / sizeof(config_schema[0]);

/* Where we are while building: the file's name and the first error. */
struct ctx {
	const char *file;
	char *err;
	size_t errlen;
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

static int
unknown_key(struct ctx *c, const config_setting_t *st, enum config_scope scope)
{
	const char *name = config_setting_name(st);
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < config_schema_len; i++) {
		if (config_schema[i].scope != scope)
			continue;
		size_t d = util_edit_distance(name, config_schema[i].name);
		if (d < bestd) {
			bestd = d;
			best = config_schema[i].name;
		}
	}
	if (best != NULL)
		return fail_at(c, st, "unknown %s setting \"%s\" (did you mean \"%s\"?)",
		    config_scope_name(scope), name, best);
	for (int s = SCOPE_GLOBAL; s <= SCOPE_SERVICE; s++)
		if ((enum config_scope)s != scope && schema_find(name, (enum config_scope)s))
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

/*
 * Checks every key of a group against the schema and stores scalar values
 * at their offset in base. Lists and groups are left to the caller.
 */
static int
load_group(struct ctx *c, const config_setting_t *group, enum config_scope scope, void *base)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *st = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(st);
		const struct config_key *k;

		if (name == NULL)
			return fail_at(c, st, "expected a named setting");
		k = schema_find(name, scope);
		if (k == NULL)
			return unknown_key(c, st, scope);
		if (!type_ok(st, k->type))
			return fail_at(c, st, "\"%s\" must be %s", name, type_name(k->type));
		if (k->type == TYPE_INT) {
			long long v = config_setting_get_int64(st);
			if (v < k->min || v > k->max)
				return fail_at(c, st, "\"%s\" is %lld, out of range %lld-%lld",
				    name, v, k->min, k->max);
			*(int *)(void *)((char *)base + k->offset) = (int)v;
		} else if (k->type == TYPE_BOOL) {
			*(bool *)(void *)((char *)base + k->offset) = config_setting_get_bool(st) != 0;
		} else if (k->type == TYPE_STRING) {
			char **slot = (char **)(void *)((char *)base + k->offset);
			char *v = strdup(config_setting_get_string(st));
			if (v == NULL)
				return fail_at(c, st, "out of memory");
			free(*slot);
			*slot = v;
		}
	}
	return 0;
}

static int
dup_default(char **slot, const char *def)
{
	if (*slot == NULL && def != NULL && (*slot = strdup(def)) == NULL)
		return -1;
	return 0;
}

static int
load_log(struct ctx *c, const config_setting_t *root, struct config *cfg)
{
	const config_setting_t *lg = config_setting_get_member(root, "log");
	struct log_config *l = &cfg->log;
	const config_setting_t *st;

	if (lg != NULL && load_group(c, lg, SCOPE_LOG, l) == -1)
		return -1;
	if (dup_default(&l->facility_name, "daemon") == -1 ||
	    dup_default(&l->level_name, "info") == -1)
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

static int
resolve_identity(struct ctx *c, const config_setting_t *root, struct config *cfg)
{
	if (cfg->user != NULL) {
		struct passwd *pw;
		errno = 0;
		pw = getpwnam(cfg->user);
		if (pw == NULL)
			return fail_at(c, config_setting_get_member(root, "user"),
			    "unknown user \"%s\"%s%s", cfg->user, errno ? ": " : "",
			    errno ? strerror(errno) : "");
		cfg->uid = pw->pw_uid;
		cfg->gid = pw->pw_gid;
		cfg->drop_privileges = true;
	}
	if (cfg->group != NULL) {
		struct group *gr;
		errno = 0;
		gr = getgrnam(cfg->group);
		if (gr == NULL)
			return fail_at(c, config_setting_get_member(root, "group"),
			    "unknown group \"%s\"%s%s", cfg->group, errno ? ": " : "",
			    errno ? strerror(errno) : "");
		cfg->gid = gr->gr_gid;
		if (cfg->user == NULL)
			cfg->uid = getuid();
		cfg->drop_privileges = true;
	}
	return 0;
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
load_service(struct ctx *c, const config_setting_t *svc, const struct config *cfg,
    struct service_config *s)
{
	char qerr[CONFIG_ERR_MAX];

	s->workers = s->timeout = s->backlog = -1;
	s->max_workers = s->min_spare = s->max_spare = -1;
	s->max_connections_per_worker = s->max_per_source = -1;
	s->udp_rate = s->udp_burst = -1;
	s->port = 0;
	s->enabled = true;
	s->line = config_setting_source_line(svc);
	if (config_setting_type(svc) != CONFIG_TYPE_GROUP)
		return fail_at(c, svc, "each entry of \"services\" must be a group { ... }");
	if (load_group(c, svc, SCOPE_SERVICE, s) == -1)
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
	if (s->protocol == PROTO_UDP && s->handler->answer_udp == NULL)
		return fail_at(c, config_setting_get_member(svc, "handler"),
		    "service \"%s\": handler %s serves TCP only", s->name, s->handler_name);
	if (dup_default(&s->address, "*") == -1)
		return fail_at(c, svc, "out of memory");
	if (parse_address(c, config_setting_get_member(svc, "address") ?
	    config_setting_get_member(svc, "address") : svc, s) == -1)
		return -1;
	if (s->workers == -1)
		s->workers = cfg->workers;
	if (s->max_workers == -1 && cfg->max_workers == -1)	/* adaptive, never below workers */
		s->max_workers = s->workers > CONFIG_MAX_WORKERS_DEFAULT ? s->workers :
		    CONFIG_MAX_WORKERS_DEFAULT;
	else if (s->max_workers == -1)
		s->max_workers = cfg->max_workers;
	if (s->min_spare == -1)
		s->min_spare = cfg->min_spare;
	if (s->max_spare == -1)	/* default: back to min_spare idle above workers */
		s->max_spare = cfg->max_spare == -1 ? s->min_spare : cfg->max_spare;
	if (s->max_connections_per_worker == -1)
		s->max_connections_per_worker = cfg->max_connections_per_worker;
	if (s->max_per_source == -1)
		s->max_per_source = cfg->max_per_source;
	if (s->protocol == PROTO_TCP && (s->udp_rate != -1 || s->udp_burst != -1))
		return fail_at(c, config_setting_get_member(svc, s->udp_rate != -1 ? "udp_rate" : "udp_burst"),
		    "service \"%s\": udp_rate and udp_burst apply to UDP services only", s->name);
	if (s->udp_rate == -1)
		s->udp_rate = cfg->udp_rate == -1 ? CONFIG_UDP_RATE_DEFAULT : cfg->udp_rate;
	if (s->udp_burst == -1)
		s->udp_burst = cfg->udp_burst;
	if (s->udp_burst == 0)
		s->udp_burst = s->udp_rate;	/* default: a second's worth */
	if (s->max_workers < s->workers)
		return fail_at(c, config_setting_get_member(svc, "max_workers") ?
		    config_setting_get_member(svc, "max_workers") : svc,
		    "service \"%s\": max_workers %d is below workers %d", s->name,
		    s->max_workers, s->workers);
	if (s->max_spare < s->min_spare)
		return fail_at(c, config_setting_get_member(svc, "max_spare") ?
		    config_setting_get_member(svc, "max_spare") : svc,
		    "service \"%s\": max_spare %d is below min_spare %d", s->name,
		    s->max_spare, s->min_spare);
	if (s->timeout == -1)
		s->timeout = cfg->timeout;
	if (s->backlog == -1)
		s->backlog = cfg->backlog;
	if (load_acl(c, svc, "allow", s, &s->allow, &s->nallow) == -1 ||
	    load_acl(c, svc, "deny", s, &s->deny, &s->ndeny) == -1)
		return -1;
	if (s->handler->needs_quotes && s->quotes_path == NULL)
		return fail_at(c, svc, "service \"%s\": handler %s needs a quotes file (quotes = \"/path/to/quotes\";)",
		    s->name, s->handler_name);
	if (!s->handler->needs_quotes && s->quotes_path != NULL)
		return fail_at(c, config_setting_get_member(svc, "quotes"),
		    "service \"%s\": \"quotes\" is only used by handler qotd, not %s",
		    s->name, s->handler_name);
	if (s->quotes_path != NULL && s->quotes_path[0] != '/' &&
	    relative_to_config(c, &s->quotes_path) == -1)
		return fail_at(c, svc, "out of memory");
	if (s->quotes_path != NULL && quotes_load(s->quotes_path, &s->quotes, qerr, sizeof(qerr)) == -1)
		return fail_at(c, config_setting_get_member(svc, "quotes"),
		    "service \"%s\": %s", s->name, qerr);
	return 0;
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

static int
load_services(struct ctx *c, const config_setting_t *root, struct config *cfg)
{
	const config_setting_t *list = config_setting_get_member(root, "services");
	int n;

	if (list == NULL)
		return fail_at(c, NULL, "no \"services\" list: nothing to serve (is the file empty or truncated?)");
	n = config_setting_length(list);
	if (n > 0 && (cfg->services = calloc((size_t)n, sizeof(*cfg->services))) == NULL)
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
	if (config_enabled_services(cfg) == 0)
		return fail_at(c, list, "no enabled service: nothing to serve");
	return 0;
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

	cfg->workers = 4;
	cfg->timeout = 30;
	cfg->shutdown_timeout = 10;
	cfg->backlog = 128;
	cfg->seccomp = true;
	cfg->max_workers = -1;
	cfg->min_spare = 0;	/* grow only for clients that wait */
	cfg->max_spare = -1;	/* not set: each service's min_spare */
	cfg->max_per_source = CONFIG_MAX_PER_SOURCE_DEFAULT;
	cfg->udp_rate = -1;	/* not set: each UDP service gets CONFIG_UDP_RATE_DEFAULT */
	if (load_group(c, root, SCOPE_GLOBAL, cfg) == -1)
		return -1;
	if (cfg->chroot_dir != NULL && check_chroot(c, root, cfg->chroot_dir) == -1)
		return -1;
	if (cfg->max_workers != -1 && cfg->max_workers < cfg->workers)
		return fail_at(c, config_setting_get_member(root, "max_workers"),
		    "max_workers %d is below workers %d", cfg->max_workers, cfg->workers);
	if (cfg->max_spare != -1 && cfg->max_spare < cfg->min_spare)
		return fail_at(c, config_setting_get_member(root, config_setting_get_member(root, "max_spare") ? "max_spare" : "min_spare"),
		    "max_spare %d is below min_spare %d", cfg->max_spare, cfg->min_spare);
	if (cfg->pid_file != NULL && cfg->pid_file[0] != '/')
		return fail_at(c, config_setting_get_member(root, "pid_file"),
		    "pid_file \"%s\" must be an absolute path", cfg->pid_file);
	if (dup_default(&cfg->pid_file, RUNSTATEDIR "/netsrvd.pid") == -1)
		return fail_at(c, NULL, "out of memory");
	if (load_log(c, root, cfg) == -1 || resolve_identity(c, root, cfg) == -1)
		return -1;
	return load_services(c, root, cfg);
}

static struct config *
finish(config_t *lc, int parsed, const char *name, char *err, size_t errlen)
{
	struct ctx c = { name, err, errlen };
	struct config *cfg;

	if (!parsed) {
		if (config_error_line(lc) > 0)
			snprintf(err, errlen, "%s:%d: %s", config_error_file(lc) ?
			    config_error_file(lc) : name, config_error_line(lc), config_error_text(lc));
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
	return finish(&lc, config_read_string(&lc, text) == CONFIG_TRUE, name, err, errlen);
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
	free(data);
	return finish(&lc, ok, path, err, errlen);
}

static void
service_free(struct service_config *s)
{
	free(s->name);
	free(s->protocol_name);
	free(s->address);
	free(s->handler_name);
	free(s->allow);
	free(s->deny);
	free(s->quotes_path);
	quotes_free(&s->quotes);
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
