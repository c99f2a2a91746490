/* The system call filter of a service's programs (syscall_filter): seccomp BPF made once per worker, installed just before execve. */
#include "autoconfig.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "log.h"
#include "program_filter.h"
#include "sandbox.h"

#if defined(__x86_64__)
#define FILTER_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
#endif

/*
 * syscall_filter = "system-service": what systemd's SystemCallFilter=
 * @system-service allows, as `systemd-analyze syscall-filter
 * @system-service` of systemd 256 expands it (its groups @aio,
 * @basic-io, @chown, @default, @file-system, @io-event, @ipc, @keyring,
 * @memlock, @network-io, @process, @resources, @sandbox, @setuid,
 * @signal, @sync, @timer and the calls it names itself), every
 * architecture's names: one this libc does not know is never matched.
 * Sorted (strcmp), for bsearch.
 *
 * The choice: an allow list by name, the same list as systemd's, rather
 * than our own deny list, so that what it lets through is what a
 * sysadmin reads in systemd.exec(5), and a call added to the kernel
 * later is refused until someone adds it here. Left out are, among
 * others, @clock, @cpu-emulation, @debug (ptrace, perf_event_open,
 * pidfd_getfd), @module, @mount (mount, umount2, pivot_root, chroot, the
 * new mount API), @obsolete, @pkey, @raw-io (iopl, ioperm), @reboot
 * (reboot, kexec_*), @swap, and the privileged calls of no group
 * (acct, bpf, fanotify_*, open_by_handle_at, quotactl, sethostname,
 * setdomainname, syslog, vhangup). systemd keeps process_vm_readv and
 * process_vm_writev in @ipc: so do we (the kernel checks them as it
 * checks ptrace's attach, which the filter refuses anyway).
 */
static const char *const system_service[] = {
	"_llseek", "_newselect", "accept", "accept4", "access", "add_key", "alarm", "arch_prctl",
	"arm_fadvise64_64", "bind", "brk", "cacheflush", "capget", "capset", "chdir", "chmod",
	"chown", "chown32", "clock_getres", "clock_getres_time64", "clock_gettime",
	"clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "clone", "clone3", "close",
	"close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
	"execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
	"fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
	"fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
	"fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
	"fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat",
	"get_mempolicy", "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents",
	"getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
	"getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
	"getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
	"getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
	"gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
	"inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
	"io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit", "io_uring_enter",
	"io_uring_register", "io_uring_setup", "ioctl", "ioprio_get", "ioprio_set", "ipc", "kcmp",
	"keyctl", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
	"lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
	"lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "mbind", "membarrier",
	"memfd_create", "migrate_pages", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
	"mlockall", "mmap", "mmap2", "move_pages", "mprotect", "mq_getsetattr", "mq_notify",
	"mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
	"mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
	"msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
	"nice", "oldfstat", "oldlstat", "oldolduname", "oldstat", "olduname", "open", "openat",
	"openat2", "pause", "personality", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
	"poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
	"process_madvise", "process_vm_readv", "process_vm_writev", "pselect6", "pselect6_time64",
	"pwrite64", "pwritev", "pwritev2", "read", "readahead", "readdir", "readlink",
	"readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
	"remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "request_key",
	"restart_syscall", "riscv_flush_icache", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction",
	"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
	"sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	"sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
	"sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
	"semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
	"set_mempolicy", "set_mempolicy_home_node", "set_robust_list", "set_thread_area",
	"set_tid_address", "set_tls", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid",
	"setgid32", "setgroups", "setgroups32", "setitimer", "setns", "setpgid", "setpriority",
	"setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
	"setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32",
	"setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaction", "sigaltstack",
	"signal", "signalfd", "signalfd4", "sigpending", "sigprocmask", "sigreturn", "sigsuspend",
	"socket", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64",
	"statx", "swapcontext", "symlink", "symlinkat", "sync", "sync_file_range",
	"sync_file_range2", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	"timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
	"ugetrlimit", "umask", "uname", "unlink", "unlinkat", "unshare", "uretprobe",
	"userfaultfd", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice",
	"wait4", "waitid", "waitpid", "write", "writev",
};

#define NSYSTEM_SERVICE (sizeof(system_service) / sizeof(system_service[0]))

static int
cmp_name(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

bool
program_filter_known(const char *set)
{
	return set != NULL && strcmp(set, "system-service") == 0;
}

bool
program_filter_allows(const char *name)
{
	return bsearch(name, system_service, NSYSTEM_SERVICE, sizeof(system_service[0]), cmp_name) != NULL;
}

const char *
program_filter_unavailable(void)
{
#ifndef FILTER_ARCH
	return "netsrvd has no filter for this architecture";
#else
	if (sandbox_under_valgrind())
		return "valgrind runs netsrvd";	/* the programs' calls would be valgrind's */
	if (!sandbox_seccomp_supported())
		return "a sanitizer build";
	return NULL;
#endif
}

#ifdef FILTER_ARCH

/*
 * What a refused call returns. EPERM for a call the list leaves out,
 * rather than SIGSYS: the program sees "Operation not permitted" where it
 * checks the call and can say so in its log, where a signal would kill
 * it with nothing said. ENOSYS for a number this libc does not know (a
 * call newer than the table, a hole in it, the x32 numbers) and for a
 * foreign ABI (i386 on x86_64): what a kernel without that call says, so
 * a newer libc or runtime falls back as it would there (glibc tries
 * clone3, close_range, faccessat2... and falls back on ENOSYS only).
 */
#define RET_DENY (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define RET_UNKNOWN (SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))

static uint32_t
action_of(int nr)
{
	const char *name = sandbox_syscall_name(nr);

	if (name == NULL)
		return RET_UNKNOWN;
	return program_filter_allows(name) ? SECCOMP_RET_ALLOW : RET_DENY;
}

/*
 * The refused numbers as runs [first, last] of one action, ascending;
 * the last run is everything above the table. Each run is four
 * instructions, every jump a short one:
 *	jge first, +1	; at or above the run: go on
 *	ret ALLOW	; between the previous run and this one
 *	jgt last, +1	; past the run: the next one
 *	ret ACTION
 * so a call costs the arch check plus two instructions per run below it:
 * read, write and the like a handful, the highest numbers a few dozen.
 */
static size_t
emit_run(struct sock_filter *prog, size_t n, uint32_t first, uint32_t last, uint32_t action)
{
	if (prog != NULL) {
		prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, first, 1, 0);
		prog[n + 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		prog[n + 2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, last, 1, 0);
		prog[n + 3] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
	}
	return n + 4;
}

/* Writes the program into prog (NULL: only counts it); returns its length. */
static size_t
compile(struct sock_filter *prog)
{
	int count = sandbox_syscall_count();
	size_t n = 0;

	if (prog != NULL) {
		/* a foreign ABI's numbers mean other calls: none of them */
		prog[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch));
		prog[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0);
		prog[2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, RET_UNKNOWN);
		prog[3] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr));
	}
	n = 4;
	for (int nr = 0; nr < count;) {
		uint32_t action = action_of(nr);
		int last = nr;

		if (action == SECCOMP_RET_ALLOW) {
			nr++;
			continue;
		}
		while (last + 1 < count && action_of(last + 1) == action)
			last++;
		n = emit_run(prog, n, (uint32_t)nr, (uint32_t)last, action);
		nr = last + 1;
	}
	n = emit_run(prog, n, (uint32_t)count, UINT32_MAX, RET_UNKNOWN);
	if (prog != NULL)	/* the last run's jgt never jumps: here only for the checker */
		prog[n] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n + 1;
}

int
program_filter_build(struct program_filter *f, const char *set)
{
	size_t len = compile(NULL);

	memset(f, 0, sizeof(*f));
	/* bsearch needs the order: a name added out of place fails here, in the first test */
	for (size_t i = 1; i < NSYSTEM_SERVICE; i++)
		if (strcmp(system_service[i - 1], system_service[i]) >= 0) {
			log_errorx("syscall_filter: the system-service list is out of order at \"%s\"",
			    system_service[i]);
			errno = EINVAL;
			return -1;
		}
	if (!program_filter_known(set)) {
		log_errorx("syscall_filter \"%s\" is not a filter netsrvd knows", set != NULL ? set : "");
		errno = EINVAL;
		return -1;
	}
	if (len > BPF_MAXINSNS) {
		log_errorx("syscall_filter: %zu instructions, more than the kernel takes (%d)", len, BPF_MAXINSNS);
		errno = E2BIG;
		return -1;
	}
	if ((f->prog = calloc(len, sizeof(*f->prog))) == NULL) {
		log_errorx("syscall_filter: out of memory");
		return -1;
	}
	f->len = (unsigned short)compile(f->prog);
	return 0;
}

/*
 * In the child between clone and execve: system calls only. A program
 * that keeps CAP_SYS_ADMIN (run as root, its bounding set not cut below
 * it) gets the filter as it is, and a set-user-ID program it runs still
 * gains its privileges, as under systemd. Any other gets no_new_privs
 * with it: f says so when the child still holds CAP_SYS_ADMIN that
 * execve will take away (a root worker whose bounding set was cut), and
 * otherwise the kernel asks for it (EACCES), as it does of systemd.
 */
int
program_filter_install(const struct program_filter *f)
{
	struct sock_fprog fp = { .len = f->len, .filter = f->prog };

	if (f->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) == 0)
		return 0;
	if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp);
}

#else

int
program_filter_build(struct program_filter *f, const char *set)
{
	(void)set;
	memset(f, 0, sizeof(*f));
	errno = ENOSYS;
	return -1;
}

int
program_filter_install(const struct program_filter *f)
{
	(void)f;
	errno = ENOSYS;
	return -1;
}

#endif

void
program_filter_free(struct program_filter *f)
{
	free(f->prog);
	memset(f, 0, sizeof(*f));
}
