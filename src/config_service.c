/* One service's checks across its keys: what applies to TCP only, what needs another key, the banner files. */
#include "autoconfig.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banner.h"
#include "config_error.h"
#include "config_service.h"
#include "util.h"

/* The keys of a TCP connection: a UDP service setting one is told so on its line (a global one is for TCP services). */
static const char *const tcp_only_keys[] = {
	"proxy_from", "keepalive", "keepalive_idle", "keepalive_interval", "keepalive_count",
	"connection_rate", "connection_rate_per_source", "banner", "banner_success", "banner_fail",
	"max_load", "tcp_wrappers", "tls", "handshake_timeout",
};
static const char *const keepalive_timers[] = { "keepalive_idle", "keepalive_interval", "keepalive_count" };

static bool
service_set(const bool set[SCHEMA_MAX], const char *name)
{
	return set[config_schema_index(config_schema_find(name, SCOPE_SERVICE))];
}

static int
refuse(const char **key, const char *name, char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* -1, with the key at fault and why */
static int
refuse(const char **key, const char *name, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	*key = name;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * proxy_from and keepalive concern TCP connections; the keepalive timers
 * mean nothing without keepalive. An interface must exist now: binding
 * to a name that is not there would fail at bind, or worse, in another
 * daemon, bind to every address (xinetd's openSUSE#20).
 */
static int
check_socket_keys(const struct service_config *s, const bool set[SCHEMA_MAX], const char **key,
    char *why, size_t len)
{
	for (size_t i = 0; i < sizeof(tcp_only_keys) / sizeof(tcp_only_keys[0]); i++)
		if (s->protocol == PROTO_UDP && service_set(set, tcp_only_keys[i]))
			return refuse(key, tcp_only_keys[i], why, len,
			    "service \"%s\": %s applies to TCP services only", s->name, tcp_only_keys[i]);
	for (size_t i = 0; i < sizeof(keepalive_timers) / sizeof(keepalive_timers[0]); i++)
		if (!s->keepalive && service_set(set, keepalive_timers[i]))
			return refuse(key, keepalive_timers[i], why, len,
			    "service \"%s\": %s needs keepalive = true", s->name, keepalive_timers[i]);
	if (s->interface == NULL)
		return 0;
	if (s->interface[0] == '\0' || strlen(s->interface) >= IF_NAMESIZE ||
	    if_nametoindex(s->interface) == 0)
		return refuse(key, "interface", why, len,
		    "service \"%s\": unknown interface \"%s\"", s->name, s->interface);
	return 0;
}

/* One banner file into *b: missing, unreadable, not regular or above BANNER_MAX is refused. */
static int
banner_load(const struct service_config *s, const char *name, const char *path,
    struct banner_text *b, const char **key, char *why, size_t len)
{
	size_t n;

	if (path == NULL)
		return 0;
	if (util_read_file(path, BANNER_MAX, &b->text, &n) == -1)
		return refuse(key, name, why, len, "service \"%s\": %s %s: %s", s->name, name, path,
		    errno == EFBIG ? "larger than 8 KiB" : config_read_error(errno));
	b->len = n;
	return 0;
}

/* The banner files, read now: the workers may be in a chroot, and a reload reads them again. */
static int
load_banners(struct service_config *s, const char **key, char *why, size_t len)
{
	if (banner_load(s, "banner", s->banner_file, &s->banner, key, why, len) == -1 ||
	    banner_load(s, "banner_success", s->banner_success_file, &s->banner_success, key, why, len) == -1 ||
	    banner_load(s, "banner_fail", s->banner_fail_file, &s->banner_fail, key, why, len) == -1)
		return -1;
	return 0;
}

int
config_service_check(struct service_config *s, const bool set[SCHEMA_MAX], const char **key,
    char *why, size_t len)
{
	if (check_socket_keys(s, set, key, why, len) == -1)
		return -1;
	return load_banners(s, key, why, len);
}
