/* netsrv.conf's schema: the table of keys, its lookups, and where a row's value lives. */
#ifndef NETSRVD_CONFIG_SCHEMA_H
#define NETSRVD_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

enum config_scope { SCOPE_GLOBAL, SCOPE_LOG, SCOPE_SERVICE };
enum config_type { TYPE_INT, TYPE_FLOAT, TYPE_BOOL, TYPE_STRING, TYPE_STRING_LIST, TYPE_GROUP, TYPE_SERVICE_LIST };

#include "config_strv.h"

/*
 * The schema: one row per key a file may hold. The loader, `netsrvd -t`
 * and the documentation test all read this table and the handlers' own
 * (struct handler's keys, same rows, scope SCOPE_SERVICE).
 */
struct config_key {
	const char *name;
	enum config_scope scope;
	enum config_type type;
	long long min, max;	/* TYPE_INT and TYPE_FLOAT (a double) only */
	bool wide;		/* TYPE_INT stored as a long long (byte counts), not an int */
	/*
	 * The default, as documented: a number, true or false, a string, or
	 * the name of a key of the same scope listed above this one, whose
	 * value it takes ("min_spare"). NULL: none. An inherited key's
	 * default is its global row's.
	 */
	const char *def;
	bool reloadable;	/* a SIGHUP applies a change (config_reload_changes) */
	bool inherit;		/* a service that does not set it takes the global key of its name */
	bool required;		/* handler keys: a service of the handler must set it */
	const char *need;	/* handler keys: "a quotes file (...)" for the required message */
	/*
	 * Into struct config, log_config, service_config or a handler's
	 * conf. The core table's lists read by code (allow, deny, proxy_from)
	 * and its log group have none; any other TYPE_STRING_LIST is a struct
	 * config_strv here, a TYPE_GROUP the base of the sub keys' offsets.
	 */
	size_t offset;
	const struct config_key *sub;	/* TYPE_GROUP of a handler: its keys */
	size_t nsub;
	/* TYPE_STRING with fixed words: them (NULL-terminated), and how a message lists them */
	const char *const *choices;
	const char *expects;
};

extern const struct config_key config_schema[];
extern const size_t config_schema_len;
/* The tls group's rows, offsets into struct tls_conf (the schema's `tls` row points here). */
#define CONFIG_TLS_NKEYS 8
extern const struct config_key config_tls_keys[CONFIG_TLS_NKEYS];
/* The `cgroup` group's keys (confine_conf.h) */
#define CONFIG_CGROUP_NKEYS 3
extern const struct config_key config_cgroup_keys[CONFIG_CGROUP_NKEYS];

const char *config_scope_name(enum config_scope s);

/* Which rows of config_schema a scope's group set: a bool per row. */
#define SCHEMA_MAX 96

const char *config_type_name(enum config_type t);
/* What a value of k must be: its words ("one of ...") or its type's name. */
const char *config_key_expects(const struct config_key *k);
/* Whether str (NULL: not a string) is one of k's words; true for a key without any. */
bool config_key_choice_ok(const struct config_key *k, const char *str);

/* A row of the core table (NULL: none), and its index there (for a SCHEMA_MAX set). */
const struct config_key *config_schema_find(const char *name, enum config_scope scope);
size_t config_schema_index(const struct config_key *k);
/* The row of name among n keys (a handler's, a group's sub keys), or NULL. */
const struct config_key *config_keys_find(const struct config_key *keys, size_t n, const char *name);
/* The row of the first handler that declares a key of this name, or NULL. */
const struct config_key *config_handler_key_find(const char *name);
/* A key of scope anywhere in the schema: the core table, or for services a handler's. */
const struct config_key *config_key_find(const char *name, enum config_scope scope);
/* The key of scope (a handler's too, for services) within 2 edits of name, for "did you mean"; or NULL. */
const char *config_key_closest(const char *name, enum config_scope scope);
/* "handler qotd" or "handlers a, b": who declares key, for a message. */
void config_key_declared_by(const char *key, char *buf, size_t len);
/* The TYPE_INT key named by the len bytes at name, in any scope or handler; NULL: none. */
const struct config_key *config_int_key_named(const char *name, size_t len);

/* Whether a row has a value in its struct: allow, deny, proxy_from and log are read by code. */
bool config_key_stored(const struct config_key *k, bool handler_key);
/* Where k's value is in base (struct config, log_config, service_config or a handler's conf). */
void *config_key_at(const struct config_key *k, void *base);
const void *config_key_at_const(const struct config_key *k, const void *base);
/* A TYPE_INT value: an int, or a long long where the row says wide. */
long long config_key_int(const struct config_key *k, const void *base);
void config_key_set_int(const struct config_key *k, void *base, long long v);
/*
 * Stores def, the default of k as the schema writes it, in base: a number,
 * true or false, a string, or for an integer the name of a key of scope
 * whose value (already resolved: it is above k in the table) it copies.
 * -1: out of memory.
 */
int config_key_store_default(const struct config_key *k, const char *def, enum config_scope scope,
    void *base);
/* Copies global row g's value in gbase to service row k in base. -1: out of memory. */
int config_key_inherit(const struct config_key *k, const struct config_key *g, void *base,
    const void *gbase);
void config_strv_free(struct config_strv *v);
/* Frees what the loader stored for keys in base (a handler's conf). */
void config_keys_free(const struct config_key *keys, size_t n, void *base);

#endif
