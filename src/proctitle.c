/* Process titles for ps: "netsrvd: master", "netsrvd: worker echo". */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proctitle.h"

extern char **environ;

static char *title_start;
static size_t title_len;
/* our copy of the environment, global so it stays reachable for leak checkers */
char **proctitle_env_copy;

/*
 * ps reads the argv area. Take the contiguous argv+environ block as the
 * title buffer and move the environment to the heap first. Call this after
 * the options have been parsed: argv's strings are overwritten.
 */
void
proctitle_init(int argc, char **argv)
{
	char *end;
	size_t n = 0;
	char **env;

	if (argc < 1 || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ[n] != NULL; n++)
		;
	env = calloc(n + 1, sizeof(*env));
	if (env == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
		if ((env[i] = strdup(environ[i])) == NULL) {
			/* keep the old environment; titles just stay short */
			while (i > 0)
				free(env[--i]);
			free(env);
			return;
		}
	}
	environ = proctitle_env_copy = env;
	title_start = argv[0];
	title_len = (size_t)(end - argv[0]);
	argv[1] = NULL;
}

void
proctitle_set(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (title_start == NULL || title_len < 2)
		return;
	memset(title_start, 0, title_len);
	va_start(ap, fmt);
	n = vsnprintf(title_start, title_len - 1, fmt, ap);
	va_end(ap);
	(void)n;
}
