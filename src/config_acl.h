/* allow and deny entries: an address prefix, a host name or a domain suffix, each told apart and checked. */
#ifndef NETSRVD_CONFIG_ACL_H
#define NETSRVD_CONFIG_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

enum acl_entry { ACL_BAD = -1, ACL_CIDR, ACL_NAME };

/*
 * One entry: a prefix into *cidr, or (names_ok) a host name or a
 * ".suffix", lowercased and without a final dot, into *name (malloc'd).
 * ACL_BAD: why says what is wrong with it.
 */
enum acl_entry config_acl_entry(const char *text, bool names_ok, struct cidr *cidr, char **name,
    char *why, size_t len);
/* A host name or domain suffix as config_acl_entry keeps it: ".example.org" is a suffix. */
static inline bool
config_acl_is_suffix(const char *name)
{
	return name[0] == '.';
}

#endif
