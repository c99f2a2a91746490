/* Worker confinement: an optional chroot and a seccomp-bpf allow list. */
#include "autoconfig.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

#if defined(NETSRVD_SANITIZERS)
/* no filter for workers: see configure.ac; sandbox_seccomp() still works for its test */
#define SANDBOX_OFF_BY_BUILD 1
#endif

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

/* generated from <sys/syscall.h> at build time: every call this libc knows */
#define SYSCALL_NAME(x) [SYS_##x] = #x,
static const char *const syscall_names[] = {
#include "syscall-names.h"
};

const char *
sandbox_syscall_name(int nr)
{
	if (nr < 0 || (size_t)nr >= sizeof(syscall_names) / sizeof(syscall_names[0]))
		return NULL;
	return syscall_names[nr];
}

int
sandbox_syscall_count(void)
{
	return (int)(sizeof(syscall_names) / sizeof(syscall_names[0]));
}

int
sandbox_chroot(const char *dir)
{
	if (chroot(dir) == -1) {
		log_error("chroot(%s)", dir);
		return -1;
	}
	if (chdir("/") == -1) {
		log_error("chdir / in chroot %s", dir);
		return -1;
	}
	return 0;
}

#ifdef SANDBOX_ARCH

/*
 * What a worker does once it serves, measured with strace over every
 * handler: the accept/receive loop, the handlers' I/O, logging (a file
 * write, or syslog's socket if it must reconnect), the clock and the
 * random seed, memory for malloc, and the ways out.
 */
static const int allowed[] = {
	SYS_accept4, SYS_poll, SYS_ppoll,
	SYS_read, SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg,
	SYS_write, SYS_writev, SYS_sendto, SYS_sendmsg, SYS_sendmmsg,
	SYS_close, SYS_shutdown, SYS_setsockopt, SYS_getsockopt, SYS_getsockname,
	SYS_getpeername, SYS_fcntl,
	SYS_connect,		/* syslog(3) reconnecting to /dev/log; socket(2): below */
	SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep, SYS_gettimeofday,
	SYS_getpid, SYS_gettid, SYS_getppid, SYS_getrandom,
	SYS_sysinfo,		/* max_load: the load average, where no /proc may be */
	SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap, SYS_madvise, SYS_mprotect,
	SYS_futex, SYS_newfstatat, SYS_fstat, SYS_lseek,
	SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_rt_sigaction,
	SYS_exit, SYS_exit_group, SYS_restart_syscall,
};

#define NALLOWED (sizeof(allowed) / sizeof(allowed[0]))

/*
 * A worker that connects out (redirect) also relays: splice(2) between
 * its sockets and the pipes it made before the filter went on. Its
 * sockets to the network are allowed below, by family.
 */
static const int allowed_relay[] = { SYS_splice };

#define NALLOWED_RELAY (sizeof(allowed_relay) / sizeof(allowed_relay[0]))

/* where the low 32 bits of a 64-bit argument are */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LOW_WORD 4
#else
#define ARG_LOW_WORD 0
#endif

/*
 * valgrind runs the program on its own system calls, which no allow list
 * of ours covers. It is told at run time, not by a header found at build
 * time: valgrind preloads its vgpreload_*.so into every program it runs,
 * so a build made before valgrind was installed still knows.
 */
bool
sandbox_under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload != NULL && strstr(preload, "/vgpreload_") != NULL;
}

bool
sandbox_seccomp_supported(void)
{
#ifdef SANDBOX_OFF_BY_BUILD
	return false;
#else
	return !sandbox_under_valgrind();
#endif
}

/*
 * A refused call traps rather than kills, so the number of the call can
 * be left where the master looks when it reaps us: a worker that reads
 * only "killed by signal 31" explains nothing. The handler records the
 * number and makes the same call again; SIGSYS is blocked inside the
 * handler and SA_RESETHAND has made it default, so the kernel's forced
 * SIGSYS for that second trap kills the process, as KILL_PROCESS would.
 */
static _Atomic int *violation_report;

static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (violation_report != NULL)
		atomic_store_explicit(violation_report, si->si_syscall + 1, memory_order_relaxed);
	syscall(si->si_syscall);
	_exit(127);	/* not reached: the call above traps again */
}

static int
trap_violations(_Atomic int *report)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	violation_report = report;
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		log_error("sigaction(SIGSYS)");
		return -1;
	}
	return 0;
}

/* socket(2): AF_UNIX for every worker; AF_INET and AF_INET6 for one that connects out. */
static size_t
filter_socket(struct sock_filter *prog, bool connects_out)
{
	size_t n = 0;
	unsigned char fams = connects_out ? 3 : 1;

	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0,
	    (unsigned char)(fams + 3));
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, args[0]) + ARG_LOW_WORD);
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, fams, 0);
	if (connects_out) {
		prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0);
		prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0);
	}
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}

int
sandbox_seccomp(_Atomic int *report, bool connects_out)
{
	struct sock_filter prog[3 + 8 + NALLOWED + NALLOWED_RELAY + 2];
	size_t nrelay = connects_out ? NALLOWED_RELAY : 0;
	size_t total = NALLOWED + nrelay;
	struct sock_fprog fprog;
	size_t n = 0;

	/* a foreign ABI (x32, i386 on x86_64) gets killed: numbers differ there */
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	/*
	 * socket(2) only for AF_UNIX: syslog(3) reopening /dev/log. Not for
	 * AF_INET, AF_PACKET or netlink: code run in a worker opens nothing
	 * to the network or the kernel, but for redirect's backend
	 * connections. (The domain is an int: its low word.) The filter
	 * leaves the accumulator holding the call's number.
	 */
	n += filter_socket(prog + n, connects_out);
	for (size_t i = 0; i < total; i++)
		prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    (unsigned)(i < NALLOWED ? allowed[i] : allowed_relay[i - NALLOWED]),
		    (unsigned char)(total - i), 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	fprog.len = (unsigned short)n;
	fprog.filter = prog;
	if (trap_violations(report) == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_error("prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) == -1) {
		log_error("prctl(PR_SET_SECCOMP)");
		return -1;
	}
	return 0;
}

#else

bool
sandbox_seccomp_supported(void)
{
	return false;
}

int
sandbox_seccomp(_Atomic int *report, bool connects_out)
{
	(void)report;
	(void)connects_out;
	errno = ENOSYS;
	return -1;
}

#endif
