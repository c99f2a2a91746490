/* What the tests and the bench both read from the system: processes in /proc, free loopback ports. */
#include "procutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool
pu_stat(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], buf[512], *p;
	FILE *f;
	long pp;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* comm may hold spaces and parentheses: the fields start after the last ')' */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %c %ld", state, &pp) != 2)
		return false;
	*ppid = (pid_t)pp;
	return true;
}

static bool
wanted(char state, enum pu_which which)
{
	bool dead = state == 'Z' || state == 'X';

	return which == PU_ALL || (which == PU_ZOMBIES) == dead;
}

int
pu_children(pid_t ppid, enum pu_which which, pid_t *out, int max)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		char state;
		pid_t parent, pid = (pid_t)atol(de->d_name);

		if (pid <= 0 || !pu_stat(pid, &state, &parent) || parent != ppid ||
		    !wanted(state, which))
			continue;
		if (out != NULL && n < max)
			out[n] = pid;
		n++;
	}
	closedir(dir);
	return n;
}

int
pu_bind_loopback(int type, int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
pu_hold_port(int port, int fds[2])
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	fds[0] = pu_bind_loopback(SOCK_STREAM, port);
	if (fds[0] == -1)
		return -1;
	if (getsockname(fds[0], (struct sockaddr *)&sa, &sl) == -1 ||
	    (fds[1] = pu_bind_loopback(SOCK_DGRAM, ntohs(sa.sin_port))) == -1) {
		close(fds[0]);
		return -1;
	}
	return ntohs(sa.sin_port);
}
