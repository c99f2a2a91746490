/* Whom workers run as: user and group names to ids, a user's groups, who may share a user. */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_types.h"
#include "config_identity.h"
#include "handler.h"

static int
refuse(const char **key, const char *k, char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(const char **key, const char *k, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	*key = k;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

int
config_identity_resolve(const char *user, const char *group, struct identity *id,
    const char **key, char *why, size_t len)
{
	if (user != NULL) {
		struct passwd *pw;
		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL)
			return refuse(key, "user", why, len,
			    "unknown user \"%s\"%s%s", user, errno ? ": " : "",
			    errno ? strerror(errno) : "");
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
		id->drop = true;
	}
	if (group != NULL) {
		struct group *gr;
		errno = 0;
		gr = getgrnam(group);
		if (gr == NULL)
			return refuse(key, "group", why, len,
			    "unknown group \"%s\"%s%s", group, errno ? ": " : "",
			    errno ? strerror(errno) : "");
		id->gid = gr->gr_gid;
		if (user == NULL)
			id->uid = getuid();
		id->drop = true;
	}
	return 0;
}

/*
 * Read here as initgroups(3) reads them, so that a chrooted worker needs
 * no /etc/group and a reload picks up a changed membership.
 */
int
config_identity_groups(struct service_config *s, const char **key, char *why, size_t len)
{
	int n = 16;

	if (!s->groups)
		return 0;
	if (s->user == NULL)
		return refuse(key, "groups", why, len,
		    "service \"%s\": groups = true needs a user (whose groups?)", s->name);
	for (;;) {
		gid_t *v = realloc(s->id.groups, (size_t)n * sizeof(*v));
		int want = n;
		if (v == NULL)
			return refuse(key, NULL, why, len, "out of memory");
		s->id.groups = v;
		if (getgrouplist(s->user, s->id.gid, v, &want) != -1) {
			s->id.ngroups = (size_t)want;
			return 0;
		}
		if (want <= n)	/* glibc says how many it needs; anything else is odd */
			return refuse(key, "groups", why, len,
			    "service \"%s\": the groups of user \"%s\" cannot be read", s->name, s->user);
		n = want;
	}
}

/*
 * A program runs as its service's user. Were that the user of a built-in
 * service's workers, the program could stop, trace or kill them, so it is
 * refused unless the exec service says share_user = true. Not concerned:
 * root (a root program can do anything in any case) and identities not
 * chosen (netsrvd not started as root has no other user to give).
 */
ssize_t
config_identity_shared(const struct config *cfg, char *why, size_t len)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];

		if (!s->enabled || !s->handler->runs_programs || !s->id.drop || s->id.uid == 0 ||
		    s->share_user)
			continue;
		for (size_t j = 0; j < cfg->nservices; j++) {
			const struct service_config *o = &cfg->services[j];
			if (!o->enabled || o->handler->runs_programs || !o->id.drop || o->id.uid != s->id.uid)
				continue;
			snprintf(why, len,
			    "service \"%s\": its programs would run as user %s (uid %ld), as the workers of service \"%s\" (line %d) do, and could stop or kill them; give it a user of its own (user = \"...\"), or set share_user = true if that is meant",
			    s->name, s->user != NULL ? s->user : "netsrvd's", (long)s->id.uid,
			    o->name, o->line);
			return (ssize_t)i;
		}
	}
	return -1;
}
