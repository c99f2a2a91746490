/* Starting the sysadmin's program (exec): a clean process with the client on stdin and stdout. */
#ifndef NETSRVD_EXEC_SPAWN_H
#define NETSRVD_EXEC_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#define EXEC_NLIMITS 6

/* One setrlimit the program gets. */
struct exec_limit {
	int resource;		/* RLIMIT_* */
	rlim_t value;		/* soft and hard */
};

/* The peer variables (tcpserver's, systemd's and xinetd's names); PROTO is always set. */
enum exec_peer_var {
	PV_TCPREMOTEIP, PV_TCPREMOTEPORT, PV_TCPLOCALIP, PV_TCPLOCALPORT,
	PV_REMOTE_ADDR, PV_REMOTE_PORT, PV_REMOTE_HOST, PV_COUNT
};
#define EXEC_VAR_MAX 80		/* "TCPREMOTEIP=" and an IPv6 address */

/* The TLS variables (a TLS service's programs), in this order. */
enum exec_tls_var {
	TV_VERSION, TV_CIPHER, TV_SNI, TV_CLIENT_SUBJECT, TV_CLIENT_ISSUER, TV_CLIENT_SERIAL,
	TV_CLIENT_SHA256, TV_COUNT
};
#define EXEC_TLS_VAR_MAX 560		/* "TLS_CLIENT_SUBJECT=" and 512 bytes of a name */

/*
 * Everything a start needs, made once per worker (exec_prepare): no
 * allocation between fork and exec, and little before it.
 */
struct exec_prep {
	char **argv;			/* command, NULL-terminated (borrowed) */
	char **envp;			/* the fixed part, then the peer's, then NULL */
	size_t nfixed;
	char peer[PV_COUNT][EXEC_VAR_MAX];
	char tls[TV_COUNT][EXEC_TLS_VAR_MAX];
	struct exec_limit limits[EXEC_NLIMITS];
	size_t nlimits;
	bool set_nice;			/* nice: the program's, absolute (setpriority) */
	int nice;
	bool set_umask;			/* umask: the program's */
	mode_t umask;
	int cgroup_procs_fd;		/* the connection cgroup's cgroup.procs, which the child joins; -1: none */
	void *stack;			/* the child's, until it calls execve */
	size_t stack_size;
};

/* A running program: its pid leads its own session and process group. */
struct exec_child {
	pid_t pid;
	int pidfd;			/* readable when it exits; -1: the kernel has none */
	int err_fd;			/* its stderr, the pipe's read end (non-blocking) */
	int64_t started_ms;		/* monotonic */
};

struct config_strv;

/*
 * A variable's name as env and passenv take it (and a shell would): a
 * letter or _, then letters, digits and _; n bytes of s. exec's check
 * and --import both ask this.
 */
bool exec_env_name_valid(const char *s, size_t n);

/*
 * env entries, passenv names looked up in our own environment, PATH unless
 * one of them set it, PROTO. -1 (logged) when out of memory.
 */
int exec_prepare(struct exec_prep *p, char **argv, const struct config_strv *env,
    const struct config_strv *passenv, bool udp);
void exec_prep_free(struct exec_prep *p);
void exec_prep_limit(struct exec_prep *p, int resource, long long value);
/* The program's nice value (-20..19, setpriority(2)) and umask; unset, it keeps ours. */
void exec_prep_nice(struct exec_prep *p, int nice);
void exec_prep_umask(struct exec_prep *p, mode_t mask);
/* The peer variables for the next start (a TCP client), or none (UDP wait). */
void exec_set_peer(struct exec_prep *p, const struct sockaddr *remote, const struct sockaddr *local);
void exec_clear_peer(struct exec_prep *p);
/*
 * After exec_set_peer, for a TLS client: the TLS variables whose value
 * (vals[TV_*]) is not NULL or empty join the environment of the next start.
 */
void exec_set_tls(struct exec_prep *p, const char *const vals[TV_COUNT]);

/*
 * Starts the program with io_fd as its stdin and stdout and a pipe as its
 * stderr; nothing else open, default signal dispositions, empty mask, its
 * own session, working directory /, the limits, nice and umask (a syscall_filter it inherits
 * from the worker). Returns 0, or -1 with why
 * ("cannot execute /x: No such file or directory") when it never ran.
 */
int exec_start(const struct exec_prep *p, int io_fd, struct exec_child *c, char *why, size_t len);

#endif
