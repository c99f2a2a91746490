/* Keeps netsrv.conf(5) honest: every key the parser accepts is documented, in its scope, and nothing else. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "handler.h"
#include "harness.h"

struct doc_key {
	char name[64];
	int scope;	/* enum config_scope, -1 outside the key lists */
};

static struct doc_key keys[128];
static int nkeys;

/* The page's three key lists are its "Global settings", "The log group" and "Service settings" subsections. */
static int
scope_of_subsection(const char *title)
{
	if (strncmp(title, "Global settings", 15) == 0)
		return SCOPE_GLOBAL;
	if (strncmp(title, "The log group", 13) == 0)
		return SCOPE_LOG;
	if (strncmp(title, "Service settings", 16) == 0)
		return SCOPE_SERVICE;
	return -1;
}

static void
read_page(void)
{
	char path[512], line[1024];
	int scope = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/man/netsrv.conf.5.in", h_srcdir());
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	nkeys = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, ".Ss ", 4) == 0 || strncmp(line, ".Sh ", 4) == 0)
			scope = strncmp(line, ".Ss ", 4) == 0 ? scope_of_subsection(line + 4) : -1;
		if (strncmp(line, ".It Ic ", 7) == 0 && nkeys < 128) {
			sscanf(line + 7, "%63s", keys[nkeys].name);
			keys[nkeys].scope = scope;
			nkeys++;
		}
	}
	fclose(f);
}

/* Every key a file may hold: the core schema's rows, then each handler's. */
static size_t
all_keys(const struct config_key **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < config_schema_len && n < max; i++)
		out[n++] = &config_schema[i];
	for (size_t i = 0; i < handler_count(); i++)
		for (size_t j = 0; j < handler_at(i)->nkeys && n < max; j++)
			out[n++] = &handler_at(i)->keys[j];
	return n;
}

static void
docs_every_key_documented_test(void **state)
{
	const struct config_key *all[128];
	size_t n = all_keys(all, 128);

	(void)state;
	read_page();
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (int j = 0; j < nkeys; j++)
			found |= strcmp(keys[j].name, all[i]->name) == 0 &&
			    keys[j].scope == (int)all[i]->scope;
		if (!found)
			fail_msg("%s setting \"%s\" is not documented in netsrv.conf.5",
			    config_scope_name(all[i]->scope), all[i]->name);
	}
}

static void
docs_every_documented_key_accepted_test(void **state)
{
	const struct config_key *all[128];
	size_t n = all_keys(all, 128);

	(void)state;
	read_page();
	assert_true(nkeys > 0);
	for (int j = 0; j < nkeys; j++) {
		bool found = false;
		if (keys[j].scope == -1)
			fail_msg(".It Ic %s is outside the three key lists", keys[j].name);
		for (size_t i = 0; i < n; i++)
			found |= strcmp(keys[j].name, all[i]->name) == 0 &&
			    keys[j].scope == (int)all[i]->scope;
		if (!found)
			fail_msg("netsrv.conf.5 documents %s setting \"%s\", which the parser does not accept",
			    config_scope_name((enum config_scope)keys[j].scope), keys[j].name);
	}
	assert_int_equal(nkeys, (int)n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docs_every_key_documented_test),
		cmocka_unit_test(docs_every_documented_key_accepted_test),
	};

	return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
