/*
 * libFuzzer target: an xinetd.conf, with a file of an includedir whose
 * name is fuzzed too -> --import -> the netsrv.conf it prints, judged by
 * the oracle of import_oracle.h (it loads; it serves what the import
 * serves, named from the text; no comment makes a live line; netsrvd's
 * loader takes it).
 *
 * The input is MAIN NUL NAME NUL TEXT: MAIN is the file imported, TEXT a
 * file named NAME ('/' made '_') in the directory d, and "includedir d"
 * ends MAIN. Both are written in the working directory (`make fuzz` runs
 * the fuzzer in fuzz/run/import-xinetd/). An include or includedir of an
 * absolute path or one holding ".." skips the input: the fuzzer reads no
 * file but those of its run. So does a MAIN that is an inetd.conf
 * (fuzz_import_inetd.c's).
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/import.h"
#include "import_oracle.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- the files of one input --- */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdir("d", 0700) == -1 && errno != EEXIST) {
		perror("fuzz_import_xinetd: mkdir d");
		exit(1);
	}
	return 0;
}

/* An include or includedir line of text names a file not ours. */
static bool
reads_elsewhere(const char *text)
{
	for (const char *p = text; p != NULL; p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
		const char *l = p + strspn(p, " \t\r"), *arg;
		size_t len = strcspn(l, " \t\r\n");

		if ((len != 7 || strncmp(l, "include", 7) != 0) && (len != 10 || strncmp(l, "includedir", 10) != 0))
			continue;
		arg = l + len + strspn(l + len, " \t\r");
		if (*arg == '/')
			return true;
		for (const char *q = arg; *q != '\0' && *q != '\n'; q++)
			if (q[0] == '.' && q[1] == '.')
				return true;
	}
	return false;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF) {
		perror(path);
		abort();
	}
}

static void
empty_d(void)
{
	DIR *d = opendir("d");
	struct dirent *de;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		char path[300];
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "d/%s", de->d_name);
		if (unlink(path) == -1)
			abort();
	}
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = calloc(1, size + 3), *main_text, *name, *text, *all, path[300];
	size_t mlen, nlen;
	struct stat sb;
	int rc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);	/* two NULs past the end: NAME and TEXT may be empty */
	name = buf + strlen(buf) + 1;
	text = name + strlen(name) + 1;
	if (reads_elsewhere(buf) || reads_elsewhere(text) || strlen(name) > 200) {
		free(buf);
		return -1;	/* not added to the corpus */
	}
	for (char *c = name; *c != '\0'; c++)
		if (*c == '/')
			*c = '_';
	mlen = strlen(buf);
	main_text = import_xprintf("%s%sincludedir d\n", buf, mlen > 0 && buf[mlen - 1] != '\n' ? "\n" : "");
	write_file("main", main_text);
	empty_d();
	nlen = strlen(name);
	if (nlen > 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
		snprintf(path, sizeof(path), "d/%s", name);
		write_file(path, text);
	}
	/* the names may come from either file's text, never from NAME */
	all = import_xprintf("%s\n%s", main_text, text);
	if (stat("main", &sb) == -1)
		abort();
	rc = fuzz_import_check(IMPORT_XINETD, "main", main_text, &sb, all);
	free(all);
	free(main_text);
	free(buf);
	return rc;
}
