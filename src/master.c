/* The master: binds, forks and supervises workers, reloads, stops. */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "config_diff.h"
#include "control.h"
#include "daemon.h"
#include "file_watch.h"
#include "generation.h"
#include "handover.h"
#include "listener.h"
#include "log.h"
#include "master.h"
#include "names.h"
#include "notify.h"
#include "orphans.h"
#include "pidfile.h"
#include "pool.h"
#include "privs.h"
#include "proctitle.h"
#include "ratelimit.h"
#include "readiness.h"
#include "sig.h"
#include "stats.h"
#include "upgrade.h"
#include "util.h"
#include "worker.h"
#include "workers.h"

/* 128 KiB of shared buckets: sources beyond that share, and so drop sooner */
#define RATELIMIT_BUCKETS	16384
/* services whose counters we keep; a config with more fails to load here */
#define STATS_SERVICES		512

/* at the end of a stop, how long the sweep of what programs left behind may take */
#define ORPHANS_BOUND_MS 2000

enum master_state { RUNNING, STOPPING };

/* Everything the master keeps, handed to each step of its loop. */
struct master {
	struct generation *gen;	/* the current one; ->older: those still draining */
	struct master_options opt;
	char *pid_file;
	struct worker_table workers;
	pid_t pid;
	enum master_state state;
	int64_t stop_deadline_ms;
	bool killed;
	sigset_t waitmask;
	struct readiness told;	/* STATUS=, READY=1, WATCHDOG=1; the starting process, an upgrade's guard */
	struct ratelimit *rl;	/* UDP reply and TCP connection budgets, for every generation */
	struct stats *stats;	/* counters that outlive workers, for status and /metrics */
	struct control_block *control;	/* what the workers are told: stopping, handed over, generation */
	int64_t next_tick_ms;	/* once a second: pool size and hung workers */
	struct file_watch inetd_watch;	/* inetd_conf: update-inetd tells no one but inetd itself */
};

static int
apply_log(struct master *m, const struct config *cfg, char *err, size_t errlen)
{
	struct log_settings ls;

	ls.target = cfg->log.target;
	if (ls.target == NULL)
		ls.target = m->opt.foreground ? "stderr" : "syslog";
	ls.facility = cfg->log.facility;
	ls.level = cfg->log.level;
	return log_apply(&ls, err, errlen);
}

/* --- workers: workers.c keeps the table, these are what the master gives them --- */

/* In the child: keep only what a worker of this service needs (its socket, mine). */
static void
child_close_master_fds(struct master *m, int mine)
{
	generation_close_sockets(m->gen, mine);
	if (pidfile_fd() != -1)
		close(pidfile_fd());
	notify_close();
	readiness_close(&m->told);
	workers_close_handles(&m->workers);
}

/*
 * In the new worker (a workers_run_fn): the master's state it must not
 * keep, then the worker's life. w is its own entry, filled but for the pid.
 */
static void __attribute__((noreturn))
run_worker(const struct worker_slot *w, void *data)
{
	struct master *m = data;
	struct worker_args a = workers_args(w);	/* its service, socket, line and counters */

	a.master_pid = m->pid;
	a.rl = m->rl;
	a.stats = m->stats;
	a.control = m->control;
	child_close_master_fds(m, a.listen_fd);
	a.boards = generation_boards(m->gen, &a.nboards);
	if (a.boards == NULL || (a.names != NULL && names_confine(a.names) == -1))
		_exit(WORKER_EXIT_SETUP);
	worker_run(&a);
}

static void
close_for_names(void *data)
{
	child_close_master_fds(data, -1);
}

/* The generation's names process first, once (names.h), then its workers. */
static void
master_spawn(struct master *m)
{
	struct names *n = generation_names(m->gen);

	if (m->state != RUNNING)
		return;
	if (n != NULL && n->peer_fd >= 0)
		(void)names_spawn(n, close_for_names, m);	/* -1: logged, tried again next time */
	workers_fill(&m->workers, m->gen, run_worker, m);
}

static void
master_reap(struct master *m)
{
	int status;
	pid_t pid;

	sig_master.chld = 0;
	/* a pid the table does not know is not a worker of ours (the upgrade guard, the names process: names_reaped) */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (workers_reaped(&m->workers, pid, status, m->stats, m->gen, m->state == RUNNING))
			cgroup_worker_reaped(pid);	/* what a killed worker's programs left */
		else
			(void)names_reaped(generation_names(m->gen), pid, status, m->state == RUNNING);
	if (pid == -1 && errno != ECHILD)
		log_error("waitpid");
	generation_sweep(m->gen);
}

/*
 * A new generation takes over: its workers are forked first, then the
 * old ones are told to finish their client and exit; sockets only the old
 * one used stop accepting. The sockets they share keep their queues, so a
 * connection arriving in between waits; none is refused.
 */
static void
switch_generation(struct master *m, struct generation *g)
{
	generation_switch(&m->gen, g, m->stats);
	control_set_generation(m->control, g->id);
	master_spawn(m);
	workers_signal(&m->workers, SIGTERM, m->gen);
	generation_sweep(m->gen);
}

/* --- reload ------------------------------------------------------------ */

static void
reload_failed(struct master *m, const char *why)
{
	stats_count_reload(m->stats, false);
	log_errorx("reload failed: %s; still serving the previous configuration", why);
	notify_send("STATUS=reload failed: %s; still serving the previous configuration\nREADY=1", why);
}

/* What the schema says a reload cannot apply (pid_file: -p overrides it, then it matters not). */
static void
log_unapplied(struct master *m, const struct config *cfg)
{
	char what[512];
	size_t n = config_reload_changes(m->gen->cfg, cfg, what, sizeof(what));

	if (n == 0 || (n == 1 && m->opt.pid_file != NULL && strncmp(what, "pid_file:", 9) == 0))
		return;
	log_warnx("%s: that takes a restart; the running value stays (pid file %s)", what, m->pid_file);
}

/* What the configuration loaded with but does not serve (an inetd_conf entry skipped, and why). */
static void
log_warnings(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->warnings.n; i++)
		log_warnx("%s", cfg->warnings.v[i]);
	if (cfg->warnings.more > 0)
		log_warnx("%s: and %zu more warnings", cfg->path, cfg->warnings.more);
}

/*
 * update-inetd only signals a running inetd it recognises by name, so a
 * change to inetd_conf is seen by watching the file: it reloads as SIGHUP
 * does. Without the watch, a reload still reads the file.
 */
static void
watch_inetd_conf(struct master *m, const struct config *cfg)
{
	char err[CONFIG_ERR_MAX];

	if (file_watch_set(&m->inetd_watch, cfg->inetd_conf, err, sizeof(err)) == -1)
		log_warnx("inetd_conf %s: cannot watch it for changes (%s): reload after each one",
		    cfg->inetd_conf, err);
}

static void
master_reload(struct master *m)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;
	struct listener **reuse;
	struct generation *g;
	struct timespec ts;
	size_t nreuse;

	sig_master.hup = 0;
	if (m->state != RUNNING)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	log_notice("reloading %s", m->opt.config_path);
	cfg = config_load_with(m->opt.config_path, m->opt.translate, err, sizeof(err));
	if (cfg == NULL) {
		reload_failed(m, err);
		return;
	}
	if (privs_check_config(cfg, err, sizeof(err)) == -1 || cgroup_setup(cfg, err, sizeof(err)) == -1) {
		config_free(cfg);
		reload_failed(m, err);
		return;
	}
	log_unapplied(m, cfg);
	/*
	 * A service removed and added back while its old workers still drain
	 * must get its old socket back (a new bind() would fail with
	 * EADDRINUSE): every generation's sockets may be kept.
	 */
	reuse = generation_sockets(m->gen, &nreuse);
	g = reuse == NULL ? NULL :
	    generation_create(cfg, reuse, nreuse, m->stats, m->gen->id + 1, err, sizeof(err));
	free(reuse);
	if (g == NULL) {
		config_free(cfg);
		reload_failed(m, reuse == NULL ? "out of memory" : err);
		/* cgroup_setup wrote the new file's limits: the running generation's again */
		if (cgroup_setup(m->gen->cfg, err, sizeof(err)) == -1)
			log_warnx("%s", err);
		return;
	}
	/* Commit: from here on nothing can fail half-way. */
	if (apply_log(m, cfg, err, sizeof(err)) == -1)
		log_warnx("%s; logging stays as it was", err);
	switch_generation(m, g);
	log_warnings(cfg);
	watch_inetd_conf(m, cfg);
	log_notice("reloaded: generation %u, %zu services, %zu workers", m->gen->id,
	    m->gen->nsvcs, generation_workers(m->gen));
	stats_count_reload(m->stats, true);
	readiness_status(m->gen, m->opt.config_path, "reloaded");
	notify_send("READY=1");
}

/* Log rotation: reopen, then roll the workers so they write to the new file too. */
static void
master_reopen_logs(struct master *m)
{
	sig_master.usr1 = 0;
	if (m->state != RUNNING)
		return;
	log_notice("reopening log");
	if (log_reopen() == 0 && generation_logs_to_file(m->gen)) {
		struct generation *g = generation_clone(m->gen, m->gen->id + 1);

		if (g == NULL)
			log_errorx("log rotation: cannot make a new generation; the workers keep the old file");
		else
			switch_generation(m, g);
	}
}

/* --- in-place binary upgrade (SIGUSR2): upgrade.c ---------------------- */

/*
 * SIGUSR2: check the binary on disk against our config, then become it,
 * handing over the current generation's sockets, the pid file and every
 * worker; the new master adopts them and drains the old workers like
 * after a reload. Each worker goes with what the new image needs to
 * drain it as a reload would (workers_describe): its kind, how long it
 * may still serve, and a pidfd the guard keeps should the new image fail.
 */
static void
master_upgrade(struct master *m)
{
	const struct upgrade_image img = {
		.exe = m->opt.exe_path, .config_path = m->opt.config_path,
		.pid_file_opt = m->opt.pid_file, .foreground = m->opt.foreground,
	};
	struct upgrade_handover h;
	struct timespec ts;
	char msg[512];
	int rc;

	sig_master.usr2 = 0;
	if (m->state != RUNNING)
		return;
	if (m->opt.exe_path == NULL) {
		log_errorx("upgrade: our binary's path is unknown; not upgrading");
		return;
	}
	rc = upgrade_check(m->opt.exe_path, m->opt.config_path, msg, sizeof(msg));
	if (rc != 0) {
		log_errorx("upgrade refused: %s -t -c %s failed (%d): %s; still running %s",
		    m->opt.exe_path, m->opt.config_path, rc, msg, m->opt.version);
		notify_send("STATUS=upgrade refused: %s", msg);
		return;
	}
	if (upgrade_prepare(&h, &img, m->gen, &m->workers, control_handed_over(m->control)) == 0) {
		log_notice("upgrade: %s -t passed; executing it in place (pid %ld stays)",
		    m->opt.exe_path, (long)m->pid);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=upgrading",
		    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
		upgrade_exec(&h);
		/* still here: the old binary goes on as it was */
		notify_send("STATUS=upgrade failed: exec %s: %s\nREADY=1", m->opt.exe_path,
		    strerror(errno));
	}
	upgrade_release(&h);
}

/* --- stop -------------------------------------------------------------- */

static void
begin_stop(struct master *m, bool graceful)
{
	sig_master.term = 0;
	if (m->state == STOPPING && graceful)
		return;
	if (m->state == RUNNING) {
		notify_send("STOPPING=1");
		log_notice("%s stop: %zu workers", graceful ? "graceful" : "fast", workers_count(&m->workers));
		generation_refuse_connections(m->gen);
		m->state = STOPPING;
		m->stop_deadline_ms = util_now_ms() + generation_stop_ms(m->gen);
		/* exec programs must end too, not run on as after a reload */
		control_set_stopping(m->control);
	}
	if (graceful)
		workers_signal(&m->workers, SIGTERM, NULL);
	else {
		sig_master.quit = 0;
		m->killed = true;
		workers_signal(&m->workers, SIGKILL, NULL);
	}
}

static void
check_stop_deadline(struct master *m)
{
	if (m->state != STOPPING || m->killed || workers_count(&m->workers) == 0)
		return;
	if (util_now_ms() >= m->stop_deadline_ms) {
		log_warnx("shutdown_timeout (%d s) reached: killing %zu workers still serving",
		    m->gen->cfg->shutdown_timeout, workers_count(&m->workers));
		m->killed = true;
		workers_signal(&m->workers, SIGKILL, NULL);
	}
}

/* --- once a second: the adaptive pool and hung workers ---------------- */

static void
master_tick(struct master *m)
{
	int64_t now = util_now_ms();

	if (now < m->next_tick_ms)
		return;
	m->next_tick_ms = now + POOL_TICK_MS;
	if (m->state == RUNNING)
		workers_adapt_pools(&m->workers, m->gen, now);
	if (!m->killed)
		workers_nudge_stopping(&m->workers, now);
	workers_kill_overdue(&m->workers, now);
	workers_kill_hung(&m->workers, util_coarse_now_ms());
	workers_check_stopped(&m->workers, now);
	workers_forget_exited(&m->workers);
	cgroup_tick(m->stats);
}

/* Services that are down bind again when their delay is up; their workers follow in master_spawn. */
static void
master_retry_binds(struct master *m)
{
	if (m->state == RUNNING && generation_retry_binds(m->gen, m->stats, util_now_ms()) > 0)
		readiness_status(m->gen, m->opt.config_path, "serving");
}

/* How long the loop may sleep before a deadline of ours passes. */
static int
wait_timeout_ms(struct master *m)
{
	int64_t now = util_now_ms(), next = m->next_tick_ms;

	next = readiness_next_ms(&m->told, next);
	if (m->state == STOPPING)
		next = m->killed ? now + 1000 : (m->stop_deadline_ms < next ? m->stop_deadline_ms : next);
	else {
		int64_t start = workers_next_start_ms(&m->workers, m->gen);
		if (start >= 0 && (next < 0 || start < next))
			next = start;
	}
	if (m->state == STOPPING)
		next = readiness_next_ms(&m->told, next);
	if (next < 0)
		return -1;
	if (next <= now)
		return 0;
	return next - now > 60000 ? 60000 : (int)(next - now);
}

/* --- startup ----------------------------------------------------------- */

/*
 * An image that replaced the pid file (its pidfile_write) and died
 * leaves the guard an fd of the old file: the path is then locked by
 * nobody, and taken anew.
 */
static int
take_pid_file(struct master *m, struct inherited *in, char *err, size_t errlen)
{
	if (in != NULL && in->pidfile_fd >= 0 &&
	    pidfile_adopt(in->pidfile_fd, m->pid_file, err, errlen) == 0)
		return 0;
	if (in != NULL && in->pidfile_fd >= 0)
		close(in->pidfile_fd);
	return pidfile_lock(m->pid_file, err, errlen);
}

/* What the master shares with every worker it will fork: counters and its control words. */
static int
create_shared(struct master *m, char *err, size_t errlen)
{
	m->stats = stats_create(STATS_SERVICES);
	if (m->stats == NULL) {
		snprintf(err, errlen, "cannot create the statistics table");
		return -1;
	}
	m->control = control_create();
	if (m->control == NULL) {
		snprintf(err, errlen, "cannot create the workers' control page");
		return -1;
	}
	return 0;
}

/* Generation 1, with the sockets we were given; it takes cfg once it exists (m->gen). */
static int
first_generation(struct master *m, struct config *cfg, struct inherited *in, char *err,
    size_t errlen)
{
	m->gen = generation_create(cfg, in ? in->ls : NULL, in ? in->nls : 0, m->stats, 1, err, errlen);
	if (m->gen == NULL)
		return -1;
	/* some services down is a daemon that serves the rest; all of them, one that serves nothing */
	if (m->gen->nsvcs > 0 && generation_down(m->gen) == m->gen->nsvcs) {
		snprintf(err, errlen, "no service could bind (%zu enabled); not starting", m->gen->nsvcs);
		return -1;
	}
	generation_publish(m->gen, m->stats);
	handover_drop_unused(in);
	return 0;
}

/* Away from the caller, unless in the foreground or a daemon already (an upgrade's image). */
static int
detach(struct master *m, const struct config *cfg, char *err, size_t errlen)
{
	const struct inherited *in = m->opt.inherited;

	if (m->opt.foreground || (in != NULL && in->detached))
		return 0;
	if (daemon_detach(cfg->log.target != NULL && strcmp(cfg->log.target, "stderr") == 0,
	    EXIT_STARTUP, &m->told.ready_fd) == -1) {
		snprintf(err, errlen, "cannot become a daemon");
		return -1;
	}
	return 0;
}

/* Takes cfg into the first generation once that exists (m->gen; until then cfg is the caller's). */
static int
startup(struct master *m, struct config *cfg, char *err, size_t errlen)
{
	struct inherited *in = m->opt.inherited;

	if (privs_check_config(cfg, err, errlen) == -1 || take_pid_file(m, in, err, errlen) == -1)
		return -1;
	if (create_shared(m, err, errlen) == -1 || first_generation(m, cfg, in, err, errlen) == -1)
		goto fail;
	m->rl = ratelimit_create(RATELIMIT_BUCKETS, STATS_SERVICES);
	if (m->rl == NULL) {
		snprintf(err, errlen, "cannot create the rate limiter's table");
		goto fail;
	}
	if (apply_log(m, cfg, err, errlen) == -1 || detach(m, cfg, err, errlen) == -1)
		goto fail;
	m->pid = getpid();
	if (pidfile_write(m->pid, err, errlen) == -1)
		goto fail;
	/* after the detach: the instance is named after the master that stays */
	if (cgroup_setup(cfg, err, errlen) == -1) {
		cgroup_finish();
		goto fail;
	}
	return 0;
fail:
	/* after an upgrade the file is the daemon's still: the guard takes it back */
	if (in == NULL || in->guard_fd < 0)
		pidfile_remove();
	return -1;
}

/* Everything the master holds, once the loop is over or startup failed half-way. */
static void
release_all(struct master *m)
{
	generation_free_all(m->gen);
	m->gen = NULL;
	workers_free(&m->workers);
	ratelimit_destroy(m->rl);
	stats_destroy(m->stats);
	control_destroy(m->control);
	file_watch_close(&m->inetd_watch);
	free(m->pid_file);
}

static void
finish(struct master *m)
{
	orphans_end_all(ORPHANS_BOUND_MS);
	cgroup_finish();
	pidfile_remove();
	release_all(m);
	log_notice("stopped");
	notify_close();
	log_close();
}

/* What was handed in, the pid file's path, the signals held: what startup needs. -1: logged. */
static int
master_init(struct master *m, struct config *cfg, const struct master_options *opt)
{
	char err[CONFIG_ERR_MAX];

	m->opt = *opt;
	m->told = readiness_make(opt->inherited != NULL ? opt->inherited->guard_fd : -1);
	m->pid_file = opt->pid_file ? (char *)opt->pid_file : cfg->pid_file;
	m->pid_file = strdup(m->pid_file);
	/* a HUP or TERM that comes while we bind must wait for the loop, not kill us */
	if (m->pid_file != NULL && sig_master_setup(&m->waitmask) == -1) {
		free(m->pid_file);
		config_free(cfg);
		return -1;
	}
	if (m->pid_file == NULL || startup(m, cfg, err, sizeof(err)) == -1) {
		log_errorx("%s", m->pid_file ? err : "out of memory");
		if (m->gen == NULL)
			config_free(cfg);	/* else the generation has it */
		release_all(m);
		return -1;
	}
	return 0;
}

static void
log_started(struct master *m)
{
	const struct inherited *in = m->opt.inherited;

	if (in != NULL && in->recovered)
		log_notice("running netsrvd %s again after a failed upgrade (pid %ld)",
		    m->opt.version, (long)getpid());
	else if (in != NULL && in->source != NULL && strcmp(in->source, "upgrade") == 0)
		log_notice("upgraded in place to netsrvd %s", m->opt.version);
	log_notice("started: %zu services, %zu workers (pid %ld)", m->gen->nsvcs,
	    generation_workers(m->gen), (long)m->pid);
	log_warnings(m->gen->cfg);
}

/* The first workers, and those an upgrade handed over, before the loop. */
static void
start_serving(struct master *m)
{
	notify_init();
	(void)orphans_adopt();	/* logged; a stop then leaves what programs left */
	proctitle_set("netsrvd: master");
	control_set_generation(m->control, m->gen->id);
	master_spawn(m);
	/* any handed over that exited during the exec are already waiting to be reaped */
	if (workers_adopt(&m->workers, m->opt.inherited, m->gen))
		sig_master.chld = 1;
	log_started(m);
	watch_inetd_conf(m, m->gen->cfg);
	readiness_start_watchdog(&m->told);
	m->next_tick_ms = util_now_ms() + POOL_TICK_MS;
}

/* Sleeps until a signal comes or a deadline of ours passes. */
static void
master_wait(struct master *m)
{
	int t = wait_timeout_ms(m);
	struct pollfd watch = { .fd = m->inetd_watch.fd, .events = POLLIN };
	struct timespec ts;

	if (m->state == RUNNING)
		t = readiness_wait_ms(&m->told, t);
	ts = (struct timespec){ .tv_sec = t / 1000, .tv_nsec = (long)(t % 1000) * 1000000L };

	if (!sig_master.chld && !sig_master.hup && !sig_master.term &&
	    !sig_master.quit && !sig_master.usr1 && !sig_master.usr2 &&
	    ppoll(watch.fd >= 0 ? &watch : NULL, watch.fd >= 0 ? 1 : 0, t < 0 ? NULL : &ts,
	    &m->waitmask) == -1 && errno != EINTR)
		log_error("ppoll");
}

/* One turn of the loop: the deadlines, what the signals ask, the workers due. false: the stop is over. */
static bool
master_turn(struct master *m)
{
	/* only a loop that really turns keeps systemd's watchdog fed: a wedged master is restarted */
	readiness_feed_watchdog(&m->told);
	master_tick(m);
	if (sig_master.chld)
		master_reap(m);
	if (sig_master.quit)
		begin_stop(m, false);
	if (sig_master.term)
		begin_stop(m, true);
	if (file_watch_changed(&m->inetd_watch) && m->state == RUNNING) {
		log_notice("%s changed", m->inetd_watch.path);
		sig_master.hup = 1;
	}
	if (sig_master.hup)
		master_reload(m);
	if (sig_master.usr1)
		master_reopen_logs(m);
	if (sig_master.usr2)
		master_upgrade(m);
	master_retry_binds(m);
	master_spawn(m);
	if (m->state == RUNNING)
		readiness_check(&m->told, &m->workers, m->gen, m->opt.config_path);
	check_stop_deadline(m);
	return !(m->state == STOPPING && workers_count(&m->workers) == 0);
}

/*
 * Init phase: anything failing here stops us with exit 71 and nothing left
 * half-started. Loop phase: from now on we must not die; every step logs
 * its errors and the loop goes on.
 */
int
master_run(struct config *cfg, const struct master_options *opt)
{
	struct master master = { .told.ready_fd = -1, .told.guard_fd = -1,
	    .inetd_watch = FILE_WATCH_NONE }, *m = &master;

	if (master_init(m, cfg, opt) == -1)
		return EXIT_STARTUP;
	start_serving(m);
	do
		master_wait(m);
	while (master_turn(m));
	finish(m);
	return 0;
}
