/* What the outside is told of the master's state: STATUS=, READY=1 once workers really serve, WATCHDOG=1, the starting process and an upgrade's guard. */
#include "autoconfig.h"

#include <unistd.h>

#include "daemon.h"
#include "generation.h"
#include "log.h"
#include "notify.h"
#include "readiness.h"
#include "upgrade.h"
#include "util.h"
#include "workers.h"

/* while not ready, how often the loop looks at the workers' lines */
#define READY_POLL_MS		10
#define READY_POLL_FAILING_MS	250

struct readiness
readiness_make(int guard_fd)
{
	return (struct readiness){ .ready_fd = -1, .guard_fd = guard_fd, .watchdog_ms = -1 };
}

void
readiness_close(struct readiness *r)
{
	if (r->ready_fd != -1)
		close(r->ready_fd);
	if (r->guard_fd != -1)
		close(r->guard_fd);
	r->ready_fd = r->guard_fd = -1;
}

void
readiness_status(const struct generation *g, const char *config_path, const char *what)
{
	char down[256];

	if (g->nsvcs == 0) {
		/* every service enabled = false is valid (a safe default) but said */
		log_warnx("%s: every service has enabled = false: serving nothing", config_path);
		notify_send("STATUS=%s: nothing, every service is disabled", what);
		return;
	}
	generation_describe_down(g, down, sizeof(down));
	notify_send("STATUS=%s: %zu services%s, %zu workers", what, g->nsvcs, down,
	    generation_workers(g));
}

/*
 * READY=1, the starting process of a daemon and an upgrade's guard all
 * wait for the same thing (netsrvd(8), READINESS). Workers that all die at
 * start get no READY=1: systemd's TimeoutStartSec fails the unit, the
 * guard brings the previous binary back, a starting process exits 71;
 * the master itself goes on retrying, and reports READY=1 if a worker
 * comes up after all.
 */
void
readiness_check(struct readiness *r, const struct worker_table *t, const struct generation *g,
    const char *config_path)
{
	char why[256];
	enum workers_readiness state;

	if (r->ready)
		return;
	state = workers_readiness(t, g, why, sizeof(why));
	if (state == WORKERS_NOT_YET)
		return;
	if (state == WORKERS_FAILING) {
		if (r->failing_told)
			return;
		r->failing_told = true;
		log_errorx("not ready: the workers of every service fail at start (%s); retrying", why);
		notify_send("STATUS=not ready: the workers of every service fail at start (%s)", why);
		daemon_not_ready(&r->ready_fd);
		return;
	}
	r->ready = true;
	if (why[0] != '\0') {
		log_warnx("ready, but the workers of %s fail at start", why);
		notify_send("STATUS=serving; workers failing at start: %s\nREADY=1", why);
	} else {
		readiness_status(g, config_path, "serving");
		notify_send("READY=1");
	}
	daemon_ready(&r->ready_fd);
	upgrade_release_guard(r->guard_fd);
	r->guard_fd = -1;
}

int
readiness_wait_ms(const struct readiness *r, int t)
{
	int cap = r->failing_told ? READY_POLL_FAILING_MS : READY_POLL_MS;

	if (r->ready)
		return t;
	return t < 0 || t > cap ? cap : t;
}

void
readiness_start_watchdog(struct readiness *r)
{
	r->watchdog_ms = notify_watchdog_ms();
	r->next_watchdog_ms = util_now_ms();
}

void
readiness_feed_watchdog(struct readiness *r)
{
	int64_t now;

	if (r->watchdog_ms < 0)
		return;
	now = util_now_ms();
	if (now < r->next_watchdog_ms)
		return;
	notify_send("WATCHDOG=1");
	r->next_watchdog_ms = now + r->watchdog_ms;
}

int64_t
readiness_next_ms(const struct readiness *r, int64_t next)
{
	if (r->watchdog_ms >= 0 && r->next_watchdog_ms < next)
		return r->next_watchdog_ms;
	return next;
}
