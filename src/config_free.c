/* netsrv.conf: freeing what the loader built, and counting what it serves. */
#include "autoconfig.h"

#include <stdlib.h>

#include "config_confine.h"
#include "config_error.h"
#include "config_free.h"
#include "config_schema.h"
#include "config_tls.h"
#include "handler.h"

void
config_service_free(struct service_config *s)
{
	free(s->name);
	free(s->file);
	free(s->protocol_name);
	free(s->address);
	free(s->handler_name);
	free(s->user);
	free(s->group);
	free(s->id.groups);
	free(s->allow);
	free(s->deny);
	for (size_t i = 0; i < s->nallow_names; i++)
		free(s->allow_names[i]);
	free(s->allow_names);
	for (size_t i = 0; i < s->ndeny_names; i++)
		free(s->deny_names[i]);
	free(s->deny_names);
	free(s->proxy_from);
	free(s->interface);
	free(s->tcp_wrappers);
	free(s->log_peer);
	free(s->banner_file);
	free(s->banner_success_file);
	free(s->banner_fail_file);
	free(s->banner.text);
	free(s->banner_success.text);
	free(s->banner_fail.text);
	config_tls_free(s);
	config_confine_free(s);
	if (s->handler != NULL) {
		if (s->handler->release != NULL)
			s->handler->release(s);
		if (s->hconf != NULL)
			config_keys_free(s->handler->keys, s->handler->nkeys, s->hconf);
	}
	free(s->hconf);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nservices; i++)
		config_service_free(&cfg->services[i]);
	free(cfg->services);
	free(cfg->path);
	free(cfg->user);
	free(cfg->group);
	free(cfg->pid_file);
	free(cfg->chroot_dir);
	free(cfg->include_dir);
	free(cfg->inetd_conf);
	free(cfg->log_peer);
	config_warnings_free(&cfg->warnings);
	free(cfg->log.target);
	free(cfg->log.facility_name);
	free(cfg->log.level_name);
	free(cfg);
}

size_t
config_enabled_services(const struct config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nservices; i++)
		n += cfg->services[i].enabled;
	return n;
}
