/* A worker's filesystem view: its own mount namespace (the keys of confine_conf.h) and its chroot. */
#ifndef NETSRVD_CONFINE_H
#define NETSRVD_CONFINE_H

#include "confine_conf.h"

/*
 * In the worker, as root, before it drops privileges or installs a filter:
 * when c->mount_ns, a mount namespace of its own (the programs it starts
 * inherit it) with c's read-only, read-write, inaccessible, tmp, system
 * and home layers, paths taken as the program sees them, under root when
 * root is not NULL; then, when root is not NULL, chroot(root) and chdir /.
 * Every failure is logged once, naming service, path and errno: -1.
 */
int confine_filesystem(const char *service, const struct confine_conf *c, const char *root);

#endif
