/* netsrv.conf: the schema, loading it whole, checking it whole. */
#ifndef NETSRVD_CONFIG_H
#define NETSRVD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "cidr.h"
#include "log.h"
#include "quotes.h"

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

/*
 * udp_rate when the file sets none: far above what a real echo, daytime,
 * time or qotd client sends (one datagram, then it waits), low enough that
 * a forged source gets a bounded stream (netsrv.conf(5), udp_rate).
 */
#define CONFIG_UDP_RATE_DEFAULT	200

/*
 * The pool's ceiling and one source's share when the file sets none: one
 * address holding slow connections (slowloris) gets at most
 * CONFIG_MAX_PER_SOURCE_DEFAULT workers, and the pool grows past them up
 * to CONFIG_MAX_WORKERS_DEFAULT, so another client is still served
 * (netsrv.conf(5), max_per_source).
 */
#define CONFIG_MAX_PER_SOURCE_DEFAULT	8
#define CONFIG_MAX_WORKERS_DEFAULT	32

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
	bool enabled;
	char *quotes_path;
	struct quotes quotes;
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
	uid_t uid;
	gid_t gid;
	bool drop_privileges;	/* user or group was set */
	char *pid_file;
	char *chroot_dir;	/* workers chroot here before serving; NULL = none */
	bool seccomp;		/* workers run under a syscall allow list */
	struct log_config log;
	int workers;
	int max_workers;	/* -1: each service's own workers */
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

/*
 * The schema: one row per key a file may hold. The loader, `netsrvd -t`
 * and the documentation test all read this table.
 */
struct config_key {
	const char *name;
	enum config_scope scope;
	enum config_type type;
	long long min, max;	/* TYPE_INT only */
	const char *def;	/* the default, as documented; NULL = required/none */
	bool reloadable;	/* a SIGHUP applies a change */
	size_t offset;		/* into struct config, log_config or service_config */
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

#endif
