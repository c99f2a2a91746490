/* Socket I/O for TCP sessions: waits, reads, writes, timeouts. */
#ifndef NETSRVD_IO_H
#define NETSRVD_IO_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "handler.h"

/*
 * poll() on one fd. Returns 1 when ready (revents, if not NULL, says how),
 * 0 when timeout_ms passed, -1 with errno set (EBADF for a closed fd).
 * timeout_ms < 0 waits forever. A signal (EINTR) restarts the wait with
 * the time that is left: a worker's SIGTERM only sets a flag and the
 * session in progress must still be finished.
 */
int io_wait(int fd, short events, int timeout_ms, short *revents);

/*
 * io_wait() for what the session's reads or writes need: on a TLS
 * session, bytes OpenSSL holds decrypted count as ready, and a record may
 * need the socket the other way first; revents then says the events asked
 * for (and any error), and the caller tries its call again.
 */
int io_wait_session(struct tcp_session *s, short events, int timeout_ms, short *revents);

/*
 * io_wait_session() under the session's no-progress timer. *deadline is -1 when
 * the timer is not running; the first wait after progress arms it with
 * s->timeout_ms, later waits get what is left. The caller sets *deadline
 * back to -1 whenever a byte moves. s->timeout_ms <= 0 means no timeout.
 * Returns like io_wait().
 */
int io_wait_idle(struct tcp_session *s, short events, int64_t *deadline,
    short *revents);

/*
 * One non-blocking recv()/send() on s->fd, restarted on EINTR, counted in
 * s->bytes_in / s->bytes_out. recv returns 0 at EOF. Both return -1 with
 * errno EAGAIN when the socket is not ready, or another errno on failure.
 * io_send uses MSG_NOSIGNAL: a client gone away never raises SIGPIPE.
 */
ssize_t io_recv(struct tcp_session *s, void *buf, size_t len);
ssize_t io_send(struct tcp_session *s, const void *buf, size_t len);

/*
 * Waits for input and reads it in one call, under the no-progress timer
 * (*deadline as for io_wait_idle). On a blocking socket (s->blocking) that
 * is one blocking recv() with SO_RCVTIMEO, set on the first call of the
 * session, where poll() then recv() took two syscalls per wait; it is used
 * only when the timer is not already running, otherwise, and on a
 * non-blocking socket, it is io_wait_idle() then io_recv(). Returns what
 * recv does (0 at EOF), or -1 with errno EAGAIN when the timeout passed.
 * A signal restarts a blocking wait with the whole timeout.
 */
ssize_t io_recv_wait(struct tcp_session *s, void *buf, size_t len,
    int64_t *deadline);

/* True for the errno of a socket that is merely not ready yet. */
#define IO_AGAIN(e)	((e) == EAGAIN || (e) == EWOULDBLOCK)

/*
 * How a failed recv/send ends the session: the client's side of the
 * connection is gone (EPIPE, ECONNRESET, ...) → END_RESET; anything else
 * is a local failure → END_ERROR, logged at debug with `what` and errno.
 */
enum session_end io_end_from_errno(int err, const char *what);

/*
 * Sends all len bytes, waiting for POLLOUT as needed. Returns END_DONE
 * once everything is with the kernel, END_TIMEOUT when no byte could be
 * written for s->timeout_ms, END_RESET when the client went away,
 * END_ERROR on a local failure.
 */
enum session_end io_write_all(struct tcp_session *s, const void *buf, size_t len);

/*
 * One TCP session that reads and writes at once (echo, chargen): the
 * handler says what to read and what to send, the pump moves the bytes,
 * waits for whichever is possible, keeps the no-progress timer and ends
 * the session the same way for both.
 */
struct io_pump {
	struct tcp_session *s;
	bool eof;		/* the client's FIN was read */
	short rev;		/* what the last wait saw; 0 once a byte moved since */
	int64_t deadline;	/* the no-progress timer (io_wait_idle) */
};

/* A step the handler did not take this turn (io_pump_ops.read / .write). */
#define IO_PUMP_SKIP	((ssize_t)-2)
/* read: its own wait for input ran out (io_recv_wait): the session timed out. */
#define IO_PUMP_TIMEOUT	((ssize_t)-3)

struct io_pump_ops {
	const char *name;	/* "echo": for the debug line of a failure */
	/*
	 * Called while no FIN was read: one read, or IO_PUMP_SKIP. Returns
	 * what io_recv does (0 at EOF, -1 with errno), errno untouched.
	 */
	ssize_t (*read)(struct io_pump *p, void *ctx);
	/* One send, or IO_PUMP_SKIP: what io_send returns, errno untouched. */
	ssize_t (*write)(struct io_pump *p, void *ctx);
	/* Nothing left to say after the FIN (NULL: the session never ends so). */
	bool (*finished)(const struct io_pump *p, void *ctx);
	/* What to wait for when neither step moved a byte. */
	short (*events)(const struct io_pump *p, void *ctx);
};

/*
 * Runs the session until it ends: the client closed (and, after its FIN,
 * a reset to our send counts as closing), went away, or moved no byte
 * for s->timeout_ms.
 */
enum session_end io_pump_run(struct tcp_session *s, const struct io_pump_ops *ops, void *ctx);

#endif
