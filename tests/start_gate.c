/* Preloaded into the daemon by systemd_test: a worker's start waits at a gate, or fails, before it serves. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int prctl(int option, ...);

/* read before main: the daemon's process title takes over the environment block */
static char mode[512];

__attribute__((constructor)) static void
read_mode(void)
{
	const char *m = getenv("NETSRVD_TEST_START");

	if (m != NULL && strlen(m) < sizeof(mode))
		strcpy(mode, m);
}

/* "gate:PATH": until PATH exists (for 60 s at most) */
static void
wait_for_gate(const char *path)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 6000 && access(path, F_OK) == -1; i++)
		nanosleep(&tick, NULL);
}

/*
 * Only a worker asks for SIGTERM at its master's death (worker.c,
 * bind_to_master), late in its setup: what happens here happens before
 * its line says it serves.
 */
int
prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_PDEATHSIG && a[0] == SIGTERM) {
		if (strcmp(mode, "fail") == 0) {
			errno = EPERM;
			return -1;
		}
		if (strncmp(mode, "gate:", 5) == 0)
			wait_for_gate(mode + 5);
	}
	return (int)syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}
