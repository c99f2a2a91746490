/* netsrvd-bench: what /proc says about the target's processes. */
#include "bench.h"

/* Live (not zombie) children of ppid, at most max of them (tests/procutil.c). */
int
list_children(pid_t ppid, pid_t *out, int max)
{
	int n = pu_children(ppid, PU_LIVE, out, max);

	return n > max ? max : n;
}

/* Sum a field (e.g. "Private_Dirty:") over /proc/PID/smaps_rollup or smaps. */
int
smaps_read(pid_t pid, long *pd, long *pss, long *rss)
{
	char path[64], line[256];
	FILE *f;
	long v;

	*pd = *pss = *rss = 0;
	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(path, sizeof(path), "/proc/%ld/smaps", (long)pid);
		if ((f = fopen(path, "re")) == NULL)
			return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Private_Dirty: %ld", &v) == 1)
			*pd += v;
		else if (sscanf(line, "Pss: %ld", &v) == 1)
			*pss += v;
		else if (sscanf(line, "Rss: %ld", &v) == 1)
			*rss += v;
	}
	fclose(f);
	return 0;
}
