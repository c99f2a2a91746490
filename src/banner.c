/* banner, banner_success, banner_fail (xinetd's): sent by the worker that accepted (read at load: config_service.c). */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "banner.h"
#include "io.h"
#include "log.h"

bool
banner_on_refusal(const struct service_config *svc)
{
	return svc->banner.len > 0 || svc->banner_fail.len > 0;
}

enum session_end
banner_greet(struct tcp_session *s)
{
	const struct banner_text *parts[] = { &s->svc->banner, &s->svc->banner_success };
	enum session_end end = END_DONE;

	for (size_t i = 0; i < 2 && end == END_DONE; i++)
		if (parts[i]->len > 0)
			end = io_write_all(s, parts[i]->text, parts[i]->len);
	return end;
}

void
banner_refuse(int fd, const struct service_config *svc)
{
	struct iovec iov[2] = {
		{ .iov_base = svc->banner.text, .iov_len = svc->banner.len },
		{ .iov_base = svc->banner_fail.text, .iov_len = svc->banner_fail.len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	char drain[512];

	if (sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == -1 && errno != EAGAIN)
		log_debug("service %s: banner to a refused client: %s", svc->name, strerror(errno));
	if (shutdown(fd, SHUT_WR) == -1)
		log_debug("service %s: shutdown: %s", svc->name, strerror(errno));
	/* what the client sent and nobody reads would turn the close into a reset over the banner */
	for (int i = 0; i < 4 && recv(fd, drain, sizeof(drain), MSG_DONTWAIT) > 0; i++)
		;
	if (close(fd) == -1 && errno != EINTR)
		log_debug("service %s: close: %s", svc->name, strerror(errno));
}
