/* Starting the sysadmin's program (exec): a clean process with the client on stdin and stdout. */
#include "autoconfig.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "exec_spawn.h"
#include "pidfd.h"
#include "log.h"
#include "sandbox.h"
#include "util.h"

extern char **environ;

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/*
 * The child's frames are poisoned in AddressSanitizer's shadow and never
 * unwound (it ends in execve or _exit), and the stack is reused: clean it
 * before each start.
 */
#define STACK_FRESH(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define STACK_FRESH(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#endif
#endif
#ifndef STACK_FRESH
#define STACK_FRESH(p, n) ((void)(p), (void)(n))
#endif

/*
 * The child runs on its own stack in our memory (CLONE_VM | CLONE_VFORK,
 * as posix_spawn does): no page tables are copied, and we sleep until it
 * has called execve or given up. It only makes system calls, so sharing
 * our memory is safe; it tells us which step failed through `step`.
 */
#define EXEC_STACK_SIZE ((size_t)64 * 1024)

static const char *const peer_names[PV_COUNT] = {
	"TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT", "REMOTE_ADDR", "REMOTE_PORT",
	"REMOTE_HOST"
};

static bool
env_sets(const struct config_strv *env, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; env != NULL && i < env->n; i++)
		if (strncmp(env->v[i], name, n) == 0 && env->v[i][n] == '=')
			return true;
	return false;
}

static int
env_add(struct exec_prep *p, const char *entry)
{
	if ((p->envp[p->nfixed] = strdup(entry)) == NULL)
		return -1;
	p->nfixed++;
	return 0;
}

static int
env_add_pair(struct exec_prep *p, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;

	if ((p->envp[p->nfixed] = malloc(len)) == NULL)
		return -1;
	snprintf(p->envp[p->nfixed], len, "%s=%s", name, value);
	p->nfixed++;
	return 0;
}

/* The fixed part: what the service names, then PROTO; PATH if nobody set it. */
static int
fill_fixed_env(struct exec_prep *p, const struct config_strv *env,
    const struct config_strv *passenv, bool udp)
{
	bool have_path = env_sets(env, "PATH");

	for (size_t i = 0; env != NULL && i < env->n; i++)
		if (env_add(p, env->v[i]) == -1)
			return -1;
	for (size_t i = 0; passenv != NULL && i < passenv->n; i++) {
		const char *v = getenv(passenv->v[i]);
		if (v == NULL || env_sets(env, passenv->v[i]))
			continue;
		if (env_add_pair(p, passenv->v[i], v) == -1)
			return -1;
		have_path |= strcmp(passenv->v[i], "PATH") == 0;
	}
	/* sbin too: inetd's programs (tcpd, in.* daemons) live there and call each other */
	if (!have_path && env_add(p, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") == -1)
		return -1;
	return env_add(p, udp ? "PROTO=UDP" : "PROTO=TCP");
}

bool
exec_env_name_valid(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

int
exec_prepare(struct exec_prep *p, char **argv, const struct config_strv *env,
    const struct config_strv *passenv, bool udp)
{
	size_t max = (env != NULL ? env->n : 0) + (passenv != NULL ? passenv->n : 0) + 2 + PV_COUNT + TV_COUNT + 1;

	memset(p, 0, sizeof(*p));
	p->cgroup_procs_fd = -1;
	p->argv = argv;
	p->envp = calloc(max, sizeof(char *));
	if (p->envp == NULL || fill_fixed_env(p, env, passenv, udp) == -1) {
		log_errorx("exec: out of memory");
		exec_prep_free(p);
		return -1;
	}
	p->stack_size = EXEC_STACK_SIZE;
	p->stack = mmap(NULL, p->stack_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p->stack == MAP_FAILED) {
		p->stack = NULL;
		log_error("exec: mmap of the start stack");
		exec_prep_free(p);
		return -1;
	}
	return 0;
}

void
exec_prep_free(struct exec_prep *p)
{
	for (size_t i = 0; p->envp != NULL && i < p->nfixed; i++)
		free(p->envp[i]);
	free(p->envp);
	if (p->stack != NULL && munmap(p->stack, p->stack_size) == -1)
		log_error("exec: munmap");
	memset(p, 0, sizeof(*p));
}

void
exec_prep_limit(struct exec_prep *p, int resource, long long value)
{
	if (p->nlimits < EXEC_NLIMITS) {
		p->limits[p->nlimits].resource = resource;
		p->limits[p->nlimits].value = (rlim_t)value;
		p->nlimits++;
	}
}

void
exec_prep_nice(struct exec_prep *p, int nice)
{
	p->set_nice = true;
	p->nice = nice;
}

void
exec_prep_umask(struct exec_prep *p, mode_t mask)
{
	p->set_umask = true;
	p->umask = mask;
}

/* An IPv4 client of a dual-stack socket is shown as IPv4, as tcpserver does. */
static void
format_addr(const struct sockaddr *sa, char *host, size_t len, unsigned *port)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;

	snprintf(host, len, "?");
	*port = 0;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &v4->sin_addr, host, (socklen_t)len);
		*port = ntohs(v4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
			inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], host, (socklen_t)len);
		else
			inet_ntop(AF_INET6, &v6->sin6_addr, host, (socklen_t)len);
		*port = ntohs(v6->sin6_port);
	}
}

static void
peer_pair(struct exec_prep *p, enum exec_peer_var ip, enum exec_peer_var port,
    const struct sockaddr *sa)
{
	char host[64];
	unsigned pnum = 0;

	format_addr(sa, host, sizeof(host), &pnum);
	snprintf(p->peer[ip], EXEC_VAR_MAX, "%s=%s", peer_names[ip], host);
	snprintf(p->peer[port], EXEC_VAR_MAX, "%s=%u", peer_names[port], pnum);
}

/* xinetd's REMOTE_HOST: the client's address, numeric (xinetd resolves no names either). */
static void
peer_host(struct exec_prep *p, const struct sockaddr *sa)
{
	char host[64];
	unsigned pnum = 0;

	format_addr(sa, host, sizeof(host), &pnum);
	snprintf(p->peer[PV_REMOTE_HOST], EXEC_VAR_MAX, "%s=%s", peer_names[PV_REMOTE_HOST], host);
}

void
exec_set_peer(struct exec_prep *p, const struct sockaddr *remote, const struct sockaddr *local)
{
	size_t n = p->nfixed;

	peer_pair(p, PV_TCPREMOTEIP, PV_TCPREMOTEPORT, remote);
	peer_pair(p, PV_REMOTE_ADDR, PV_REMOTE_PORT, remote);
	peer_host(p, remote);
	if (local != NULL)
		peer_pair(p, PV_TCPLOCALIP, PV_TCPLOCALPORT, local);
	for (int i = 0; i < PV_COUNT; i++)
		if (p->peer[i][0] != '\0')
			p->envp[n++] = p->peer[i];
	p->envp[n] = NULL;
}

void
exec_clear_peer(struct exec_prep *p)
{
	memset(p->peer, 0, sizeof(p->peer));
	p->envp[p->nfixed] = NULL;
}

static const char *const tls_names[TV_COUNT] = {
	"TLS_VERSION", "TLS_CIPHER", "TLS_SNI", "TLS_CLIENT_SUBJECT", "TLS_CLIENT_ISSUER",
	"TLS_CLIENT_SERIAL", "TLS_CLIENT_SHA256"
};

void
exec_set_tls(struct exec_prep *p, const char *const vals[TV_COUNT])
{
	size_t n = p->nfixed;

	while (p->envp[n] != NULL)
		n++;
	for (int i = 0; i < TV_COUNT; i++) {
		if (vals[i] == NULL || vals[i][0] == '\0')
			continue;
		snprintf(p->tls[i], sizeof(p->tls[i]), "%s=%s", tls_names[i], vals[i]);
		p->envp[n++] = p->tls[i];
	}
	p->envp[n] = NULL;
}

/* --- the child, between clone and execve --------------------------------- */

/*
 * Which step failed, for the message; the child writes it with errno on a
 * close-on-exec pipe, which execve closes when it succeeds. (Shared memory
 * alone would do under CLONE_VM, but valgrind runs clone as a fork.)
 */
static const char *const step_names[] = {
	"setsid for", "prctl(PR_SET_PDEATHSIG) for", "set up descriptors for",
	"setrlimit for", "setpriority for", "chdir / for", "sigprocmask for", "cannot execute",
	"joining its connection's cgroup for"
};
enum step { ST_SETSID, ST_PDEATHSIG, ST_FDS, ST_RLIMIT, ST_NICE, ST_CHDIR, ST_MASK, ST_EXEC, ST_CGROUP };

struct child_ctx {
	const struct exec_prep *p;
	int io_fd, err_fd;
	int status_fd;		/* the pipe's write end, close-on-exec */
	pid_t parent;
};

struct child_failure {
	int step;
	int err;
};

static int
child_fail(struct child_ctx *c, enum step step)
{
	struct child_failure f = { .step = (int)step, .err = errno };
	ssize_t r = write(c->status_fd, &f, sizeof(f));

	(void)r;	/* nobody to tell: the worker sees exit 127 */
	_exit(127);
}

static void
child_reset_signals(void)
{
	/* cppcheck-suppress unusedStructMember ; the kernel reads them (zero) */
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } ksa;

	memset(&ksa, 0, sizeof(ksa));
	ksa.handler = (void *)SIG_DFL;
	/* EINVAL for KILL and STOP: nothing to reset there */
	for (int sig = 1; sig < NSIG; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
}

/* Every descriptor from 3 up but keep (which execve closes): close_range, or one by one. */
static void
child_close_from_3(int keep)
{
	struct rlimit rl;

	if ((keep <= 3 || syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) == 0) &&
	    syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 65536;
	for (rlim_t fd = 3; fd < rl.rlim_cur; fd++)
		if ((int)fd != keep)
			(void)close((int)fd);
}

static int
child_fds(struct child_ctx *c)
{
	/* above 2 first, so neither can be overwritten by the other's dup2 */
	int io = fcntl(c->io_fd, F_DUPFD_CLOEXEC, 3);
	int err = fcntl(c->err_fd, F_DUPFD_CLOEXEC, 3);
	int fl;

	if (io == -1 || err == -1 || dup2(io, 0) == -1 || dup2(io, 1) == -1 || dup2(err, 2) == -1)
		return -1;
	/* the program expects a blocking socket; O_NONBLOCK lives in the open file */
	if ((fl = fcntl(0, F_GETFL)) == -1 || ((fl & O_NONBLOCK) && fcntl(0, F_SETFL, fl & ~O_NONBLOCK) == -1))
		return -1;
	child_close_from_3(c->status_fd);
	return 0;
}

/*
 * Soft and hard. Lowering a hard limit is always allowed, except under
 * valgrind, which keeps its own hard limit on descriptors: then the soft
 * one alone. Raising one above what the service's user has is refused.
 */
static int
child_limit(const struct exec_limit *l)
{
	struct rlimit rl = { .rlim_cur = l->value, .rlim_max = l->value }, cur;

	if (setrlimit(l->resource, &rl) == 0)
		return 0;
	if (errno != EPERM || getrlimit(l->resource, &cur) == -1 ||
	    (cur.rlim_max != RLIM_INFINITY && l->value > cur.rlim_max))
		return -1;
	rl.rlim_max = cur.rlim_max;
	return setrlimit(l->resource, &rl);
}

static int
child_main(void *arg)
{
	struct child_ctx *c = arg;
	const struct exec_prep *p = c->p;
	sigset_t none;

	child_reset_signals();
	/* first: whatever it starts from now on is born in the cgroup its connection's end kills */
	if (p->cgroup_procs_fd >= 0 && write(p->cgroup_procs_fd, "0", 1) != 1)
		return child_fail(c, ST_CGROUP);
	if (setsid() == -1)
		return child_fail(c, ST_SETSID);
	/* the program itself dies with its worker; its group is killed by it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return child_fail(c, ST_PDEATHSIG);
	if (getppid() != c->parent)
		_exit(127);
	if (child_fds(c) == -1)
		return child_fail(c, ST_FDS);
	for (size_t i = 0; i < p->nlimits; i++)
		if (child_limit(&p->limits[i]) == -1)
			return child_fail(c, ST_RLIMIT);
	/* below our own needs CAP_SYS_NICE (or RLIMIT_NICE): refused, it never runs */
	if (p->set_nice && setpriority(PRIO_PROCESS, 0, p->nice) == -1)
		return child_fail(c, ST_NICE);
	/* ours stays: without CLONE_FS the child has its own copy */
	if (p->set_umask)
		(void)umask(p->umask);	/* cannot fail; returns the old mask */
	if (chdir("/") == -1)
		return child_fail(c, ST_CHDIR);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		return child_fail(c, ST_MASK);
	execve(p->argv[0], p->argv, p->envp);
	return child_fail(c, ST_EXEC);
}

/* --- the worker's side ---------------------------------------------------- */

/* What the child said before it gave up; false: it reached execve and exec'd. */
static bool
child_failed(int status_fd, struct child_failure *f)
{
	ssize_t n;

	do
		n = read(status_fd, f, sizeof(*f));
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(*f) && f->step >= 0 &&
	    (size_t)f->step < sizeof(step_names) / sizeof(step_names[0]);
}

static void
close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	fds[0] = fds[1] = -1;
}

int
exec_start(const struct exec_prep *p, int io_fd, struct exec_child *c, char *why, size_t len)
{
	int errp[2] = { -1, -1 }, stp[2] = { -1, -1 };
	struct child_ctx cc = { .p = p, .io_fd = io_fd, .err_fd = -1, .status_fd = -1, .parent = getpid() };
	struct child_failure f;
	sigset_t all, old;
	pid_t pid;
	int e;

	if (pipe2(errp, O_CLOEXEC) == -1 || pipe2(stp, O_CLOEXEC) == -1) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		close_pair(errp);
		close_pair(stp);
		return -1;
	}
	cc.err_fd = errp[1];
	cc.status_fd = stp[1];
	/* no handler of ours may run on the child's side of our shared memory */
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) == -1) {
		snprintf(why, len, "sigprocmask: %s", strerror(errno));
		close_pair(errp);
		close_pair(stp);
		return -1;
	}
	STACK_FRESH(p->stack, p->stack_size);
	pid = clone(child_main, (char *)p->stack + p->stack_size,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, &cc);
	e = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	(void)close(errp[1]);
	(void)close(stp[1]);
	errp[1] = stp[1] = -1;
	if (pid == -1) {
		snprintf(why, len, "fork: %s", strerror(e));
		close_pair(errp);
		close_pair(stp);
		return -1;
	}
	if (child_failed(stp[0], &f)) {
		snprintf(why, len, "%s %s: %s", step_names[f.step], p->argv[0], strerror(f.err));
		(void)waitpid(pid, NULL, 0);
		close_pair(errp);
		close_pair(stp);
		return -1;
	}
	close_pair(stp);
	if (fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1)
		log_debug("fcntl(O_NONBLOCK) on a program's stderr");
	c->pid = pid;
	c->pidfd = pidfd_for(pid);
	c->err_fd = errp[0];
	c->started_ms = util_now_ms();
	return 0;
}
