/* The exec bench's yardstick: pre-forked workers that accept and posix_spawn a program per connection */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * usage: refexec PORT N PROGRAM [ARG...]
 * The limit of the design on this machine: one socket bound by the parent,
 * N forked children that each block in accept(), posix_spawn the program
 * with the connection on fd 0 and 1, and wait for it. No limits, no
 * logging, no environment but the parent's, no timeouts. SIGTERM to the
 * parent kills and reaps the children.
 */

extern char **environ;

static volatile sig_atomic_t want_stop;

static void
on_term(int sig)
{
	(void)sig;
	want_stop = 1;
}

static void
serve(int lfd, char **argv)
{
	for (;;) {
		posix_spawn_file_actions_t fa;
		pid_t pid;
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (c == -1)
			continue;	/* EINTR, ECONNABORTED, EMFILE: try again */
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, c, 0);
		posix_spawn_file_actions_adddup2(&fa, c, 1);
		if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0)
			while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
				;
		posix_spawn_file_actions_destroy(&fa);
		close(c);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct sigaction sa;
	pid_t *kids;
	int lfd, one = 1, n;

	if (argc < 4 || (n = atoi(argv[2])) < 1 || n > 1024) {
		fprintf(stderr, "usage: refexec PORT N PROGRAM [ARG...]\n");
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(lfd, 128) == -1) {
		perror("refexec: socket");
		return 1;
	}
	if ((kids = calloc((size_t)n, sizeof(pid_t))) == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		if ((kids[i] = fork()) == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			serve(lfd, argv + 3);
		}
		if (kids[i] == -1) {
			perror("refexec: fork");
			return 1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!want_stop)
		pause();
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	free(kids);
	return 0;
}
