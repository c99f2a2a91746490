/*
 * What a mount namespace would cost per program rather than per worker
 * (the comment atop src/confine.c): ROUNDS rounds of unshare(CLONE_NEWNS),
 * confine_filesystem's mounts, and setns back to the first namespace
 * (which frees the round's, as a program's exit would), timed. Root only;
 * not built by make:
 *   gcc -O2 -Isrc -I. -o /tmp/confine_fs_cost bench/confine_fs_cost.c src/libnetsrvd.a -lconfig
 *   /tmp/confine_fs_cost [ROUNDS [DIR]]   (DIR, default /srv: where its test paths go, not under /tmp)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"

static double
us(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
rounds_of(const char *what, const struct confine_conf *c, int ns, int rounds)
{
	double t0 = us(CLOCK_MONOTONIC), c0 = us(CLOCK_PROCESS_CPUTIME_ID);

	for (int i = 0; i < rounds; i++) {
		if (c != NULL ? confine_filesystem("bench", c, NULL) == -1 : unshare(CLONE_NEWNS) == -1)
			return -1;
		if (setns(ns, CLONE_NEWNS) == -1) {
			perror("setns");
			return -1;
		}
	}
	printf("%-40s %7.1f us a round, %7.1f us of CPU\n", what, (us(CLOCK_MONOTONIC) - t0) / rounds,
	    (us(CLOCK_PROCESS_CPUTIME_ID) - c0) / rounds);
	return 0;
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1000;
	const char *base = argc > 2 ? argv[2] : "/srv";
	char dir[256], rw[300], in[300], file[300];
	char *rwv[] = { rw }, *inv[] = { in, file };
	struct confine_conf tmp = { .mount_ns = true, .private_tmp = true };
	struct confine_conf strict = { .mount_ns = true, .protect = PROTECT_SYSTEM_STRICT,
	    .read_write_paths = { rwv, 1 }, .inaccessible_paths = { inv, 1 }, .protect_home = true,
	    .private_tmp = true };
	struct confine_conf full = { .mount_ns = true, .protect = PROTECT_SYSTEM_FULL };
	struct confine_conf strict_file = strict;
	int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC), rc;

	snprintf(dir, sizeof(dir), "%s/confine-fs-cost.XXXXXX", base);
	if (ns == -1 || mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	snprintf(rw, sizeof(rw), "%s/rw", dir);
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	strict_file.inaccessible_paths.n = 2;
	rc = mkdir(rw, 0755) == -1 || mkdir(in, 0755) == -1 || close(open(file, O_CREAT | O_WRONLY, 0644)) == -1 ||
	    rounds_of("unshare alone", NULL, ns, rounds) == -1 ||
	    rounds_of("private_tmp", &tmp, ns, rounds) == -1 ||
	    rounds_of("protect_system=full", &full, ns, rounds) == -1 ||
	    rounds_of("strict+rw+inaccessible dir+home+tmp", &strict, ns, rounds) == -1 ||
	    rounds_of("the same + an inaccessible file", &strict_file, ns, rounds) == -1;
	unlink(file);
	rmdir(in);
	rmdir(rw);
	rmdir(dir);
	return rc;
}
