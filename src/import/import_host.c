/* --import: what an import asks of this machine (services, users, programs, names). */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banner.h"
#include "config.h"
#include "handler.h"
#include "import_model.h"
#include "perm.h"
#include "quotes.h"
#include "util.h"

static int
system_service_port(const char *name, const char *proto)
{
	const struct servent *se = getservbyname(name, proto);

	return se != NULL ? ntohs((uint16_t)se->s_port) : -1;
}

static bool
system_user_exists(const char *name)
{
	return getpwnam(name) != NULL;
}

static bool
system_group_exists(const char *name)
{
	return getgrnam(name) != NULL;
}

/*
 * What `netsrvd -t` will ask of an exec command, with its own checks
 * (perm.c): every directory on the way searchable by the user, then a
 * regular file it may execute. The identity is the one config.c makes of
 * the same user and group (the user's supplementary groups left out: a
 * program they alone make runnable is said to be lost, never refused).
 */
static int
system_program_usable(const char *path, const char *user, const char *group)
{
	const struct passwd *pw = user != NULL ? getpwnam(user) : NULL;
	const struct group *gr = group != NULL ? getgrnam(group) : NULL;
	struct identity id = { .drop = user != NULL || group != NULL };
	char dir[PATH_MAX];
	mode_t mode;
	struct stat sb;

	id.uid = pw != NULL ? pw->pw_uid : getuid();
	id.gid = gr != NULL ? gr->gr_gid : pw != NULL ? pw->pw_gid : getgid();
	if (perm_unsearchable_dir(path, &id, dir, sizeof(dir), &mode))
		return EACCES;
	if (stat(path, &sb) == -1)
		return errno;
	if (!S_ISREG(sb.st_mode))
		return EACCES;
	return perm_allows(&sb, &id, PERM_X) ? 0 : EACCES;
}

static int
system_resolve(const char *host, char *out, size_t outlen)
{
	struct addrinfo hints, *res = NULL;
	int rc = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	/* xinetd and inetd both take the first address the resolver gives */
	if (res != NULL && getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)outlen,
	    NULL, 0, NI_NUMERICHOST) == 0)
		rc = 0;
	freeaddrinfo(res);
	return rc;
}

static bool
system_is_interface(const char *name)
{
	return if_nametoindex(name) != 0;
}

/* as banner_load reads it: whole, regular, at most BANNER_MAX */
static bool
system_banner_ok(const char *path)
{
	char *text;
	size_t len;

	if (util_read_file(path, BANNER_MAX, &text, &len) == -1)
		return false;
	free(text);
	return true;
}

static bool
system_quotes_ok(const char *path)
{
	struct quotes q;
	char err[256];

	if (quotes_load(path, &q, err, sizeof(err)) == -1)
		return false;
	quotes_free(&q);
	return true;
}

/* A service key of the core schema or of any handler: what this build's -t accepts. */
static bool
system_key_known(const char *key)
{
	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].scope == SCOPE_SERVICE && strcmp(config_schema[i].name, key) == 0)
			return true;
	for (size_t i = 0; i < handler_count(); i++) {
		const struct handler *h = handler_at(i);
		for (size_t j = 0; j < h->nkeys; j++)
			if (strcmp(h->keys[j].name, key) == 0)
				return true;
	}
	return false;
}

char *
import_read_file(const char *path, char *err, size_t errlen, struct stat *sb)
{
	char *text;
	size_t size;

	/* the loader's own reader: O_NONBLOCK and fstat first, so a FIFO cannot hang an import */
	if (util_read_file_stat(path, IMPORT_FILE_MAX, &text, &size, sb) == -1) {
		snprintf(err, errlen, "%s", errno == EFBIG ? "larger than 16 MiB" :
		    errno == EISDIR || errno == EINVAL ? "not a regular file" : strerror(errno));
		return NULL;
	}
	if (strlen(text) != size) {
		snprintf(err, errlen, "holds a NUL byte: not a text file");
		free(text);
		return NULL;
	}
	return text;
}

const struct import_host import_host_system = {
	.service_port = system_service_port,
	.user_exists = system_user_exists,
	.group_exists = system_group_exists,
	.program_usable = system_program_usable,
	.resolve = system_resolve,
	.is_interface = system_is_interface,
	.quotes_ok = system_quotes_ok,
	.banner_ok = system_banner_ok,
	.key_known = system_key_known,
};
