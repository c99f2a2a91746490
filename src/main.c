/* netsrvd: the command line, then the master. */
#include "autoconfig.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "master.h"
#include "proctitle.h"
#include "util.h"

/* sysexits.h */
#define EXIT_USAGE	64
#define EXIT_CONFIG	78
#define EXIT_OTHER	1

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: netsrvd [-f] [-t] [-c FILE] [-p FILE] [-V] [-h]\n"
	    "  -c, --config FILE    configuration file (default %s/netsrv.conf)\n"
	    "  -f, --foreground     do not detach; log to stderr unless the config names a target\n"
	    "  -t, --test           check the configuration and exit (0 valid, 78 invalid)\n"
	    "  -p, --pid-file FILE  pid file, overriding pid_file in the configuration\n"
	    "  -V, --version        print the version and exit\n"
	    "  -h, --help           print this help and exit\n",
	    SYSCONFDIR);
}

/*
 * The daemon chdirs to / and re-reads its files on reload, so relative
 * paths given on the command line are made absolute now.
 */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *abs;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	abs = malloc(strlen(cwd) + strlen(path) + 2);
	if (abs != NULL)
		sprintf(abs, "%s/%s", cwd, path);
	return abs;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "test", no_argument, NULL, 't' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_arg = SYSCONFDIR "/netsrv.conf";
	const char *pid_arg = NULL;
	struct master_options opt = { NULL, NULL, false };
	bool test = false;
	char err[CONFIG_ERR_MAX];
	struct config *cfg;
	char *config_path, *pid_path = NULL;
	int c, rc;

	util_close_inherited_fds();
	log_init("netsrvd");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:ftp:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config_arg = optarg; break;
		case 'f': opt.foreground = true; break;
		case 't': test = true; break;
		case 'p': pid_arg = optarg; break;
		case 'V':
			printf("netsrvd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "netsrvd: option %s needs an argument\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		default:
			if (optopt != 0)
				fprintf(stderr, "netsrvd: unknown option -%c\n", optopt);
			else
				fprintf(stderr, "netsrvd: unknown option %s\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netsrvd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	config_path = absolute(config_arg);
	if (config_path == NULL || (pid_arg != NULL && (pid_path = absolute(pid_arg)) == NULL)) {
		perror("netsrvd: getcwd");
		free(config_path);
		return EXIT_OTHER;
	}
	cfg = config_load(config_path, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "netsrvd: %s\n", err);
		free(config_path);
		free(pid_path);
		return EXIT_CONFIG;
	}
	if (test) {
		printf("%s: configuration OK\n", config_arg);
		config_free(cfg);
		free(config_path);
		free(pid_path);
		return 0;
	}
	opt.config_path = config_path;
	opt.pid_file = pid_path;
	proctitle_init(argc, argv);
	rc = master_run(cfg, &opt);
	free(config_path);
	free(pid_path);
	return rc;
}
