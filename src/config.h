/* netsrv.conf: the schema, loading it whole, checking it whole. */
#ifndef NETSRVD_CONFIG_H
#define NETSRVD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "cidr.h"
#include "log.h"

struct handler;

enum proto { PROTO_TCP, PROTO_UDP };

/* Every error message is "FILE:LINE: what is wrong" and fits here. */
#define CONFIG_ERR_MAX 1024

struct log_config {
	char *target;		/* NULL: stderr in the foreground, else syslog */
	char *facility_name;
	int facility;
	char *level_name;
	enum log_level level;
	bool connections;	/* the access log */
};

/* Whom workers run as: a user or group was set (drop), and their ids. */
struct identity {
	uid_t uid;
	gid_t gid;
	bool drop;
	gid_t *groups;		/* groups = true: the user's, as initgroups(3) sets them; else NULL */
	size_t ngroups;
};

struct service_config {
	char *name;
	char *protocol_name;
	enum proto protocol;
	char *address;		/* as written; "*" = every address */
	int port;
	char *handler_name;
	const struct handler *handler;
	int workers;		/* started, and the floor of an adaptive pool */
	int max_workers;	/* the ceiling; = workers: a static pool */
	int min_spare;		/* idle workers wanted, while under the ceiling */
	int max_spare;		/* idle workers above this are retired */
	int max_connections_per_worker;	/* 0 = unlimited */
	int max_per_source;	/* concurrent clients per address (IPv6: /64); 0 = unlimited */
	int udp_rate;		/* UDP replies a second per source; 0 = unlimited */
	int udp_burst;		/* replies a source may save up */
	int timeout;		/* seconds; 0 = none */
	int backlog;
	struct cidr *allow;
	size_t nallow;
	struct cidr *deny;
	size_t ndeny;
	struct cidr *proxy_from;	/* TCP: sources that must begin with a PROXY header */
	size_t nproxy_from;
	bool keepalive;		/* TCP: SO_KEEPALIVE on each connection */
	int keepalive_idle;	/* seconds, probes; 0 = the kernel's */
	int keepalive_interval;
	int keepalive_count;
	char *interface;	/* SO_BINDTODEVICE; NULL = every interface */
	bool freebind;		/* IP_FREEBIND / IPV6_FREEBIND before the bind */
	bool enabled;
	char *user;		/* the global user unless the service names its own */
	char *group;
	bool groups;		/* the user's supplementary groups too (initgroups) */
	bool share_user;	/* exec: programs may run as the user of built-in workers */
	struct identity id;	/* resolved from user and group */
	void *hconf;		/* the handler's keys and what its check made (handler.h) */
	int line;		/* where the service's group starts */
	/* the bind address, resolved at load time */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool any_address;	/* "*": dual-stack :: (or 0.0.0.0 without IPv6) */
};

struct config {
	char *path;
	char *user;
	char *group;
	struct identity id;	/* resolved from user and group */
	char *pid_file;
	char *chroot_dir;	/* workers chroot here before serving; NULL = none */
	bool seccomp;		/* workers run under a syscall allow list */
	struct log_config log;
	int workers;
	int max_workers;	/* set, or never below workers (a service unset takes its own) */
	int min_spare;
	int max_spare;
	int max_connections_per_worker;
	int max_per_source;
	int udp_rate;
	int udp_burst;
	int timeout;
	int shutdown_timeout;
	int backlog;
	struct service_config *services;
	size_t nservices;
};

enum config_scope { SCOPE_GLOBAL, SCOPE_LOG, SCOPE_SERVICE };
enum config_type { TYPE_INT, TYPE_BOOL, TYPE_STRING, TYPE_STRING_LIST, TYPE_GROUP, TYPE_SERVICE_LIST };

/* A TYPE_STRING_LIST value as a handler key stores it. */
struct config_strv {
	char **v;
	size_t n;
};

/*
 * The schema: one row per key a file may hold. The loader, `netsrvd -t`
 * and the documentation test all read this table and the handlers' own
 * (struct handler's keys, same rows, scope SCOPE_SERVICE).
 */
struct config_key {
	const char *name;
	enum config_scope scope;
	enum config_type type;
	long long min, max;	/* TYPE_INT only */
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
	 * conf. The core table's lists and groups are read by code and have
	 * none; a handler's TYPE_STRING_LIST is a struct config_strv here, its
	 * TYPE_GROUP the base of the sub keys' offsets.
	 */
	size_t offset;
	const struct config_key *sub;	/* TYPE_GROUP of a handler: its keys */
	size_t nsub;
};

extern const struct config_key config_schema[];
extern const size_t config_schema_len;

const char *config_scope_name(enum config_scope s);

/*
 * Returns a new, fully checked config with every default applied, or NULL
 * with err holding "FILE:LINE: message". Never exits, never leaks.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
struct config *config_parse_string(const char *text, const char *name,
    char *err, size_t errlen);
void config_free(struct config *cfg);

size_t config_enabled_services(const struct config *cfg);
const char *config_proto_name(enum proto p);

/*
 * For handlers' checks (struct handler): w is the service group being
 * loaded. config_error fills the loader's error with "FILE:LINE: ...", the
 * line of key in that group (the group's own without one), and returns -1.
 * config_path_relative makes a relative path relative to the file.
 */
struct config_where;
int config_error(const struct config_where *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int config_path_relative(const struct config_where *w, char **path);
/* Whether the service group itself sets key (not inherited, not defaulted). */
bool config_where_sets(const struct config_where *w, const char *key);

/*
 * What a reload cannot apply: the keys whose row says reloadable = false
 * and whose value differs from old to new (global, log, and services of
 * one name), as "pid_file: \"/a\" -> \"/b\"", several joined by "; ",
 * into report (cut to fit). Returns how many; 0 leaves report "".
 */
size_t config_reload_changes(const struct config *old, const struct config *new,
    char *report, size_t len);

/* The core schema's row of key name in scope (bounds, default), or NULL: what --import asks. */
const struct config_key *config_schema_key(const char *name, enum config_scope scope);

#endif
