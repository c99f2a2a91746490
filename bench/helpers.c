/* netsrvd-bench: the helper modes run-bench.sh drives: probe, hup, mem, startup, free-port. */
#include "bench.h"

/* One operation of the probe's kind, retried until it succeeds or dl. */
static enum res
probe_once(struct client *c, int *udp_fd, uint64_t seq, int64_t dl)
{
	switch (opt.op) {
	case M_UDP:
		if (*udp_fd == -1 && (*udp_fd = udp_open()) == -1)
			return RES_OTHER;
		return op_udp(c, *udp_fd, seq, dl);
	case M_CONNECT_ONLY:
		return op_connect_only(c, seq, dl);
	case M_CONNRATE_PROXY:
		return op_connrate_proxy(c, seq, dl);
	default:
		return op_connrate(c, seq, dl);
	}
}

static int
probe_until(struct client *c, int64_t dl, uint64_t *attempts, enum res *last)
{
	int udp_fd = -1;
	enum res r = RES_TIMEOUT;

	while (now_ns() < dl) {
		(*attempts)++;
		r = probe_once(c, &udp_fd, *attempts, dl);
		if (r == RES_OK)
			break;
		if (r == RES_ABANDON) {
			r = RES_TIMEOUT;
			break;
		}
		sleep_ns(1000000);
	}
	if (udp_fd != -1)
		close(udp_fd);
	*last = r;
	return r == RES_OK ? 0 : -1;
}
int
mode_probe(void)
{
	struct client c;
	uint64_t attempts = 0;
	int64_t t0 = now_ns();
	enum res last;
	int ok;

	memset(&c, 0, sizeof(c));
	client_init(&c, 0);
	ok = probe_until(&c, t0 + (int64_t)(opt.seconds * 1e9), &attempts,
	    &last) == 0;
	printf("mode=probe op=%s target=%s ready_us=%lld attempts=%" PRIu64
	    " last=%s ok=%d\n", mode_names[opt.op], opt.target,
	    ns_to_us(now_ns() - t0), attempts, res_name(last), ok);
	client_free(&c);
	return ok ? 0 : 1;
}
static int
pid_in(pid_t pid, const pid_t *set, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == pid)
			return 1;
	return 0;
}

/*
 * SIGHUP to the master, then watch its children: when the first pid that
 * was not there appears, when none of the old ones is left, and when an
 * echo succeeds after that — then only the new generation can have served it.
 */
int
mode_hup(void)
{
	static pid_t old[MAX_CHILDREN], cur[MAX_CHILDREN];
	struct client c;
	int64_t t0, dl, now, t_new = -1, t_gone = -1, t_served = -1;
	uint64_t attempts = 0;
	int nold, ncur = 0, i, fresh, left;
	enum res last = RES_TIMEOUT;

	memset(&c, 0, sizeof(c));
	client_init(&c, 0);
	if ((nold = list_children(opt.pid, old, MAX_CHILDREN)) <= 0) {
		fprintf(stderr, "netsrvd-bench: hup: pid %ld has no children\n",
		    (long)opt.pid);
		client_free(&c);
		return 1;
	}
	t0 = now_ns();
	dl = t0 + (int64_t)(opt.seconds * 1e9);
	if (kill(opt.pid, SIGHUP) == -1) {
		fprintf(stderr, "netsrvd-bench: hup: kill %ld: %s\n",
		    (long)opt.pid, strerror(errno));
		client_free(&c);
		return 1;
	}
	while ((now = now_ns()) < dl) {
		ncur = list_children(opt.pid, cur, MAX_CHILDREN);
		for (i = 0, fresh = 0, left = 0; i < ncur; i++) {
			if (pid_in(cur[i], old, nold))
				left++;
			else
				fresh++;
		}
		if (fresh > 0 && t_new < 0)
			t_new = now - t0;
		if (fresh > 0 && left == 0) {
			t_gone = now - t0;
			break;
		}
		sleep_ns(1000000);
	}
	if (t_gone >= 0 && probe_until(&c, dl, &attempts, &last) == 0)
		t_served = now_ns() - t0;
	printf("mode=hup pid=%ld target=%s old=%d new=%d first_new_us=%lld "
	    "old_gone_us=%lld served_us=%lld ok=%d\n", (long)opt.pid, opt.target,
	    nold, ncur, ns_to_us(t_new), ns_to_us(t_gone), ns_to_us(t_served),
	    t_served >= 0);
	client_free(&c);
	return t_served >= 0 ? 0 : 1;
}
int
mode_mem(void)
{
	static pid_t kids[MAX_CHILDREN];
	long pd, pss, rss, sum_pd = 0, sum_pss = 0, sum_rss = 0;
	long min_pd = -1, max_pd = 0, m_pd = -1, m_pss, m_rss;
	int n, i, got = 0;

	if (smaps_read(opt.pid, &m_pd, &m_pss, &m_rss) == -1) {
		fprintf(stderr, "netsrvd-bench: mem: pid %ld: %s\n",
		    (long)opt.pid, strerror(errno));
		return 1;
	}
	n = list_children(opt.pid, kids, MAX_CHILDREN);
	for (i = 0; i < n; i++) {
		if (smaps_read(kids[i], &pd, &pss, &rss) == -1)
			continue;
		got++;
		sum_pd += pd;
		sum_pss += pss;
		sum_rss += rss;
		if (min_pd < 0 || pd < min_pd)
			min_pd = pd;
		if (pd > max_pd)
			max_pd = pd;
	}
	printf("mode=mem pid=%ld children=%d private_dirty_kib_avg=%.0f "
	    "private_dirty_kib_min=%ld private_dirty_kib_max=%ld "
	    "pss_kib_avg=%.0f rss_kib_avg=%.0f master_private_dirty_kib=%ld\n",
	    (long)opt.pid, got, got ? (double)sum_pd / got : 0.0,
	    min_pd < 0 ? 0 : min_pd, max_pd,
	    got ? (double)sum_pss / got : 0.0,
	    got ? (double)sum_rss / got : 0.0, m_pd);
	return got > 0 ? 0 : 1;
}

/*
 * Run the command, time until an echo round trip on the port succeeds,
 * then SIGTERM it and time the stop. The child dies with us (PDEATHSIG).
 */
int
mode_startup(void)
{
	struct client c;
	int64_t t0, dl, t_ready = -1, t_stop = -1, t1;
	uint64_t attempts = 0;
	enum res r = RES_TIMEOUT;
	pid_t pid, w = 0;
	int status = 0, udp_fd = -1;

	memset(&c, 0, sizeof(c));
	client_init(&c, 0);
	fflush(stdout);
	t0 = now_ns();
	dl = t0 + (int64_t)(opt.seconds * 1e9);
	if ((pid = fork()) == -1) {
		perror("netsrvd-bench: fork");
		client_free(&c);
		return 1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* Our stdout is the result line, often a pipe read to EOF:
		 * the command and its children must not hold it open. */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			_exit(127);
		execvp(opt.cmd[0], opt.cmd);
		fprintf(stderr, "netsrvd-bench: exec %s: %s\n", opt.cmd[0],
		    strerror(errno));
		_exit(127);
	}
	while (now_ns() < dl) {
		if ((w = waitpid(pid, &status, WNOHANG)) == pid)
			break;
		attempts++;
		r = probe_once(&c, &udp_fd, attempts, dl);
		if (r == RES_OK) {
			t_ready = now_ns() - t0;
			break;
		}
		sleep_ns(1000000);
	}
	if (udp_fd != -1)
		close(udp_fd);
	if (w != pid) {
		t1 = now_ns();
		kill(pid, SIGTERM);
		while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
		    now_ns() - t1 < 10000000000LL)
			sleep_ns(1000000);
		if (w == pid) {
			t_stop = now_ns() - t1;
		} else {
			static pid_t kids[MAX_CHILDREN];
			int nk, i;

			fprintf(stderr, "netsrvd-bench: startup: pid %ld "
			    "ignored SIGTERM for 10 s, killing it and its "
			    "children\n", (long)pid);
			nk = list_children(pid, kids, MAX_CHILDREN);
			kill(pid, SIGKILL);
			for (i = 0; i < nk; i++)
				kill(kids[i], SIGKILL);
			waitpid(pid, &status, 0);
		}
	} else {
		fprintf(stderr, "netsrvd-bench: startup: %s exited early\n",
		    opt.cmd[0]);
	}
	printf("mode=startup target=%s ready_us=%lld attempts=%" PRIu64
	    " last=%s stop_us=%lld exit=%d signal=%d ok=%d\n", opt.target,
	    ns_to_us(t_ready), attempts, res_name(r), ns_to_us(t_stop),
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0, t_ready >= 0);
	client_free(&c);
	return t_ready >= 0 ? 0 : 1;
}

/*
 * Ports free for both TCP and UDP on 127.0.0.1, all distinct: every pair of
 * sockets stays bound until all are chosen.
 */
int
mode_free_port(void)
{
	int fds[2 * 256], nfd = 0, found = 0, tries, i;
	unsigned ports[256];

	for (tries = 0; found < opt.count && tries < 100 * opt.count; tries++) {
		int port = pu_hold_port(0, fds + nfd);

		if (port == -1)
			continue;
		nfd += 2;
		ports[found++] = (unsigned)port;
	}
	for (i = 0; i < nfd; i++)
		close(fds[i]);
	if (found < opt.count) {
		fprintf(stderr, "netsrvd-bench: free-port: found %d of %d\n",
		    found, opt.count);
		return 1;
	}
	for (i = 0; i < found; i++)
		printf("%s%u", i ? " " : "", ports[i]);
	printf("\n");
	return 0;
}
