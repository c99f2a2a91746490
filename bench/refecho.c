/* Reference pre-fork servers on 127.0.0.1: the yardstick the bench holds netsrvd to */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: refecho tcp|udp|daytime PORT N
 * The simplest thing the design allows: one socket bound by the parent, N
 * forked children blocking in accept (or recvfrom), no poll, no timeouts,
 * no logging. SIGTERM or SIGINT to the parent kills and reaps the children.
 */

static volatile sig_atomic_t want_stop;

static void
on_term(int sig)
{
	(void)sig;
	want_stop = 1;
}

static void
serve_tcp(int lfd, int daytime)
{
	char buf[65536];
	ssize_t n, w, off;
	time_t t;
	int c;

	for (;;) {
		if ((c = accept(lfd, NULL, NULL)) == -1)
			continue;	/* EINTR, ECONNABORTED, EMFILE: try again */
		if (daytime) {
			t = time(NULL);
			n = (ssize_t)strftime(buf, sizeof(buf),
			    "%A, %B %d, %Y %H:%M:%S-%Z\r\n", localtime(&t));
			if (write(c, buf, (size_t)n) == -1)
				perror("refecho: write");
		} else {
			while ((n = read(c, buf, sizeof(buf))) > 0)
				for (off = 0; off < n; off += w)
					if ((w = write(c, buf + off,
					    (size_t)(n - off))) <= 0)
						goto done;
		}
done:
		close(c);
	}
}

static void
serve_udp(int fd)
{
	char buf[65536];
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t n;

	for (;;) {
		len = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &len);
		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&ss, len);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	struct sigaction sa;
	sigset_t block, old;
	pid_t *kids, parent = getpid();
	int fd, one = 1, port, n, i, udp;

	if (argc != 4 || (strcmp(argv[1], "tcp") != 0 &&
	    strcmp(argv[1], "udp") != 0 && strcmp(argv[1], "daytime") != 0) ||
	    (port = atoi(argv[2])) < 1 || port > 65535 ||
	    (n = atoi(argv[3])) < 1 || n > 1024) {
		fprintf(stderr, "usage: refecho tcp|udp|daytime PORT N\n");
		return 64;
	}
	udp = strcmp(argv[1], "udp") == 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (!udp && listen(fd, 128) == -1)) {
		fprintf(stderr, "refecho: %s 127.0.0.1:%d: %s\n", argv[1],
		    port, strerror(errno));
		return 71;
	}
	if ((kids = calloc((size_t)n, sizeof(*kids))) == NULL) {
		perror("refecho: calloc");
		return 1;
	}

	/* Block the stop signals until sigsuspend, so none is lost in between. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (i = 0; i < n; i++) {
		if ((kids[i] = fork()) == -1) {
			perror("refecho: fork");
			want_stop = 1;
			break;
		}
		if (kids[i] == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			/* Never outlive the parent, even if it is SIGKILLed. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(0);
			if (udp)
				serve_udp(fd);
			else
				serve_tcp(fd, strcmp(argv[1], "daytime") == 0);
			_exit(0);
		}
	}
	while (!want_stop)
		sigsuspend(&old);
	for (i = 0; i < n && kids[i] > 0; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < n && kids[i] > 0; i++)
		while (waitpid(kids[i], NULL, 0) == -1 && errno == EINTR)
			;
	free(kids);
	return 0;
}
