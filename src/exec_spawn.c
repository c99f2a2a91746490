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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "exec_spawn.h"
#include "log.h"
#include "util.h"

extern char **environ;

/*
 * The child runs on its own stack in our memory (CLONE_VM | CLONE_VFORK,
 * as posix_spawn does): no page tables are copied, and we sleep until it
 * has called execve or given up. It only makes system calls, so sharing
 * our memory is safe; it tells us which step failed through `step`.
 */
#define EXEC_STACK_SIZE ((size_t)64 * 1024)

static const char *const peer_names[PV_COUNT] = {
	"TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT", "REMOTE_ADDR", "REMOTE_PORT"
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
	if (!have_path && env_add(p, "PATH=/usr/local/bin:/usr/bin:/bin") == -1)
		return -1;
	return env_add(p, udp ? "PROTO=UDP" : "PROTO=TCP");
}

int
exec_prepare(struct exec_prep *p, char **argv, const struct config_strv *env,
    const struct config_strv *passenv, bool udp)
{
	size_t max = (env != NULL ? env->n : 0) + (passenv != NULL ? passenv->n : 0) + 2 + PV_COUNT + 1;

	memset(p, 0, sizeof(*p));
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

void
exec_set_peer(struct exec_prep *p, const struct sockaddr *remote, const struct sockaddr *local)
{
	size_t n = p->nfixed;

	peer_pair(p, PV_TCPREMOTEIP, PV_TCPREMOTEPORT, remote);
	peer_pair(p, PV_REMOTE_ADDR, PV_REMOTE_PORT, remote);
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

/* --- the child, between clone and execve --------------------------------- */

struct child_ctx {
	const struct exec_prep *p;
	int io_fd, err_fd;
	pid_t parent;
	const char *step;	/* the step that failed; NULL: none */
	int err;
};

static int
child_fail(struct child_ctx *c, const char *step)
{
	c->err = errno;
	c->step = step;
	_exit(127);
}

/*
 * Every disposition back to the default, the C library's own signals (32,
 * 33) included: its sigaction() refuses them, yet an ignored one survives
 * execve. The kernel's struct: handler, flags, restorer, mask; all zero
 * but the handler, so its exact layout does not matter.
 */
static void
child_reset_signals(void)
{
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } ksa;

	memset(&ksa, 0, sizeof(ksa));
	ksa.handler = (void *)SIG_DFL;
	/* EINVAL for KILL and STOP: nothing to reset there */
	for (int sig = 1; sig < NSIG; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
}

/* Every descriptor from 3 up: close_range, or one by one on an old kernel. */
static void
child_close_from_3(void)
{
	struct rlimit rl;

	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 65536;
	for (rlim_t fd = 3; fd < rl.rlim_cur; fd++)
		(void)close((int)fd);
}

static int
child_fds(struct child_ctx *c)
{
	/* above 2 first, so neither can be overwritten by the other's dup2 */
	int io = fcntl(c->io_fd, F_DUPFD, 3);
	int err = fcntl(c->err_fd, F_DUPFD, 3);
	int fl;

	if (io == -1 || err == -1 || dup2(io, 0) == -1 || dup2(io, 1) == -1 || dup2(err, 2) == -1)
		return -1;
	/* the program expects a blocking socket; O_NONBLOCK lives in the open file */
	if ((fl = fcntl(0, F_GETFL)) == -1 || ((fl & O_NONBLOCK) && fcntl(0, F_SETFL, fl & ~O_NONBLOCK) == -1))
		return -1;
	child_close_from_3();
	return 0;
}

static int
child_main(void *arg)
{
	struct child_ctx *c = arg;
	const struct exec_prep *p = c->p;
	sigset_t none;

	child_reset_signals();
	if (setsid() == -1)
		return child_fail(c, "setsid");
	/* the program itself dies with its worker; its group is killed by it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return child_fail(c, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != c->parent)
		_exit(127);
	if (child_fds(c) == -1)
		return child_fail(c, "set up descriptors for");
	for (size_t i = 0; i < p->nlimits; i++) {
		struct rlimit rl = { p->limits[i].value, p->limits[i].value };
		if (setrlimit(p->limits[i].resource, &rl) == -1)
			return child_fail(c, "setrlimit for");
	}
	if (chdir("/") == -1)
		return child_fail(c, "chdir / for");
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		return child_fail(c, "sigprocmask for");
	execve(p->argv[0], p->argv, p->envp);
	return child_fail(c, "cannot execute");
}

/* --- the worker's side ---------------------------------------------------- */

static int
open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		log_debug("fcntl(pidfd, FD_CLOEXEC)");
	return fd;
#else
	(void)pid;
	return -1;
#endif
}

int
exec_start(const struct exec_prep *p, int io_fd, struct exec_child *c, char *why, size_t len)
{
	struct child_ctx cc = { p, io_fd, -1, getpid(), NULL, 0 };
	int errp[2];
	sigset_t all, old;
	pid_t pid;
	int e;

	if (pipe2(errp, O_CLOEXEC) == -1) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return -1;
	}
	cc.err_fd = errp[1];
	/* no handler of ours may run on the child's side of our shared memory */
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) == -1) {
		snprintf(why, len, "sigprocmask: %s", strerror(errno));
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	pid = clone(child_main, (char *)p->stack + p->stack_size,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, &cc);
	e = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	(void)close(errp[1]);
	if (pid == -1) {
		snprintf(why, len, "fork: %s", strerror(e));
		close(errp[0]);
		return -1;
	}
	if (cc.step != NULL) {
		snprintf(why, len, "%s %s: %s", cc.step, p->argv[0], strerror(cc.err));
		(void)waitpid(pid, NULL, 0);
		close(errp[0]);
		return -1;
	}
	if (fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1)
		log_debug("fcntl(O_NONBLOCK) on a program's stderr");
	c->pid = pid;
	c->pidfd = open_pidfd(pid);
	c->err_fd = errp[0];
	c->started_ms = util_now_ms();
	return 0;
}
