/* --import: the translation rules inetd and xinetd share (programs, internals, wait, caps, nice, umask). */
#ifndef NETSRVD_IMPORT_MAP_H
#define NETSRVD_IMPORT_MAP_H

#include <stdbool.h>

#include "import_model.h"

/* Where the attribute being translated was written, and how. */
struct import_at {
	const char *file;
	int line;
	const char *what;	/* "server_args = ...", "wait/nowait field ..." */
};

static inline struct import_at
import_at_make(const char *file, int line, const char *what)
{
	return (struct import_at){ .file = file, .line = line, .what = what };
}

/* tcpd looks for a daemon named without a path here (Debian's REAL_DAEMON_DIR). */
#define IMPORT_TCPD_DIR "/usr/sbin"

/* An internal service of the super-server: netsrvd's handler of that name, or unservable. */
void import_map_internal(struct import_service *s, const char *name, const struct import_at *at);

/*
 * An external program: program is the path, argv what follows it, with
 * argv[0] first when has_argv0 (inetd's args, xinetd's NAMEINARGS). Sets
 * the command; unwraps tcpd; makes a fortune of a quotes file qotd.
 */
void import_map_program(struct import_service *s, const struct import_host *h,
    const char *program, const struct import_strv *argv, bool has_argv0,
    const struct import_at *at);

/* xinetd's redirect = host port: the redirect handler to host:port (TCP only). */
void import_map_redirect(struct import_service *s, const struct import_host *h,
    const struct import_strv *value, const struct import_at *at);

/*
 * The tables tcpd (or xinetd's libwrap) read for daemon: tcp_wrappers on
 * an exec TCP service of a build with libwrap; noted as lost otherwise.
 */
void import_map_tcp_wrappers(struct import_service *s, const char *daemon,
    const struct import_at *at);

/* inetd's wait/nowait, xinetd's wait, once the protocol and handler are known. */
void import_map_wait(struct import_service *s, bool wait, const struct import_at *at);

/* A cap on concurrent instances (inetd's nowait.N, xinetd's instances). */
void import_map_instances(struct import_service *s, long n, const struct import_at *at);

/* A per-source cap (xinetd's per_source, FreeBSD inetd's max-child-per-ip). */
void import_map_per_source(struct import_service *s, long n, const struct import_at *at);
/* xinetd's cps: connections a second (0 = off) */
void import_map_connection_rate(struct import_service *s, long n, const struct import_at *at);

/*
 * What a TCP service gets when its source set no cap: no per-source limit
 * (neither daemon has one by default) and max_workers as given (what the
 * daemon would have run at most), unless the entry set its own.
 */
void import_map_default_caps(struct import_service *s, int max_workers);

/*
 * What the schema (config.c) says of a key, never a copy of it: a service
 * key's ceiling (max_workers': also what xinetd's UNLIMITED becomes), a
 * global key's default. A key the schema lacks is a bug of this build:
 * the import ends with a message (exit 1).
 */
int import_schema_max(const char *key);
int import_schema_default(const char *key);

/*
 * xinetd's nice (decimal, within the exec key's range) and umask (octal,
 * as xinetd reads it; netsrvd's is a string of four digits): exec only,
 * else noted.
 */
void import_map_nice(struct import_service *s, const char *text, const struct import_at *at);
void import_map_umask(struct import_service *s, const char *text, const struct import_at *at);

/* The program's user and group are checked where they will be used: exec only. */
void import_map_credentials(struct import_service *s, const struct import_host *h,
    const char *user, const char *group, const struct import_at *at);

/* A netsrvd key of a later version (keepalive, interface): set, or noted as lost. */
bool import_map_key_known(const struct import_host *h, const char *key);

#endif
