/*
 * The program exec_test runs under netsrvd: it reports what it was given
 * (environment, descriptors, signals, limits, identity) and misbehaves on
 * request. Its first argument is the mode:
 *   report          print what it got to stdout, a line to stderr, exit 0
 *   exit N          write "bye" to stdout and "oops" to stderr, exit N
 *   abort           die of SIGABRT
 *   hang PIDFILE    start a child in its group and one that leaves it
 *                   (setsid), write "PID CHILD ESCAPED" to PIDFILE, ignore
 *                   SIGTERM if a third argument says "stubborn", sleep
 *   udp-echo        read one datagram from stdin (the socket), send
 *                   "PROTO=... peers=N" back to its sender, exit 0
 *   flood           write 1000 lines to stderr, "done" to stdout, exit 0
 *   udp-linger      answer "pid=PID" to every datagram on stdin, half a
 *                   second apart, until none came for 1.5 s, then exit 0
 *                   (as in.tftpd lingers)
 *   silent          neither read nor write, sleep (a client-less program)
 *   leave-child FILE  wait until the client's bytes are there, unread;
 *                   fork a child that keeps the socket, exit 0; the
 *                   child, once its parent is gone, reads what waits and
 *                   writes "PID read=WHAT" to FILE, then sleeps
 *   close-linger FILE  write "bye", close stdin and stdout, write its pid
 *                   to FILE, sleep (the client is done, the program not)
 *   stderr-c1       write C1 controls and bidi overrides to stderr, exit 0
 *   tcp-wait FILE IDLE_MS [stubborn]  a TCP wait program: append its pid
 *                   to FILE, accept on stdin (the listener) and answer
 *                   "pid=PID conn=N nonblock=B" to each connection, a
 *                   fifth of a second apart, until none came for IDLE_MS,
 *                   then exit 0; "stubborn" ignores SIGTERM and, once the
 *                   listener fails, sleeps instead of exiting
 *   append FILE     append its pid to FILE, exit 0 (touching no socket)
 *   write PATH      create PATH, write a byte: "write PATH ok" or
 *                   "write PATH errno=EROFS" (the errno's name)
 *   ls DIR          "ls DIR: a b c" (sorted, no . and ..) or "ls DIR errno=E"
 *   cat FILE        "cat FILE: its first line" or "cat FILE errno=E"
 *   mountinfo       /proc/self/mountinfo, then "end"
 *   fs              one of the four above per line read from stdin (the
 *                   client's words, "write /tmp/x"), until EOF, then "end"
 *   status          print /proc/self/status's CapBnd, CapEff, NoNewPrivs
 *                   and Seccomp lines, then "end", exit 0
 *   syscall NAME... make each call (mount, reboot, ptrace, getpid), with
 *                   arguments that fail without a filter too, and print
 *                   "NAME ERRNO" (EPERM, EINVAL...; "ok" if it worked)
 *   escape FILE     a grandchild that calls setsid, closes its stdio and
 *                   sleeps; its pid goes to FILE, then the program writes
 *                   "escaped PID" and exits 0 (cgroup_test's escape)
 *   escape-udp FILE  the same from a UDP wait program, after it read one
 *                   datagram; the answer "escaped" goes to its sender
 *   forks N         fork up to N children that sleep, until a fork fails;
 *                   write "forked K errno=E" and exit 0
 *   spin MS         burn MS ms of CPU, write "spun", exit 0
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void
print_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	printf("fds:");
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		printf(" %s", e->d_name);
	}
	printf("\n");
	if (d != NULL)
		closedir(d);
}

static void
print_status_lines(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "SigBlk:", 7) == 0 || strncmp(line, "SigIgn:", 7) == 0)
			fputs(line, stdout);
	if (f != NULL)
		fclose(f);
}

/* "groups G1 G2 ...": the supplementary groups, as getgroups(2) gives them */
static void
print_groups(void)
{
	gid_t g[256];
	int n = getgroups(256, g);

	printf("groups");
	for (int i = 0; i < n; i++)
		printf(" %ld", (long)g[i]);
	printf("\n");
}

static int
report(void)
{
	struct rlimit rl;
	char cwd[256] = "?";
	int fl = fcntl(0, F_GETFL);

	for (char **e = environ; *e != NULL; e++)
		printf("env %s\n", *e);
	print_fds();
	print_status_lines();
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile %llu\n", (unsigned long long)rl.rlim_cur);
	getrlimit(RLIMIT_CPU, &rl);
	printf("cpu %lld\n", rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	printf("uid %ld\n", (long)getuid());
	print_groups();
	printf("cwd %s\n", getcwd(cwd, sizeof(cwd)) != NULL ? cwd : "?");
	printf("leader %d\n", getsid(0) == getpid() && getpgid(0) == getpid());
	printf("nonblock %d\n", fl != -1 && (fl & O_NONBLOCK) != 0);
	errno = 0;
	int prio = getpriority(PRIO_PROCESS, 0);
	printf("nice %d\n", errno == 0 ? prio : 99);
	mode_t mask = umask(0);
	umask(mask);
	printf("umask %04o\n", (unsigned)mask);
	printf("end\n");
	fflush(stdout);
	fprintf(stderr, "probe report to stderr\n");
	return 0;
}

static void
sleep_forever(void)
{
	for (;;)
		pause();
}

static int
hang(const char *pidfile, int stubborn)
{
	pid_t child, escaped;
	FILE *f;

	if (stubborn)
		signal(SIGTERM, SIG_IGN);
	if ((child = fork()) == 0)
		sleep_forever();
	if ((escaped = fork()) == 0) {
		setsid();
		signal(SIGTERM, SIG_IGN);
		sleep_forever();
	}
	if ((f = fopen(pidfile, "w")) == NULL)
		return 1;
	fprintf(f, "%ld %ld %ld\n", (long)getpid(), (long)child, (long)escaped);
	fclose(f);
	printf("hanging\n");
	fflush(stdout);
	sleep_forever();
	return 0;
}

static int
udp_echo(void)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[512], out[600];
	int peers = 0;
	ssize_t n = recvfrom(0, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

	if (n < 0)
		return 2;
	for (char **e = environ; *e != NULL; e++)
		peers += strncmp(*e, "TCPREMOTE", 9) == 0 || strncmp(*e, "REMOTE_", 7) == 0;
	snprintf(out, sizeof(out), "%s peers=%d", getenv("PROTO") ? getenv("PROTO") : "none", peers);
	sendto(1, out, strlen(out), 0, (struct sockaddr *)&from, flen);
	return 0;
}

static int
udp_linger(void)
{
	for (;;) {
		struct pollfd pf = { 0, POLLIN, 0 };
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		char buf[512], out[64];

		if (poll(&pf, 1, 1500) <= 0)
			return 0;
		if (recvfrom(0, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) < 0)
			return 2;
		snprintf(out, sizeof(out), "pid=%ld", (long)getpid());
		sendto(1, out, strlen(out), 0, (struct sockaddr *)&from, flen);
		/* slow to come back: the next datagram waits in the socket meanwhile */
		usleep(500 * 1000);
	}
}

static int
leave_child(const char *file)
{
	struct pollfd pf = { 0, POLLIN, 0 };
	pid_t parent = getpid();

	if (poll(&pf, 1, 5000) != 1)
		return 2;
	if (fork() == 0) {
		char buf[64] = "";
		ssize_t n;
		FILE *f;

		while (getppid() == parent)
			usleep(10 * 1000);
		/* the worker has had its chance to read (it must not) */
		usleep(300 * 1000);
		n = recv(0, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		if ((f = fopen(file, "w")) == NULL)
			_exit(1);
		fprintf(f, "%ld read=%s\n", (long)getpid(), buf);
		fclose(f);
		sleep_forever();
	}
	return 0;
}

static int
close_linger(const char *file)
{
	FILE *f;

	printf("bye\n");
	fflush(stdout);
	close(0);
	close(1);
	if ((f = fopen(file, "w")) == NULL)
		return 1;
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	sleep_forever();
	return 0;
}

static int
append_pid(const char *file)
{
	FILE *f = fopen(file, "a");

	if (f == NULL)
		return 1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : 1;
}

static int
print_status(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "CapBnd:", 7) == 0 || strncmp(line, "CapEff:", 7) == 0 ||
		    strncmp(line, "NoNewPrivs:", 11) == 0 || strncmp(line, "Seccomp:", 8) == 0)
			fputs(line, stdout);
	if (f != NULL)
		fclose(f);
	printf("end\n");
	return 0;
}

/*
 * Arguments that fail whatever the filter, so nothing happens: a mount
 * of a file system that does not exist on a path that does not either,
 * reboot's bad magic (EINVAL once CAP_SYS_BOOT is checked), peeking at
 * a process we do not trace (ESRCH).
 */
static long
call_named(const char *name)
{
	if (strcmp(name, "mount") == 0)
		return mount("none", "/nonexistent-netsrvd-probe", "netsrvd-no-such-fs", 0, NULL);
	if (strcmp(name, "reboot") == 0)
		return syscall(SYS_reboot, 0, 0, 0, NULL);
	if (strcmp(name, "ptrace") == 0)
		return ptrace(PTRACE_PEEKUSER, getppid(), NULL, NULL);
	if (strcmp(name, "getpid") == 0)
		return getpid() > 0 ? 0 : -1;
	errno = EDOM;
	return -1;
}

static int
syscalls(int n, char **names)
{
	for (int i = 0; i < n; i++) {
		long r;

		errno = 0;
		r = call_named(names[i]);
		printf("%s %s\n", names[i], r != -1 || errno == 0 ? "ok" : strerrorname_np(errno));
	}
	printf("end\n");
	return 0;
}

static int
tcp_wait(const char *file, int idle_ms, int stubborn)
{
	int fl = fcntl(0, F_GETFL);
	int nonblock = fl != -1 && (fl & O_NONBLOCK) != 0;

	if (stubborn)
		signal(SIGTERM, SIG_IGN);
	if (append_pid(file) != 0)
		return 1;
	for (int conn = 1;; conn++) {
		struct pollfd pf = { 0, POLLIN, 0 };
		char out[96];
		int fd;

		if (poll(&pf, 1, idle_ms) == 0)
			return 0;
		if ((fd = accept(0, NULL, NULL)) == -1) {
			if (stubborn)
				sleep_forever();
			return 3;
		}
		snprintf(out, sizeof(out), "pid=%ld conn=%d nonblock=%d\n", (long)getpid(), conn, nonblock);
		if (write(fd, out, strlen(out)) < 0)
			return 4;
		close(fd);
		/* slow to come back: the next client waits in the listener's queue meanwhile */
		usleep(200 * 1000);
	}
}

/* --- the filesystem as the program sees it (confine_fs_test) --- */

static void
fs_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd == -1 || write(fd, "x", 1) != 1)
		printf("write %s errno=%s\n", path, strerrorname_np(errno));
	else
		printf("write %s ok\n", path);
	if (fd != -1)
		close(fd);
}

static int
not_dots(const struct dirent *e)
{
	return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

static void
fs_ls(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, not_dots, alphasort);

	if (n < 0) {
		printf("ls %s errno=%s\n", dir, strerrorname_np(errno));
		return;
	}
	printf("ls %s:", dir);
	for (int i = 0; i < n; i++) {
		printf(" %s", list[i]->d_name);
		free(list[i]);
	}
	printf("\n");
	free(list);
}

static void
fs_cat(const char *path)
{
	char line[512] = "";
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		printf("cat %s errno=%s\n", path, strerrorname_np(errno));
		return;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	printf("cat %s: %s\n", path, line);
	fclose(f);
}

static void
fs_mountinfo(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		printf("mountinfo errno=%s\n", strerrorname_np(errno));
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		fputs(line, stdout);
	if (f != NULL)
		fclose(f);
}

static int
fs_one(const char *cmd, const char *arg)
{
	if (strcmp(cmd, "write") == 0 && arg != NULL)
		fs_write(arg);
	else if (strcmp(cmd, "ls") == 0 && arg != NULL)
		fs_ls(arg);
	else if (strcmp(cmd, "cat") == 0 && arg != NULL)
		fs_cat(arg);
	else if (strcmp(cmd, "mountinfo") == 0)
		fs_mountinfo();
	else
		return -1;
	return 0;
}

static int
fs_commands(void)
{
	char line[1024];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *arg;

		line[strcspn(line, "\r\n")] = '\0';
		if ((arg = strchr(line, ' ')) != NULL)
			*arg++ = '\0';
		if (line[0] != '\0' && fs_one(line, arg) == -1)
			printf("unknown %s\n", line);
	}
	printf("end\n");
	return 0;
}

/* The grandchild leaves the program's session and its descriptors: only a cgroup still holds it. */
static int
escape(const char *file)
{
	int p[2];
	pid_t gc = 0;
	FILE *f;

	if (pipe(p) == -1)
		return 1;
	if (fork() == 0) {
		pid_t g = fork();
		if (g == 0) {
			int null = open("/dev/null", O_RDWR);
			setsid();
			signal(SIGTERM, SIG_IGN);
			signal(SIGHUP, SIG_IGN);
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			close(p[0]);
			close(p[1]);
			sleep_forever();
		}
		_exit(write(p[1], &g, sizeof(g)) == (ssize_t)sizeof(g) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &gc, sizeof(gc)) != (ssize_t)sizeof(gc) || gc <= 0)
		return 2;
	if ((f = fopen(file, "w")) == NULL)
		return 1;
	fprintf(f, "%ld\n", (long)gc);
	if (fclose(f) != 0)
		return 1;
	printf("escaped %ld\n", (long)gc);
	return 0;
}

/* A UDP wait program: one datagram read, the escape, the answer to its sender. */
static int
escape_udp(const char *file)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[512];
	int rc;

	if (recvfrom(0, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) < 0)
		return 1;
	/* stdout is the socket, which has no peer to write to */
	if (freopen("/dev/null", "w", stdout) == NULL)
		return 1;
	if ((rc = escape(file)) != 0)
		return rc;
	snprintf(buf, sizeof(buf), "escaped\n");
	return sendto(0, buf, strlen(buf), 0, (struct sockaddr *)&from, flen) < 0 ? 1 : 0;
}

static int
forks(long n)
{
	long k = 0;
	int e = 0;

	for (; k < n; k++) {
		pid_t c = fork();
		if (c == 0)
			sleep_forever();
		if (c == -1) {
			e = errno;
			break;
		}
	}
	printf("forked %ld errno=%d\n", k, e);
	return 0;
}

static int
spin(long ms)
{
	struct timespec t0, t;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
	printf("spun\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "report";

	if (strcmp(mode, "report") == 0)
		return report();
	if (strcmp(mode, "exit") == 0 && argc > 2) {
		printf("bye\n");
		fflush(stdout);
		fprintf(stderr, "oops\n");
		return atoi(argv[2]);
	}
	if (strcmp(mode, "abort") == 0)
		abort();
	if (strcmp(mode, "hang") == 0 && argc > 2)
		return hang(argv[2], argc > 3 && strcmp(argv[3], "stubborn") == 0);
	if (strcmp(mode, "udp-echo") == 0)
		return udp_echo();
	if (strcmp(mode, "udp-linger") == 0)
		return udp_linger();
	if (strcmp(mode, "silent") == 0)
		sleep_forever();
	if (strcmp(mode, "leave-child") == 0 && argc > 2)
		return leave_child(argv[2]);
	if (strcmp(mode, "close-linger") == 0 && argc > 2)
		return close_linger(argv[2]);
	if (strcmp(mode, "tcp-wait") == 0 && argc > 3)
		return tcp_wait(argv[2], atoi(argv[3]), argc > 4 && strcmp(argv[4], "stubborn") == 0);
	if (strcmp(mode, "escape") == 0 && argc > 2)
		return escape(argv[2]);
	if (strcmp(mode, "escape-udp") == 0 && argc > 2)
		return escape_udp(argv[2]);
	if (strcmp(mode, "forks") == 0 && argc > 2)
		return forks(atol(argv[2]));
	if (strcmp(mode, "spin") == 0 && argc > 2)
		return spin(atol(argv[2]));
	if (strcmp(mode, "append") == 0 && argc > 2)
		return append_pid(argv[2]);
	if (strcmp(mode, "status") == 0)
		return print_status();
	if (strcmp(mode, "syscall") == 0)
		return syscalls(argc - 2, argv + 2);
	if (strcmp(mode, "stderr-c1") == 0) {
		fputs("c1 [\xc2\x9b" "31m] raw [\x9b] bidi [\xe2\x80\xae] iso [\xe2\x81\xa6] ok [\xc3\xa9]\n", stderr);
		return 0;
	}
	if (strcmp(mode, "fs") == 0)
		return fs_commands();
	if (fs_one(mode, argc > 2 ? argv[2] : NULL) == 0) {
		printf("end\n");
		return 0;
	}
	if (strcmp(mode, "flood") == 0) {
		for (int i = 0; i < 1000; i++)
			fprintf(stderr, "flood line %d\n", i);
		printf("done\n");
		return 0;
	}
	fprintf(stderr, "exec_probe: unknown mode %s\n", mode);
	return 64;
}
