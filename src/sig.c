/* Signal dispositions: handlers only set flags; the loops do the work. */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"

struct sig_flags sig_master;
volatile sig_atomic_t sig_worker_stop;
static int worker_wake_fd = -1;
static pid_t worker_master_pid;
static int worker_orphan_fd = -1;
static const _Atomic int *worker_handed_over;

static const int master_signals[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NMASTER (sizeof(master_signals) / sizeof(master_signals[0]))

static void
on_master_signal(int sig)
{
	switch (sig) {
	case SIGCHLD: sig_master.chld = 1; break;
	case SIGHUP: sig_master.hup = 1; break;
	case SIGTERM:
	case SIGINT: sig_master.term = 1; break;
	case SIGQUIT: sig_master.quit = 1; break;
	case SIGUSR1: sig_master.usr1 = 1; break;
	case SIGUSR2: sig_master.usr2 = 1; break;
	}
}

static int
set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) == -1) {
		log_error("sigaction(%s)", strsignal(sig));
		return -1;
	}
	return 0;
}

/*
 * The master keeps its signals blocked and takes them only inside ppoll()
 * with waitmask, so a flag can never be set between its test and the wait.
 */
int
sig_master_setup(sigset_t *waitmask)
{
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < NMASTER; i++)
		sigaddset(&block, master_signals[i]);
	if (sigprocmask(SIG_BLOCK, &block, waitmask) == -1) {
		log_error("sigprocmask");
		return -1;
	}
	for (size_t i = 0; i < NMASTER; i++) {
		sigdelset(waitmask, master_signals[i]);
		if (set_handler(master_signals[i], on_master_signal,
		    master_signals[i] == SIGCHLD ? SA_RESTART | SA_NOCLDSTOP : 0) == -1)
			return -1;
	}
	return set_handler(SIGPIPE, SIG_IGN, 0);
}

static void
on_worker_term(int sig)
{
	int saved = errno;

	(void)sig;
	sig_worker_stop = 1;
	/* wakes the idle wait; a full pipe already holds a wake-up */
	if (worker_wake_fd != -1) {
		ssize_t r = write(worker_wake_fd, "", 1);
		(void)r;	/* EAGAIN: the pipe already holds a wake-up */
	}
	/*
	 * The one exception to "handlers set flags": a TERM that comes from
	 * the master's death (PR_SET_PDEATHSIG) takes the listener out of
	 * LISTEN at once, so a restarted daemon can bind the port while this
	 * orphan still finishes its client, which may take long; the loop
	 * would see a flag only after that client. shutdown() is async-signal
	 * safe and leaves the fd number in place. Never while the master
	 * lives: a reload's new workers share the socket; nor when the master
	 * died handing its sockets over (an upgrade): whoever holds them now
	 * serves the clients queued there.
	 */
	if (worker_orphan_fd != -1 && getppid() != worker_master_pid &&
	    (worker_handed_over == NULL || !atomic_load(worker_handed_over)))
		(void)shutdown(worker_orphan_fd, SHUT_RD);	/* best effort: nothing to tell */
	errno = saved;
}

/*
 * Workers: TERM means "finish the current client, then exit". Terminal
 * signals sent to the whole process group are the master's business.
 */
int
sig_worker_setup(int wake_fd, pid_t master_pid, int orphan_fd, const _Atomic int *handed_over)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE };
	sigset_t none;

	worker_wake_fd = wake_fd;
	worker_master_pid = master_pid;
	worker_orphan_fd = orphan_fd;
	worker_handed_over = handed_over;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (set_handler(ignored[i], SIG_IGN, 0) == -1)
			return -1;
	if (set_handler(SIGCHLD, SIG_DFL, 0) == -1 ||
	    set_handler(SIGTERM, on_worker_term, 0) == -1)
		return -1;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1) {
		log_error("sigprocmask");
		return -1;
	}
	return 0;
}
