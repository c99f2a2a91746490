/* Load generator for netsrvd and its yardsticks: loopback only, bounded in time and memory */
#include "bench.h"

/* --- client threads ----------------------------------------------------------- */
static void *
run_client(void *arg)
{
	struct client *c = arg;
	struct stats *st = &c->st;
	uint64_t seq = 0;
	int64_t t0, t1;
	enum res r;
	int fd = -1;

	pthread_barrier_wait(&start_barrier);
	if (opt.mode == M_UDP_BURST) {
		if ((fd = udp_open()) == -1)
			stats_fail(st, RES_OTHER);
		else
			run_udp_burst(c, fd);
	}
	while (opt.mode != M_UDP_BURST && (t0 = now_ns()) < run_deadline) {
		seq++;
		switch (opt.mode) {
		case M_CONNRATE:
			r = op_connrate(c, seq, run_deadline);
			break;
		case M_CONNRATE_PROXY:
			r = op_connrate_proxy(c, seq, run_deadline);
			break;
		case M_CONNECT_ONLY:
			r = op_connect_only(c, seq, run_deadline);
			break;
		case M_PINGPONG:
			r = op_pingpong(c, &fd, seq, &t0, run_deadline);
			break;
		case M_UDP:
			if (fd == -1 && (fd = udp_open()) == -1) {
				r = RES_OTHER;
				break;
			}
			r = op_udp(c, fd, seq, run_deadline);
			break;
		default:
			r = RES_OTHER;
			break;
		}
		if (r == RES_ABANDON)
			break;
		t1 = now_ns();
		if (r == RES_OK) {
			st->ops++;
			hist_add(st, t1 - t0);
		} else {
			stats_fail(st, r);
			backoff(r);
		}
	}
	if (fd != -1)
		close(fd);
	return NULL;
}
/* C client threads started together, stopped by the run deadline. */
static void
run_clients(struct stats *total, double *elapsed)
{
	struct client *cl;
	pthread_attr_t attr;
	int i, err;

	if ((cl = calloc((size_t)opt.clients, sizeof(*cl))) == NULL) {
		perror("netsrvd-bench: calloc");
		exit(1);
	}
	if ((err = pthread_barrier_init(&start_barrier, NULL,
	    (unsigned)opt.clients + 1)) != 0 ||
	    (err = pthread_attr_init(&attr)) != 0 ||
	    (err = pthread_attr_setstacksize(&attr, 256 * 1024)) != 0)
		goto fail;
	for (i = 0; i < opt.clients; i++) {
		client_init(&cl[i], i);
		if ((err = pthread_create(&cl[i].tid, &attr, run_client,
		    &cl[i])) != 0)
			goto fail;
	}
	pthread_attr_destroy(&attr);
	run_start = now_ns();
	run_deadline = run_start + (int64_t)(opt.seconds * 1e9);
	pthread_barrier_wait(&start_barrier);
	for (i = 0; i < opt.clients; i++) {
		pthread_join(cl[i].tid, NULL);
		stats_merge(total, &cl[i].st);
		client_free(&cl[i]);
	}
	pthread_barrier_destroy(&start_barrier);
	free(cl);
	/* Operations still in flight at the deadline were dropped, so the
	 * counted ones all fit in exactly this window. */
	*elapsed = opt.seconds;
	return;
fail:
	errno = err;
	perror("netsrvd-bench: pthread");
	exit(1);
}
/* --- command line ----------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: netsrvd-bench --mode MODE [--host 127.0.0.1] --port P [--clients C]\n"
"                     [--seconds S] [--size BYTES] [--timeout-ms MS]\n"
"                     [--window N]   (udp-burst: datagrams in flight per socket, 8)\n"
"       netsrvd-bench --mode probe --op connrate|connrate-proxy|udp|connect-only --port P\n"
"                     [--seconds BOUND]\n"
"       netsrvd-bench --mode startup [--op ...] --port P [--seconds BOUND]\n"
"                     -- COMMAND [ARG...]\n"
"       netsrvd-bench --mode hup --pid MASTER --port ECHO_PORT [--seconds BOUND]\n"
"       netsrvd-bench --mode mem --pid MASTER\n"
"       netsrvd-bench --free-port [--count N]\n"
"load modes: connrate pingpong bulk udp connect-only udp-burst connrate-proxy\n"
"            (loopback targets only)\n"
"prints one line of key=value pairs\n");
}

static int
parse_mode(const char *s, enum mode *m)
{
	unsigned i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum mode)i;
			return 0;
		}
	return -1;
}

static long
parse_long(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "netsrvd-bench: %s: '%s' is not in %ld..%ld\n",
		    what, s, lo, hi);
		exit(EX_USAGE_);
	}
	return v;
}

/* Numeric loopback addresses only: this tool must not load anyone else. */
static int
resolve_loopback(void)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&opt.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&opt.sa;
	const char *h = strcmp(opt.host, "localhost") == 0 ? "127.0.0.1" : opt.host;

	memset(&opt.sa, 0, sizeof(opt.sa));
	if (inet_pton(AF_INET, h, &sin->sin_addr) == 1) {
		if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)opt.port);
		opt.salen = sizeof(*sin);
		snprintf(opt.target, sizeof(opt.target), "%s:%d", h, opt.port);
		return 0;
	}
	if (inet_pton(AF_INET6, h, &sin6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)opt.port);
		opt.salen = sizeof(*sin6);
		snprintf(opt.target, sizeof(opt.target), "[::1]:%d", opt.port);
		return 0;
	}
	return -1;
}

static void
print_result(const struct stats *st, double elapsed)
{
	static const char *const units[] = { "conn/s", "rt/s", "MB/s",
		"replies/s", "conn/s", "replies/s", "conn/s" };
	double rate;

	if (opt.mode == M_BULK)
		rate = elapsed > 0 ? (double)st->bytes / elapsed / 1e6 : 0;
	else
		rate = elapsed > 0 ? (double)st->ops / elapsed : 0;
	printf("mode=%s target=%s clients=%d seconds=%.2f ops=%" PRIu64
	    " rate=%.1f unit=%s", mode_names[opt.mode], opt.target,
	    opt.mode == M_BULK ? 1 : opt.clients, opt.seconds, st->ops, rate,
	    units[opt.mode]);
	if (opt.mode == M_BULK)
		printf(" bytes=%" PRIu64, st->bytes);
	else
		printf(" p50_us=%.1f p99_us=%.1f p999_us=%.1f",
		    hist_pct_us(st, 0.50), hist_pct_us(st, 0.99),
		    hist_pct_us(st, 0.999));
	if (opt.mode == M_UDP_BURST)
		printf(" window=%d", opt.window);
	if (opt.mode == M_UDP || opt.mode == M_UDP_BURST)
		printf(" lost=%" PRIu64, st->fail[RES_TIMEOUT]);
	printf(" fail_refused=%" PRIu64 " fail_reset=%" PRIu64
	    " fail_short=%" PRIu64 " fail_timeout=%" PRIu64
	    " fail_other=%" PRIu64 "\n", st->fail[RES_REFUSED],
	    st->fail[RES_RESET], st->fail[RES_SHORT], st->fail[RES_TIMEOUT],
	    st->fail[RES_OTHER]);
	if (st->fail[RES_OTHER] > 0)
		fprintf(stderr, "netsrvd-bench: %s: %" PRIu64 " other failures, "
		    "the first: %s\n", mode_names[opt.mode], st->fail[RES_OTHER],
		    strerror(st->other_errno));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "op", required_argument, NULL, 'o' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'P' },
		{ "free-port", no_argument, NULL, 'F' },
		{ "count", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct stats *total;
	double elapsed = 0;
	int ch, have_mode = 0;
	char *end;

	opt.host = "127.0.0.1";
	opt.clients = 1;
	opt.seconds = 5;
	opt.size = 64;
	opt.timeout_ms = -1;
	opt.count = 1;
	opt.window = 8;
	opt.op = M_CONNRATE;
	while ((ch = getopt_long(argc, argv, "+m:o:H:p:c:s:z:t:P:Fn:w:h",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (parse_mode(optarg, &opt.mode) == -1) {
				fprintf(stderr, "netsrvd-bench: unknown mode "
				    "'%s'\n", optarg);
				return EX_USAGE_;
			}
			have_mode = 1;
			break;
		case 'o':
			if (parse_mode(optarg, &opt.op) == -1 ||
			    (opt.op != M_CONNRATE && opt.op != M_UDP &&
			    opt.op != M_CONNECT_ONLY && opt.op != M_CONNRATE_PROXY)) {
				fprintf(stderr, "netsrvd-bench: --op: "
				    "connrate, connrate-proxy, udp or connect-only\n");
				return EX_USAGE_;
			}
			break;
		case 'H':
			opt.host = optarg;
			break;
		case 'p':
			opt.port = (int)parse_long(optarg, "--port", 1, 65535);
			break;
		case 'c':
			opt.clients = (int)parse_long(optarg, "--clients", 1,
			    MAX_CLIENTS);
			break;
		case 's':
			errno = 0;
			opt.seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(opt.seconds > 0 && opt.seconds <= 3600)) {
				fprintf(stderr, "netsrvd-bench: --seconds: "
				    "'%s' is not in (0, 3600]\n", optarg);
				return EX_USAGE_;
			}
			break;
		case 'z':
			opt.size = (int)parse_long(optarg, "--size", 1, MAX_SIZE);
			break;
		case 't':
			opt.timeout_ms = (int)parse_long(optarg, "--timeout-ms",
			    1, 600000);
			break;
		case 'P':
			opt.pid = (pid_t)parse_long(optarg, "--pid", 2, INT_MAX);
			break;
		case 'F':
			opt.mode = M_FREEPORT;
			have_mode = 1;
			break;
		case 'n':
			opt.count = (int)parse_long(optarg, "--count", 1, 256);
			break;
		case 'w':
			opt.window = (int)parse_long(optarg, "--window", 1, MAX_WINDOW);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	if (!have_mode) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (opt.mode == M_FREEPORT)
		return mode_free_port();
	if ((opt.mode == M_HUP || opt.mode == M_MEM) && opt.pid == 0) {
		fprintf(stderr, "netsrvd-bench: --mode %s needs --pid\n",
		    mode_names[opt.mode]);
		return EX_USAGE_;
	}
	if (opt.mode == M_MEM)
		return mode_mem();
	if (opt.mode == M_STARTUP) {
		if (optind >= argc) {
			fprintf(stderr, "netsrvd-bench: --mode startup needs "
			    "-- COMMAND\n");
			return EX_USAGE_;
		}
		opt.cmd = argv + optind;
	} else if (optind < argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (opt.port == 0) {
		fprintf(stderr, "netsrvd-bench: --port is required\n");
		return EX_USAGE_;
	}
	if (resolve_loopback() == -1) {
		fprintf(stderr, "netsrvd-bench: refusing target '%s': only "
		    "127.0.0.0/8 and ::1 are allowed\n", opt.host);
		return EX_USAGE_;
	}
	if (opt.mode == M_UDP_BURST && opt.size < 16) {
		fprintf(stderr, "netsrvd-bench: udp-burst needs --size 16 or more\n");
		return EX_USAGE_;
	}
	if (opt.timeout_ms < 0)
		opt.timeout_ms = (opt.mode == M_UDP || opt.mode == M_UDP_BURST ||
		    (opt.mode == M_PROBE && opt.op == M_UDP)) ? 200 : 1000;
	signal(SIGPIPE, SIG_IGN);

	switch (opt.mode) {
	case M_PROBE:
		return mode_probe();
	case M_STARTUP:
		return mode_startup();
	case M_HUP:
		return mode_hup();
	default:
		break;
	}
	if ((total = calloc(1, sizeof(*total))) == NULL) {
		perror("netsrvd-bench: calloc");
		return 1;
	}
	if (opt.mode == M_BULK)
		run_bulk(total, &elapsed);
	else
		run_clients(total, &elapsed);
	print_result(total, elapsed);
	ch = total->ops > 0 && (opt.mode != M_BULK || total->fail[RES_SHORT] == 0);
	free(total);
	return ch ? 0 : 1;
}
