/* Daytime (RFC 867): one line of the current date and time in English. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "handler.h"
#include "handler_daytime.h"
#include "io.h"
#include "log.h"

/*
 * Our own names rather than strftime's %A and %B: those follow LC_TIME,
 * and a daemon started from a German shell would answer "Mittwoch".
 */
static const char *const day_names[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/* RFC 867's suggested "Weekday, Month Day, Year HH:MM:SS-ZONE", in UTC. */
size_t
daytime_format(time_t t, char *buf, size_t len)
{
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	if (tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return 0;
	n = snprintf(buf, len, "%s, %s %02d, %lld %02d:%02d:%02d-UTC\r\n",
	    day_names[tm.tm_wday], month_names[tm.tm_mon], tm.tm_mday,
	    (long long)tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= len)
		return 0;
	return (size_t)n;
}

/* The line for now into buf, or 0 if the clock fails. */
static size_t
daytime_now(char *buf, size_t len)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return daytime_format(ts.tv_sec, buf, len);
}

static enum session_end
daytime_serve_tcp(struct tcp_session *s)
{
	char line[DAYTIME_MAX];
	size_t n = daytime_now(line, sizeof(line));

	if (n == 0) {
		log_debug("daytime: cannot read or format the clock");
		return END_ERROR;
	}
	return io_write_all(s, line, n);
}

static ssize_t
daytime_answer_udp(const struct service_config *svc, const unsigned char *in,
    size_t inlen, unsigned char *out, size_t outcap)
{
	char line[DAYTIME_MAX];
	size_t n = daytime_now(line, sizeof(line));

	(void)svc;
	(void)in;
	(void)inlen;
	if (n == 0 || n > outcap)
		return -1;
	memcpy(out, line, n);
	return (ssize_t)n;
}

const struct handler handler_daytime = {
	.name = "daytime",
	.serve_tcp = daytime_serve_tcp,
	.answer_udp = daytime_answer_udp,
};
