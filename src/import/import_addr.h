/* --import: addresses: bind values, inetd's tcp4/tcp6, xinetd's only_from/no_access forms. */
#ifndef NETSRVD_IMPORT_ADDR_H
#define NETSRVD_IMPORT_ADDR_H

#include "import_map.h"
#include "import_model.h"

/*
 * A bind address as the super-server took it: "*", a numeric address
 * (IPv6 with or without brackets), a network interface's name (netsrvd's
 * interface key), or a host name resolved now as they resolved it.
 */
void import_addr_bind(struct import_service *s, const struct import_host *h,
    const char *value, const struct import_at *at);

/*
 * inetd's tcp4/udp4 and tcp6/udp6, xinetd's IPv4/IPv6 flags and v6only:
 * family AF_INET or AF_INET6 narrows "*" to 0.0.0.0 or ::; an address of
 * the other family makes the service unservable.
 */
void import_addr_family(struct import_service *s, int family, const struct import_at *at);

/*
 * One xinetd only_from/no_access value as netsrvd CIDR prefixes appended
 * to out: an address (IPv4 trailing zero octets are wildcards, 0.0.0.0 is
 * everyone), a factorized a.b.{c,d}, or a prefix. -1 for what netsrvd
 * cannot match (host, domain and network names).
 */
int import_addr_xinetd(const char *value, struct import_strv *out);

/*
 * xinetd lets the closer match of only_from and no_access decide; netsrvd's
 * deny always wins. Notes each allow prefix that lies inside a deny one.
 */
void import_addr_check_precedence(struct import_service *s, const struct import_at *at);

#endif
