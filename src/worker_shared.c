/* What a worker's TCP loop and its UDP engine share: what the master hands them, buffer sizes, access control, the back-off when descriptors or memory run out. */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>

#include "cidr.h"
#include "log.h"
#include "names.h"
#include "sig.h"
#include "util.h"
#include "worker_shared.h"

/*
 * Out of descriptors (EMFILE, ENFILE) or memory, the call that failed left
 * the connection queued, so the listener stays readable: waiting in the
 * epoll that holds it returns at once, and the worker spun on accept()
 * (one warning a try, a million in 3 s). The back-off waits on the
 * self-pipe only, for a pause that doubles from SHORTAGE_MIN_MS up to
 * SHORTAGE_MAX_MS while the shortage lasts; one call that succeeds resets
 * it. The warning goes out once per SHORTAGE_LOG_MS with the number of
 * repeats it stands for.
 */
#define SHORTAGE_MIN_MS	50
#define SHORTAGE_MAX_MS	1000
#define SHORTAGE_LOG_MS	10000

static void
shortage_warn(struct worker_shortage *sh, const char *call)
{
	int64_t now = util_coarse_now_ms();

	if (now < sh->next_log_ms) {
		sh->quiet++;
		return;
	}
	if (sh->quiet > 0)
		log_warn("service %s: %s (%lu more since the last warning)", sh->service,
		    call, sh->quiet);
	else
		log_warn("service %s: %s", sh->service, call);
	sh->quiet = 0;
	sh->next_log_ms = now + SHORTAGE_LOG_MS;
}

void
worker_shortage_wait(struct worker_shortage *sh, const char *call)
{
	struct pollfd pf = { .fd = sh->wake_fd, .events = POLLIN };

	shortage_warn(sh, call);
	sh->pause_ms = sh->pause_ms == 0 ? SHORTAGE_MIN_MS :
	    (sh->pause_ms * 2 > SHORTAGE_MAX_MS ? SHORTAGE_MAX_MS : sh->pause_ms * 2);
	if (sig_worker_stop)
		return;
	if (poll(&pf, 1, sh->pause_ms) == -1 && errno != EINTR)
		log_warn("service %s: poll", sh->service);
}

void
worker_shortage_over(struct worker_shortage *sh)
{
	sh->pause_ms = 0;
}

bool
worker_error_resource(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

bool
worker_acl_allows(const struct worker_args *a, const struct sockaddr *peer)
{
	const struct service_config *svc = a->svc;

	if (svc->nallow_names == 0 && svc->ndeny_names == 0)
		return (svc->nallow == 0 && svc->ndeny == 0) ||
		    cidr_acl_allows(svc->allow, svc->nallow, svc->deny, svc->ndeny, peer);
	return names_acl_allows(a->names, svc, peer);
}
