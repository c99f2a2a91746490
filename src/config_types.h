/* The configuration as the loader builds it: the structs every part of the daemon reads (loading them: config.h). */
#ifndef NETSRVD_CONFIG_TYPES_H
#define NETSRVD_CONFIG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "cidr.h"
#include "log.h"
#include "confine_conf.h"
#include "tls_conf.h"

struct handler;

enum proto { PROTO_TCP, PROTO_UDP };

/* Every error message is "FILE:LINE: what is wrong" and fits here. */
#define CONFIG_ERR_MAX 1024

/* The longest service name (1-32 of A-Z a-z 0-9 . _ -); a buffer for one is NETSRVD_NAME_MAX + 1. */
#define NETSRVD_NAME_MAX 32

struct log_config {
	char *target;		/* NULL: stderr in the foreground, else syslog */
	char *facility_name;
	int facility;
	char *level_name;
	enum log_level level;
	bool connections;	/* the access log */
};

/* A banner file's text, read whole at load (banner.h); len 0: none. */
struct banner_text {
	char *text;
	size_t len;
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
	char *file;		/* the file that defines it: the main file or a drop-in */
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
	int connection_rate;	/* TCP connections a second to the service, burst as many; 0 = off */
	int connection_rate_per_source;	/* the same per address (IPv6: /64) */
	int timeout;		/* seconds; 0 = none */
	int backlog;
	struct cidr *allow;
	size_t nallow;
	struct cidr *deny;
	size_t ndeny;
	/* host names ("a.example.org") and domain suffixes (".example.org"), lowercased: names.h */
	char **allow_names;
	size_t nallow_names;
	char **deny_names;
	size_t ndeny_names;
	int lookup_timeout;	/* ms a connection waits for a name at most */
	struct cidr *proxy_from;	/* TCP: sources that must begin with a PROXY header */
	size_t nproxy_from;
	bool keepalive;		/* TCP: SO_KEEPALIVE on each connection */
	int keepalive_idle;	/* seconds, probes; 0 = the kernel's */
	int keepalive_interval;
	int keepalive_count;
	char *interface;	/* SO_BINDTODEVICE; NULL = every interface */
	char *tcp_wrappers;	/* TCP: libwrap's daemon name for hosts.allow/deny; NULL = not asked */
	bool freebind;		/* IP_FREEBIND / IPV6_FREEBIND before the bind */
	bool enabled;
	char *user;		/* the global user unless the service names its own */
	char *group;
	bool groups;		/* the user's supplementary groups too (initgroups) */
	bool share_user;	/* exec: programs may run as the user of built-in workers */
	bool serves_socket;	/* set by its handler's check: handler.serve_socket, one worker, no accept */
	char *log_peer;		/* "full", "prefix" or "none" (checked): logpeer_mode() */
	/* TCP: files sent to each client, to one let in, to one refused (absolute once loaded) */
	char *banner_file, *banner_success_file, *banner_fail_file;
	struct banner_text banner, banner_success, banner_fail;
	double max_load;	/* TCP: refused while the 1-minute load average is above; 0 = off */
	struct tls_conf tls;	/* TCP: the handshake and what it serves with (tls_conf.h) */
	int handshake_timeout;	/* ms a TLS handshake may take at most */
	struct confine_conf confine;	/* the sandbox of its workers and programs (confine_conf.h) */
	struct identity id;	/* resolved from user and group */
	void *hconf;		/* the handler's keys and what its check made (handler.h) */
	int line;		/* where the service's group starts */
	/* the bind address, resolved at load time */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool any_address;	/* "*": dual-stack :: (or 0.0.0.0 without IPv6) */
};

/*
 * What a configuration loads with but serves without: an inetd_conf entry
 * skipped, an attribute --import's translation could not carry over. The
 * master logs them at start and at each reload, -t prints them.
 */
#define CONFIG_WARNINGS_MAX 200
struct config_warnings {
	char **v;
	size_t n;
	size_t more;		/* beyond CONFIG_WARNINGS_MAX, or lost to a lack of memory */
};

struct config {
	char *path;
	char *user;
	char *group;
	struct identity id;	/* resolved from user and group */
	char *pid_file;
	char *chroot_dir;	/* workers chroot here before serving; NULL = none */
	char *include_dir;	/* the drop-in directory; NULL = none */
	char *inetd_conf;	/* an inetd.conf whose entries are served too; NULL = none */
	char *log_peer;		/* what services that do not set their own show of a client */
	struct config_warnings warnings;
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
	int connection_rate;
	int connection_rate_per_source;
	int lookup_timeout;
	int handshake_timeout;
	int timeout;
	int shutdown_timeout;
	int backlog;
	struct service_config *services;
	size_t nservices;
};

#endif
