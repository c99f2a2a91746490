/* What a reload changes that it cannot apply: the non-reloadable keys whose value differs. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config_diff.h"
#include "config_schema.h"
#include "config_types.h"
#include "handler.h"

/* Appends an entry to report, whole entries only, "; " between them. */
static void
report_add(char *report, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
report_add(char *report, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(report, len);
	char entry[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(entry, sizeof(entry), fmt, ap);
	va_end(ap);
	if (used + (used > 0 ? 2 : 0) + strlen(entry) < len)
		snprintf(report + used, len - used, "%s%s", used > 0 ? "; " : "", entry);
}

/* Whether k's stored value differs from a to b; if so, both go into report. */
static bool
key_changed(const struct config_key *k, const void *a, const void *b, const char *prefix,
    char *report, size_t len)
{
	switch (k->type) {
	case TYPE_INT: {
		long long x = config_key_int(k, a), y = config_key_int(k, b);
		if (x == y)
			return false;
		report_add(report, len, "%s%s: %lld -> %lld", prefix, k->name, x, y);
		return true;
	}
	case TYPE_BOOL: {
		bool x = *(const bool *)config_key_at_const(k, a), y = *(const bool *)config_key_at_const(k, b);
		if (x == y)
			return false;
		report_add(report, len, "%s%s: %s -> %s", prefix, k->name, x ? "true" : "false",
		    y ? "true" : "false");
		return true;
	}
	case TYPE_STRING: {
		const char *x = *(char *const *)config_key_at_const(k, a);
		const char *y = *(char *const *)config_key_at_const(k, b);
		if ((x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0))
			return false;
		report_add(report, len, "%s%s: %s%s%s -> %s%s%s", prefix, k->name,
		    x ? "\"" : "", x ? x : "(none)", x ? "\"" : "",
		    y ? "\"" : "", y ? y : "(none)", y ? "\"" : "");
		return true;
	}
	default:
		return false;	/* lists and groups: no row that holds one is non-reloadable yet */
	}
}

static size_t
scope_changes(enum config_scope scope, const void *a, const void *b, const char *prefix,
    char *report, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (k->scope == scope && !k->reloadable && config_key_stored(k, false))
			n += key_changed(k, a, b, prefix, report, len);
	}
	return n;
}

/* A service of one name in both: its core keys, and its handler's when both run the same handler. */
static size_t
service_changes(const struct service_config *a, const struct service_config *b,
    char *report, size_t len)
{
	const struct handler *h = a->handler;
	char prefix[64];
	size_t n;

	snprintf(prefix, sizeof(prefix), "service %s: ", a->name);
	n = scope_changes(SCOPE_SERVICE, a, b, prefix, report, len);
	if (h == b->handler && a->hconf != NULL && b->hconf != NULL)
		for (size_t k = 0; k < h->nkeys; k++)
			if (!h->keys[k].reloadable && config_key_stored(&h->keys[k], true))
				n += key_changed(&h->keys[k], a->hconf, b->hconf, prefix, report, len);
	return n;
}

size_t
config_reload_changes(const struct config *old, const struct config *new, char *report, size_t len)
{
	size_t n = 0;

	if (len > 0)
		report[0] = '\0';
	n += scope_changes(SCOPE_GLOBAL, old, new, "", report, len);
	n += scope_changes(SCOPE_LOG, &old->log, &new->log, "log.", report, len);
	for (size_t i = 0; i < old->nservices; i++)
		for (size_t j = 0; j < new->nservices; j++)
			if (strcmp(old->services[i].name, new->services[j].name) == 0)
				n += service_changes(&old->services[i], &new->services[j], report, len);
	return n;
}
