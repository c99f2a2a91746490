/* netsrvd-bench: what /proc says about the target's processes. */
#include "bench.h"

/* Live (not zombie) children of ppid, from /proc/PID/stat. */
int
list_children(pid_t ppid, pid_t *out, int max)
{
	char path[64], buf[512], *p, state;
	struct dirent *de;
	DIR *d;
	FILE *f;
	int n = 0, pp;
	size_t len;
	long pid;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = strtol(de->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		/* comm may hold spaces and parentheses: parse after the last ')'. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %c %d", &state, &pp) != 2)
			continue;
		if (pp == ppid && state != 'Z' && state != 'X')
			out[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
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
