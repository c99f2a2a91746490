/* A service's `tls` block: its keys, the checks across them, and the master's context. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "config_tls.h"
#include "config_types.h"
#include "handler.h"
#ifdef HAVE_TLS
#include "tls_ctx.h"
#endif

static int
refuse(const char **key, const char *name, char *why, size_t len, const char *msg,
    const struct service_config *s)
{
	*key = name;
	snprintf(why, len, "service \"%s\": %s", s->name, msg);
	return -1;
}

/* What the keys say together, before a file is opened. */
static int
check_keys(const struct service_config *s, const char **key, char *why, size_t len)
{
	const struct tls_conf *t = &s->tls;

	if (t->certificate == NULL)
		return refuse(key, "tls", why, len, "tls needs a certificate (tls = { certificate = \"...\"; key = \"...\"; })", s);
	if (t->key == NULL)
		return refuse(key, "tls", why, len, "tls needs the certificate's key (tls = { key = \"...\"; })", s);
	if (strcmp(t->verify_client, "none") != 0 && t->client_ca == NULL)
		return refuse(key, "tls", why, len, "tls: verify_client needs client_ca, the CAs a client certificate must come from", s);
	if (s->serves_socket)
		return refuse(key, "tls", why, len, "tls cannot apply to a wait = true program: it accepts its own connections", s);
	if (s->handler->connects_out)
		return refuse(key, "tls", why, len, "tls is not served by the redirect handler yet (it splices the client's socket)", s);
	for (size_t i = 0; i < t->alpn.n; i++) {
		size_t n = strlen(t->alpn.v[i]);
		if (n == 0 || n > 255)
			return refuse(key, "tls", why, len, "tls: an alpn entry is 1-255 bytes", s);
	}
	if (s->banner_fail_file != NULL)
		return refuse(key, "banner_fail", why, len,
		    "banner_fail cannot reach a client of a tls service: refusals come before the handshake", s);
	return 0;
}

int
config_tls_check(struct service_config *s, struct config_warnings *warn, const char **key,
    char *why, size_t len)
{
	if (!s->tls.on)
		return 0;
#ifndef HAVE_TLS
	(void)warn;
	return refuse(key, "tls", why, len, "this netsrvd was built without TLS (configure --disable-tls)", s);
#else
	char msg[512];

	if (check_keys(s, key, why, len) == -1)
		return -1;
	if ((s->tls.ctx = tls_ctx_build(&s->tls, s->name, warn, msg, sizeof(msg))) == NULL)
		return refuse(key, "tls", why, len, msg, s);
	return 0;
#endif
}

void
config_tls_free(struct service_config *s)
{
#ifdef HAVE_TLS
	tls_ctx_free(s->tls.ctx);
#endif
	s->tls.ctx = NULL;
	config_keys_free(config_tls_keys, CONFIG_TLS_NKEYS, &s->tls);
}
