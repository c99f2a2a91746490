/* --import: addresses: bind values, inetd's tcp4/tcp6, xinetd's only_from/no_access forms. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "import_addr.h"

/* "[::1]" as "::1"; anything else as it is: a new string. */
static char *
unbracket(const char *value)
{
	size_t n = strlen(value);

	if (n >= 2 && value[0] == '[' && value[n - 1] == ']') {
		char *s = import_xstrdup(value + 1);
		s[n - 2] = '\0';
		return s;
	}
	return import_xstrdup(value);
}

static int
numeric_family(const char *addr)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, addr, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, addr, buf) == 1)
		return AF_INET6;
	return 0;
}

static void
bind_interface(struct import_service *s, const struct import_host *h,
    const char *name, const struct import_at *at)
{
	if (import_map_key_known(h, "interface")) {
		import_set(&s->interface, name);
		return;
	}
	/* the key comes with the PROXY work; never widen to every address meanwhile */
	import_set(&s->interface, name);
	import_note_add(&s->notes, at->file, at->line, at->what,
	    "names a network interface and this netsrvd has no interface key: "
	    "the service is disabled rather than listening on every address");
	s->enabled = false;
}

void
import_addr_bind(struct import_service *s, const struct import_host *h,
    const char *value, const struct import_at *at)
{
	char *addr = unbracket(value);
	char resolved[INET6_ADDRSTRLEN + 16];

	if (strcmp(addr, "*") == 0 || numeric_family(addr) != 0)
		import_set(&s->address, addr);
	else if (h->is_interface(addr))
		bind_interface(s, h, addr, at);
	else if (h->resolve(addr, resolved, sizeof(resolved)) == 0 && numeric_family(resolved) != 0) {
		char *what = import_xprintf("%s, resolved now", at->what);
		import_set(&s->address, resolved);
		/* carried: both super-servers resolved it once, at start */
		import_note_add(&s->remarks, at->file, at->line, what, "%s", resolved);
		free(what);
	} else
		import_service_unservable(s, "bind address \"%s\" is neither numeric nor a name "
		    "that resolves here", addr);
	free(addr);
}

void
import_addr_family(struct import_service *s, int family, const struct import_at *at)
{
	int have = numeric_family(s->address);

	(void)at;
	if (strcmp(s->address, "*") == 0)
		import_set(&s->address, family == AF_INET ? "0.0.0.0" : "::");
	else if (have != family)
		import_service_unservable(s, "address %s is not an %s address", s->address,
		    family == AF_INET ? "IPv4" : "IPv6");
}

/* "a.b.{c,d}": each value completes the address; the rest are wildcards. */
static int
factorized(const char *value, struct import_strv *out)
{
	const char *brace = strchr(value, '{');
	const char *end = strchr(value, '}');
	unsigned parts = 1;
	char head[32], *list, *save = NULL;
	struct import_strv made = { .v = NULL, .n = 0 };
	size_t n;

	if (brace == NULL || end == NULL || end[1] != '\0' || end < brace ||
	    (size_t)(brace - value) >= sizeof(head))
		return -1;
	memcpy(head, value, (size_t)(brace - value));
	head[brace - value] = '\0';
	for (const char *p = head; *p != '\0'; p++) {
		if (*p == '.')
			parts++;
		else if (*p < '0' || *p > '9')
			return -1;
	}
	if (parts > 4 || (head[0] != '\0' && head[strlen(head) - 1] != '.'))
		return -1;
	list = import_xstrdup(brace + 1);
	list[end - brace - 1] = '\0';
	for (char *tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char addr[INET_ADDRSTRLEN + 8];
		unsigned char buf[4];
		char *cidr;
		int len = snprintf(addr, sizeof(addr), "%s%s", head, tok);

		for (unsigned i = parts; i < 4 && len > 0 && (size_t)len < sizeof(addr) - 2; i++)
			len += snprintf(addr + len, sizeof(addr) - (size_t)len, ".0");
		if (inet_pton(AF_INET, addr, buf) != 1) {
			free(list);
			import_strv_clear(&made);
			return -1;
		}
		cidr = import_xprintf("%s/%u", addr, parts * 8);
		import_strv_add(&made, cidr);
		free(cidr);
	}
	free(list);
	/* all of it or nothing: a bad element makes the whole value a lost one */
	n = made.n;
	import_strv_copy(out, &made);
	import_strv_clear(&made);
	return n == 0 ? -1 : 0;
}

/* "a.b.c.d/n" or "x::/n", host bits cleared (xinetd compares under the mask). */
static int
prefix(const char *value, struct import_strv *out)
{
	const char *slash = strchr(value, '/');
	unsigned char buf[sizeof(struct in6_addr)];
	char addr[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];
	int family;
	char *endp;
	long len;

	if ((size_t)(slash - value) >= sizeof(addr))
		return -1;
	memcpy(addr, value, (size_t)(slash - value));
	addr[slash - value] = '\0';
	family = numeric_family(addr);
	len = strtol(slash + 1, &endp, 10);
	if (family == 0 || *endp != '\0' || slash[1] == '\0' || len < 0 ||
	    len > (family == AF_INET ? 32 : 128))
		return -1;
	if (inet_pton(family, addr, buf) != 1)
		return -1;
	for (long bit = len; bit < (family == AF_INET ? 32 : 128); bit++)
		buf[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
	if (inet_ntop(family, buf, addr, sizeof(addr)) == NULL)
		return -1;
	snprintf(text, sizeof(text), "%s/%ld", addr, len);
	import_strv_add(out, text);
	return 0;
}

/* a.b.c.d with trailing zero octets as wildcards; 0.0.0.0 is every address of both families */
static void
ipv4_wildcard(const char *value, struct import_strv *out)
{
	unsigned char a[4];
	unsigned len = 32;
	char text[INET_ADDRSTRLEN + 8];

	if (inet_pton(AF_INET, value, a) != 1)
		return;
	while (len > 0 && a[len / 8 - 1] == 0)
		len -= 8;
	if (len == 0) {
		import_strv_add(out, "0.0.0.0/0");
		import_strv_add(out, "::/0");
		return;
	}
	snprintf(text, sizeof(text), "%s/%u", value, len);
	import_strv_add(out, text);
}

int
import_addr_xinetd(const char *value, struct import_strv *out)
{
	char text[INET6_ADDRSTRLEN + 8];

	if (strchr(value, '{') != NULL)
		return factorized(value, out);
	if (strchr(value, '/') != NULL)
		return prefix(value, out);
	switch (numeric_family(value)) {
	case AF_INET:
		ipv4_wildcard(value, out);
		return 0;
	case AF_INET6:
		snprintf(text, sizeof(text), "%s/128", value);
		import_strv_add(out, text);
		return 0;
	default:
		return -1;
	}
}

/* d holds every address of a, and more. */
static bool
strictly_inside(const struct cidr *a, const struct cidr *d)
{
	if (a->family != d->family || d->prefix >= a->prefix)
		return false;
	for (unsigned bit = 0; bit < d->prefix; bit++) {
		unsigned char m = (unsigned char)(0x80u >> (bit % 8));
		if ((a->addr[bit / 8] & m) != (d->addr[bit / 8] & m))
			return false;
	}
	return true;
}

void
import_addr_check_precedence(struct import_service *s, const struct import_at *at)
{
	char err[128];

	for (size_t i = 0; i < s->allow.n; i++) {
		struct cidr a, d;
		if (cidr_parse(s->allow.v[i], &a, err, sizeof(err)) == -1)
			continue;
		for (size_t j = 0; j < s->deny.n; j++) {
			char *what;
			if (cidr_parse(s->deny.v[j], &d, err, sizeof(err)) == -1 || !strictly_inside(&a, &d))
				continue;
			what = import_xprintf("only_from %s inside no_access %s", s->allow.v[i], s->deny.v[j]);
			import_note_add(&s->notes, at->file, at->line, what,
			    "xinetd let the closer match (only_from) in; netsrvd's deny always wins");
			free(what);
		}
	}
}
