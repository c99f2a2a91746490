/*
 * libFuzzer target: handover_collect, the new master's reader of what an
 * old binary left in the environment. The input is that environment, one
 * NAME=value line per variable ("LISTEN_PID=$$" stands for our pid), and
 * lines starting with '@' are the worker list's file. What the reader
 * takes must be what its writer writes back: a set it accepts, handed
 * over again, is read back the same.
 *
 * The descriptors an input may name for real are made once, at fixed
 * numbers (see fuzz/corpus/handover): 600 a TCP listener, 601 a UDP
 * socket, 602 a pipe's write end, 603 the worker list's memfd, 604 a
 * regular file (a pid file), 605 to 608 stand-ins for workers' pidfds
 * (the pipe's read end, /dev/null). close() is wrapped: the reader closes the
 * worker list it read, which must stay for the next input, and an input
 * may name any of libFuzzer's own descriptors.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handover.h"
#include "listener.h"
#include "log.h"

#define FD_TCP 600
#define FD_UDP 601
#define FD_PIPE 602
#define FD_LIST 603
#define FD_FILE 604
#define FD_PIPE_READ 605
#define FD_LAST 608

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_close(int fd);
int __real_close(int fd);

/* the one descriptor the harness lets go of: the worker list a round trip wrote */
static int closable = -1;

int
__wrap_close(int fd)
{
	if (fd != closable || fd < 0)
		return 0;
	closable = -1;
	return __real_close(fd);
}

static void
fixed(int fd, int at)
{
	if (fd == -1 || dup2(fd, at) == -1) {
		perror("fuzz_handover: setting up its descriptors");
		exit(1);
	}
	__real_close(fd);
}

static int
bound(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type, 0);

	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    (type == SOCK_STREAM && listen(fd, 1) == -1)) {
		perror("fuzz_handover: socket");
		exit(1);
	}
	return fd;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct log_settings quiet = { NULL, 0, LOG_LVL_ERROR };
	char path[] = "/tmp/fuzz_handover.XXXXXX", err[128];
	int p[2];

	(void)argc;
	(void)argv;
	if (log_apply(&quiet, err, sizeof(err)) == -1 || pipe(p) == -1) {
		fprintf(stderr, "fuzz_handover: setup failed\n");
		exit(1);
	}
	fixed(bound(SOCK_STREAM), FD_TCP);
	fixed(bound(SOCK_DGRAM), FD_UDP);
	fixed(p[1], FD_PIPE);
	fixed(p[0], FD_PIPE_READ);
	fixed(memfd_create("fuzz-workers", 0), FD_LIST);
	fixed(mkstemp(path), FD_FILE);
	unlink(path);
	for (int fd = FD_PIPE_READ + 1; fd <= FD_LAST; fd++)
		fixed(open("/dev/null", O_RDONLY), fd);
	return 0;
}

static bool
is_protocol(const char *name)
{
	for (size_t i = 0; handover_variable(i) != NULL; i++)
		if (strcmp(name, handover_variable(i)) == 0)
			return true;
	return strcmp(name, "LISTEN_PID") == 0 || strcmp(name, "LISTEN_FDS") == 0 ||
	    strcmp(name, "LISTEN_FDNAMES") == 0;
}

static void
clear(void)
{
	for (size_t i = 0; handover_variable(i) != NULL; i++)
		unsetenv(handover_variable(i));
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/* The input's lines into the environment and the worker list's file. */
static void
load(char *text)
{
	char pid[16];
	off_t off = 0;

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	if (ftruncate(FD_LIST, 0) == -1)
		abort();
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *eq = strchr(line, '=');

		if (line[0] == '@') {
			size_t n = strlen(line + 1);
			if (pwrite(FD_LIST, line + 1, n, off) != (ssize_t)n ||
			    pwrite(FD_LIST, "\n", 1, off + (off_t)n) != 1)
				abort();
			off += (off_t)(n + 1);
			continue;
		}
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (is_protocol(line))
			setenv(line, strcmp(eq + 1, "$$") == 0 ? pid : eq + 1, 1);
	}
}

static void
drop(struct inherited *in)
{
	for (size_t i = 0; i < in->nls; i++)
		free(in->ls[i]);
	handover_free(in);
}

static void
same_workers(const struct inherited *a, const struct inherited *b)
{
	if (a->nworkers != b->nworkers)
		abort();
	for (size_t i = 0; i < a->nworkers; i++) {
		const struct inherited_worker *x = &a->workers[i], *y = &b->workers[i];

		if (x->pid != y->pid || strcmp(x->name, y->name) != 0 || strcmp(x->kind, y->kind) != 0 ||
		    x->tcp != y->tcp || x->pidfd != y->pidfd || !y->has_grace ||
		    (x->has_grace && x->grace_s != y->grace_s))
			abort();
	}
}

static bool
is_open(int fd)
{
	return fd < 0 || fcntl(fd, F_GETFD) != -1;
}

/*
 * A master hands over descriptors it holds: one named but not open here
 * could be the number the worker list's new memfd gets, which no real
 * hand-over meets.
 */
static bool
all_open(const struct inherited *in)
{
	bool open_ = is_open(in->pidfile_fd) && is_open(in->guard_fd);

	for (size_t i = 0; i < in->nworkers && open_; i++)
		open_ = is_open(in->workers[i].pidfd);
	return open_;
}

/* What was accepted, handed over again, comes back the same. */
static void
round_trip(const struct inherited *in)
{
	const struct handover h = {
		.ls = in->ls, .nls = in->nls, .pidfile_fd = in->pidfile_fd,
		.workers = in->workers, .nworkers = in->nworkers, .detached = in->detached,
		.guard_fd = in->guard_fd, .recovered = in->recovered,
	};
	struct inherited back;
	char err[256];
	int fd;

	if (handover_export(&h, &fd) == -1)
		abort();
	closable = fd;
	if (handover_collect(&back, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_handover: what was accepted is refused when written back: %s\n", err);
		abort();
	}
	if (back.nls != in->nls || back.pidfile_fd != in->pidfile_fd || back.guard_fd != in->guard_fd ||
	    back.detached != in->detached || back.recovered != in->recovered)
		abort();
	for (size_t i = 0; i < in->nls; i++)
		if (back.ls[i]->fd != in->ls[i]->fd || back.ls[i]->protocol != in->ls[i]->protocol)
			abort();
	same_workers(in, &back);
	drop(&back);
	if (closable != -1) {
		__real_close(closable);
		closable = -1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inherited in;
	char err[256];
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	for (size_t i = 0; i < size; i++)
		text[i] = data[i] == '\0' ? '\n' : (char)data[i];
	text[size] = '\0';
	clear();
	load(text);
	free(text);
	if (handover_collect(&in, err, sizeof(err)) == 0 && in.source != NULL &&
	    strcmp(in.source, "upgrade") == 0 && all_open(&in))
		round_trip(&in);
	drop(&in);
	clear();
	return 0;
}
