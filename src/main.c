/* netsrvd: the command line, then the master. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "explain.h"
#include "handler.h"
#include "handover.h"
#include "import/import.h"
#include "import/import_live.h"
#include "log.h"
#include "master.h"
#include "proctitle.h"
#include "util.h"

/* sysexits.h (EXIT_STARTUP, which the master returns too: master.h) */
#define EXIT_USAGE	64
#define EXIT_CONFIG	78
#define EXIT_OTHER	1

/* a test build of the same sources reports another version: see upgrade tests */
#ifndef NETSRVD_VERSION_SUFFIX
#define NETSRVD_VERSION_SUFFIX ""
#endif

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: netsrvd [-f] [-t [--explain NAME]] [-s] [-c FILE] [-p FILE] [-V] [-h]\n"
	    "       netsrvd --import FILE [--import-to DIR] [-c FILE]\n"
	    "  -c, --config FILE    configuration file (default %s/netsrv.conf)\n"
	    "  -f, --foreground     do not detach; log to stderr unless the config names a target\n"
	    "  -t, --test           check the configuration and exit (0 valid, 78 invalid)\n"
	    "      --explain NAME   with -t: print the sandbox service NAME's workers and programs\n"
	    "                       will run in (user, capabilities, files, limits, cgroup)\n"
	    "  -p, --pid-file FILE  pid file, overriding pid_file in the configuration\n"
	    "  -s, --status         print the running daemon's status (from its status service)\n"
	    "  -V, --version        print the version and exit\n"
	    "  -h, --help           print this help and exit\n"
	    "      --import FILE    print an inetd.conf or xinetd.conf as netsrv.conf (0 all of it,\n"
	    "                       65 something lost, listed here; 78 unreadable); -c only names\n"
	    "                       the file the output is meant for, in its header\n"
	    "      --import-to DIR  with --import: each file of xinetd's includedir becomes\n"
	    "                       DIR/NAME.conf, stdout the main file with include_dir = DIR\n"
	    "                       (65 also when a file of yours at a name is kept; 1 DIR unusable)\n",
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

/*
 * -s: ask the running daemon, through the first enabled status service
 * of the configuration ("*" is asked on 127.0.0.1), and print its answer.
 */
static int
print_status(const struct config *cfg, const char *file)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		struct sockaddr_storage ss = s->addr;
		char buf[16384];
		int fd;

		if (!s->enabled || !s->handler->reports_status)
			continue;
		if (s->any_address) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
			memset(&ss, 0, sizeof(ss));
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)s->port);
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		}
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1 || connect(fd, (struct sockaddr *)&ss,
		    ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) == -1) {
			fprintf(stderr, "netsrvd: cannot reach service %s on port %d: %s\n", s->name,
			    s->port, strerror(errno));
			if (fd != -1)
				close(fd);
			return EXIT_OTHER;
		}
		shutdown(fd, SHUT_WR);	/* no request: the plain-text status */
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				break;
		}
		close(fd);
		return 0;
	}
	fprintf(stderr, "netsrvd: %s has no enabled service with handler \"status\"\n", file);
	return EXIT_OTHER;
}

/* Only what was passed on purpose survives: fds 0-2 and the inherited sockets and pid file. */
static void
close_inherited(const struct inherited *in)
{
	int keep[1100];
	size_t n = 0;

	for (int fd = 3; fd < 1100 && n < sizeof(keep) / sizeof(keep[0]); fd++)
		if (handover_keeps_fd(in, fd))
			keep[n++] = fd;
	util_close_inherited_fds(keep, n);
}

/* What the command line asked for. */
struct cli {
	const char *config_arg, *pid_arg, *import_arg, *import_to_arg, *explain_arg;
	bool config_given, daemon_options, importing, foreground, test, status;
};

#define CLI_GO_ON (-1)

/* Reads argv into *o: CLI_GO_ON, or the exit status (-V, -h, a usage error). */
static int
parse_args(int argc, char **argv, struct cli *o)
{
	static const struct option longopts[] = {
		{ .name = "config", .has_arg = required_argument, .flag = NULL, .val = 'c' },
		{ .name = "foreground", .has_arg = no_argument, .flag = NULL, .val = 'f' },
		{ .name = "test", .has_arg = no_argument, .flag = NULL, .val = 't' },
		{ .name = "pid-file", .has_arg = required_argument, .flag = NULL, .val = 'p' },
		{ .name = "status", .has_arg = no_argument, .flag = NULL, .val = 's' },
		{ .name = "version", .has_arg = no_argument, .flag = NULL, .val = 'V' },
		{ .name = "help", .has_arg = no_argument, .flag = NULL, .val = 'h' },
		{ .name = "import", .has_arg = required_argument, .flag = NULL, .val = 'I' },
		{ .name = "import-to", .has_arg = required_argument, .flag = NULL, .val = 'D' },
		{ .name = "explain", .has_arg = required_argument, .flag = NULL, .val = 'E' },
		{ .name = NULL, .has_arg = 0, .flag = NULL, .val = 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:ftp:sVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_arg = optarg; o->config_given = true; break;
		case 'f': o->foreground = true; o->daemon_options = true; break;
		case 't': o->test = true; o->daemon_options = true; break;
		case 'p': o->pid_arg = optarg; o->daemon_options = true; break;
		case 's': o->status = true; o->daemon_options = true; break;
		case 'I': o->import_arg = optarg; o->importing = true; break;
		case 'D': o->import_to_arg = optarg; break;
		case 'E': o->explain_arg = optarg; o->daemon_options = true; break;
		case 'V':
			printf("netsrvd %s%s\n", PACKAGE_VERSION, NETSRVD_VERSION_SUFFIX);
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
	if (o->import_to_arg != NULL && !o->importing) {
		fprintf(stderr, "netsrvd: --import-to needs --import\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->explain_arg != NULL && !o->test) {
		fprintf(stderr, "netsrvd: --explain needs -t\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->importing && o->daemon_options) {
		fprintf(stderr, "netsrvd: --import takes no option but -c and --import-to\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	return CLI_GO_ON;
}

/* -t, -s, or the daemon itself, with the configuration loaded (and taken). */
static int
run_with_config(const struct cli *o, struct config *cfg, const char *exe, char *config_path,
    char *pid_path, struct inherited *inh, int argc, char **argv)
{
	struct master_options opt = { .config_path = NULL, .pid_file = NULL, .foreground = false,
	    .exe_path = NULL, .inherited = NULL, .version = PACKAGE_VERSION NETSRVD_VERSION_SUFFIX };

	if (o->status || o->test) {
		int rc = 0;

		if (o->status)
			rc = print_status(cfg, o->config_arg);
		else {
			for (size_t i = 0; i < cfg->warnings.n; i++)
				fprintf(stderr, "netsrvd: warning: %s\n", cfg->warnings.v[i]);
			if (cfg->warnings.more > 0)
				fprintf(stderr, "netsrvd: warning: and %zu more\n", cfg->warnings.more);
			/* valid (a package's safe default), but rarely what was meant */
			if (config_enabled_services(cfg) == 0)
				fprintf(stderr, "netsrvd: %s: warning: every service has enabled = false: "
				    "nothing would be served\n", o->config_arg);
			printf("%s: configuration OK\n", o->config_arg);
			if (o->explain_arg != NULL && explain_service(cfg, o->explain_arg, stdout) == -1) {
				fprintf(stderr, "netsrvd: %s has no service \"%s\"\n", o->config_arg, o->explain_arg);
				rc = EXIT_USAGE;
			}
		}
		config_free(cfg);
		return rc;
	}
	opt.config_path = config_path;
	opt.pid_file = pid_path;
	opt.foreground = o->foreground;
	opt.exe_path = exe[0] == '/' ? exe : NULL;
	opt.inherited = inh;
	opt.translate = import_live_translate;
	proctitle_init(argc, argv);
	return master_run(cfg, &opt);
}

int
main(int argc, char **argv)
{
	struct cli o = { .config_arg = SYSCONFDIR "/netsrv.conf" };
	struct inherited inh;
	char err[CONFIG_ERR_MAX];
	char exe[PATH_MAX];
	struct config *cfg;
	char *config_path, *pid_path = NULL;
	int rc;
	ssize_t n;

	log_init("netsrvd");
	/* what a new binary is exec'd from on SIGUSR2: this path, as it is now */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (handover_collect(&inh, err, sizeof(err)) == -1) {
		fprintf(stderr, "netsrvd: %s\n", err);
		return EXIT_STARTUP;
	}
	close_inherited(&inh);
	rc = parse_args(argc, argv, &o);
	if (rc != CLI_GO_ON)
		return rc;
	/* -c names where the output is meant to go, for its header: nothing is read there */
	if (o.importing)
		return import_run_to(o.import_arg, o.config_given ? o.config_arg : NULL, o.import_to_arg,
		    stdout, stderr, &import_host_system);
	config_path = absolute(o.config_arg);
	if (config_path == NULL || (o.pid_arg != NULL && (pid_path = absolute(o.pid_arg)) == NULL)) {
		perror("netsrvd: getcwd");
		free(config_path);
		return EXIT_OTHER;
	}
	cfg = config_load_with(config_path, import_live_translate, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "netsrvd: %s\n", err);
		rc = EXIT_CONFIG;
	} else
		rc = run_with_config(&o, cfg, exe, config_path, pid_path, &inh, argc, argv);
	handover_free(&inh);
	free(config_path);
	free(pid_path);
	return rc;
}
