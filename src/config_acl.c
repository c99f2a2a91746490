/* allow and deny entries: an address prefix, a host name or a domain suffix, each told apart and checked. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_acl.h"

#define NAME_MAX_LEN	253	/* a domain name's text, without the final dot */
#define LABEL_MAX_LEN	63

/*
 * Letters, digits and inner hyphens in labels of 1-63, 253 in all. The
 * last label must not be all digits: "10.0.0.300" is an address gone
 * wrong, not a host name, and is reported as one.
 */
static bool
valid_host_name(const char *s, size_t n)
{
	size_t label = 0;
	bool digits_only = true;

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = '.';	/* past the end: the last label ends */

		if (i < n)
			c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			if (i < n)
				digits_only = true;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && !(c == '-' && label > 0))
			return false;
		if (!isdigit((unsigned char)c))
			digits_only = false;
		if (++label > LABEL_MAX_LEN)
			return false;
	}
	return !digits_only;
}

static bool
looks_numeric(const char *text)
{
	return strchr(text, ':') != NULL || strchr(text, '/') != NULL ||
	    strspn(text, "0123456789.") == strlen(text);
}

enum acl_entry
config_acl_entry(const char *text, bool names_ok, struct cidr *cidr, char **name,
    char *why, size_t len)
{
	const char *host = text[0] == '.' ? text + 1 : text;
	size_t n = strlen(host);

	if (!names_ok || looks_numeric(text))
		return cidr_parse(text, cidr, why, len) == 0 ? ACL_CIDR : ACL_BAD;
	if (n > 0 && host[n - 1] == '.')
		n--;	/* "example.org." is "example.org" */
	if (!valid_host_name(host, n)) {
		snprintf(why, len, "\"%s\" is neither an address prefix, a host name nor a domain suffix (\".example.org\")",
		    text);
		return ACL_BAD;
	}
	*name = malloc(n + 2);
	if (*name == NULL) {
		snprintf(why, len, "out of memory");
		return ACL_BAD;
	}
	size_t k = 0;
	if (host != text)
		(*name)[k++] = '.';
	for (size_t i = 0; i < n; i++)
		(*name)[k++] = (char)tolower((unsigned char)host[i]);
	(*name)[k] = '\0';
	return ACL_NAME;
}
