/* --import: what both parsers build and the emitter prints, and the host lookups they use. */
#ifndef NETSRVD_IMPORT_MODEL_H
#define NETSRVD_IMPORT_MODEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "config.h"

/* A list of strings, grown one at a time; every element owned. */
struct import_strv {
	char **v;
	size_t n;
};

/* One attribute of the original that netsrvd cannot carry over, or a remark. */
struct import_note {
	char *file;
	int line;
	char *what;		/* the attribute and its value as written: "cps = 25 30" */
	char *why;		/* what netsrvd lacks, or what became of it */
};

struct import_notes {
	struct import_note *v;
	size_t n;
};

/* A limit netsrvd's exec handler sets with setrlimit: -1 while unset. */
struct import_limits {
	long long cpu, memory, files;
};

/* One service as netsrvd will see it: a group of the services list. */
struct import_service {
	char *file;		/* where the original entry starts */
	int line;
	char *origin;		/* "service rsync", or the inetd line's first field */
	char *name;
	enum proto protocol;
	char *address;		/* numeric, or "*" */
	int port;		/* 0: none found */
	char *handler;		/* "exec", "echo", ...; NULL until known */
	struct import_strv command;	/* exec: the path, then the arguments */
	char *quotes;		/* qotd */
	char *to;		/* redirect: "host:port" */
	bool wait;		/* exec: the program gets the socket (always over UDP) */
	char *user, *group;	/* exec */
	bool groups;		/* the user's supplementary groups too (initgroups) */
	struct import_strv env, passenv, allow, deny;
	struct import_limits limits;
	bool nice_set;		/* exec: nice = N */
	int nice;
	char *umask;		/* exec: "0022"; NULL: unset */
	int workers;		/* 0: unset */
	int max_workers;	/* 0: unset */
	int max_per_source;	/* -1: unset */
	int connection_rate;	/* 0: unset (xinetd's cps) */
	char *banner[3];	/* banner, banner_success, banner_fail: paths; NULL: unset */
	double max_load;	/* 0: unset */
	bool keepalive;
	char *interface;	/* a device name: SO_BINDTODEVICE */
	char *tcp_wrappers;	/* the daemon name tcpd or xinetd's libwrap checked the tables for */
	bool enabled;
	char *unservable;	/* why it is printed commented out; NULL: served */
	struct import_notes notes;	/* what was lost, beside the service */
	struct import_notes remarks;	/* what changed without a loss (a name resolved) */
};

/* A file an import read, and where: the line of the file that included it. */
struct import_file {
	char *path;
	int parent;		/* index in import_result.files; -1: the file imported */
	int line;		/* the include or includedir line in the parent */
	bool known;		/* dev and ino are the file's (text given as text: not) */
	dev_t dev;		/* which file it is, to see an include loop */
	ino_t ino;
	bool dropin;		/* read through xinetd's includedir: --import-to makes it a drop-in */
};

/* What an import made: the services, the global settings, what was lost. */
struct import_result {
	const char *format;	/* "inetd" or "xinetd" */
	char *path;		/* the file imported, as named */
	char *dest;		/* -c: the file the output is meant to become, or NULL */
	struct import_service *svc;
	size_t nsvc;
	char *log_target;	/* xinetd's defaults log_type: NULL = netsrvd's default */
	char *log_facility;
	bool log_connections;
	struct import_notes notes;	/* lost outside any service (defaults, syntax) */
	struct import_notes remarks;	/* on stderr only: nothing lost (renames) */
	struct import_file *files;	/* in the order read, for the listing's order */
	size_t nfiles;
	size_t bytes;		/* read from all of them (IMPORT_BYTES_MAX) */
};

/*
 * What the import asks of the machine it runs on. The real lookups are
 * import_host_system; the unit tests pass their own, so what a test
 * expects does not depend on /etc/services or the users of the box.
 */
struct import_host {
	/* the port of a name in /etc/services for "tcp" or "udp", or -1 */
	int (*service_port)(const char *name, const char *proto);
	bool (*user_exists)(const char *name);
	bool (*group_exists)(const char *name);
	/*
	 * 0 if path is a regular file the user (group: its own, or this one)
	 * may execute, as netsrvd -t decides; NULL user: this process's. Else
	 * an errno value.
	 */
	int (*program_usable)(const char *path, const char *user, const char *group);
	/* the first numeric address of a host name into out, 0; or -1 */
	int (*resolve)(const char *host, char *out, size_t outlen);
	bool (*is_interface)(const char *name);
	/* the file loads as a netsrvd quotes file (qotd) */
	bool (*quotes_ok)(const char *path);
	/* the file is one netsrvd loads as a banner (regular, readable, small); NULL: this machine's */
	bool (*banner_ok)(const char *path);
	/* the running netsrvd knows this service key (a later version's keys) */
	bool (*key_known)(const char *key);
};

extern const struct import_host import_host_system;

/*
 * Memory: an import is one short command that prints and exits; running
 * out of memory in it ends the process with a message (exit 1), so the
 * parsers are not half error paths. Nothing else in the daemon does this.
 */
void *import_xalloc(size_t size);
void *import_xrealloc(void *p, size_t size);
char *import_xstrdup(const char *s);
char *import_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *import_xvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/*
 * What an import reads at most, far above any real inetd.conf or xinetd
 * tree, so that includes which loop or multiply end (each bound is named
 * in the note of the include it stops): one file's bytes, all files'
 * bytes together, how many files, how deep includes nest.
 */
#define IMPORT_FILE_MAX		(16u << 20)
#define IMPORT_BYTES_MAX	(16u << 20)
#define IMPORT_FILES_MAX	1024
#define IMPORT_DEPTH_MAX	8

/*
 * A file's text, NUL-terminated, and what fstat said of it (sb); or NULL
 * with err filled: unreadable, not a regular file (never opened for
 * reading: a FIFO does not block), larger than IMPORT_FILE_MAX, or holding
 * a NUL byte.
 */
char *import_read_file(const char *path, char *err, size_t errlen, struct stat *sb);

/* Replaces *slot (freeing the old value) with a copy of s (NULL allowed). */
void import_set(char **slot, const char *s);

void import_strv_add(struct import_strv *sv, const char *s);
void import_strv_remove(struct import_strv *sv, const char *s);
bool import_strv_has(const struct import_strv *sv, const char *s);
void import_strv_clear(struct import_strv *sv);
void import_strv_copy(struct import_strv *dst, const struct import_strv *src);
/* The elements joined by single spaces: a new string. */
char *import_strv_join(const struct import_strv *sv, size_t from);

void import_note_add(struct import_notes *ns, const char *file, int line,
    const char *what, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void import_notes_free(struct import_notes *ns);

/* A new service at the end of r's list, with the defaults of an entry. */
struct import_service *import_service_add(struct import_result *r, const char *file, int line);
/* A copy of s appended to r (inetd lines that name several addresses). */
struct import_service *import_service_clone(struct import_result *r, size_t index);
/* Marks s as printed commented out, with why; the first reason stays. */
void import_service_unservable(struct import_service *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void import_result_free(struct import_result *r);

/*
 * Records that path was read (sb: what fstat said of it, NULL: unknown),
 * included at line of file parent (-1: none); its index.
 */
int import_file_add(struct import_result *r, const char *path, int parent, int line,
    const struct stat *sb);
/*
 * Where (file, line) stands in the reading order, as a key: from the file
 * imported down, each level's file index then line. Keys compare element
 * by element, a shorter (an include line) before what it includes; how
 * many elements, at most IMPORT_KEY_MAX.
 */
#define IMPORT_KEY_MAX 32
size_t import_file_key(const struct import_result *r, const char *file, int line, int *key);

/*
 * The file of r->files whose drop-in s goes to with --import-to: the file
 * read through an includedir that holds s, or includes the file that does;
 * -1: s stays in the main file.
 */
int import_service_dropin(const struct import_result *r, const struct import_service *s);

/* Whether anything was lost: a note anywhere, or a service not served. */
bool import_result_lost(const struct import_result *r);

#endif
