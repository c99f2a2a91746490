/* Keeps netsrv.conf(5) honest: every key the parser accepts is documented, in its scope, and nothing else; and netsrvd(8) names every variable of the upgrade's hand-over. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "handler.h"
#include "handover.h"
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

/* ---- the shipped example, etc/netsrv.conf ---- */

static char *
read_example(char *path, size_t len)
{
	FILE *f;
	char *text;
	long n;

	snprintf(path, len, "%s/etc/netsrv.conf", h_srcdir());
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* Loads text as if it were the example in its place (its quotes file beside it); fails with the error. */
static void
assert_example_loads(const char *text, const char *path, const char *what)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_parse_string(text, path, err, sizeof(err));

	if (cfg == NULL)
		fail_msg("etc/netsrv.conf %s: %s", what, err);
	config_free(cfg);
}

/* A package's default: installed as it is, it answers nobody but the administrator on 127.0.0.1. */
static void
docs_example_enables_only_status_test(void **state)
{
	char path[512], err[CONFIG_ERR_MAX];
	struct config *cfg;
	size_t n = 0;

	(void)state;
	free(read_example(path, sizeof(path)));
	cfg = config_load(path, err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_config *s = &cfg->services[i];
		if (!s->enabled)
			continue;
		if (strcmp(s->handler_name, "status") != 0 || strcmp(s->address, "127.0.0.1") != 0)
			fail_msg("etc/netsrv.conf enables service \"%s\" (handler %s, address %s)",
			    s->name, s->handler_name, s->address);
		n++;
	}
	assert_int_equal(n, 1);
	assert_true(cfg->nservices > 1);	/* the classic services are there, disabled */
	config_free(cfg);
}

/* What the sysadmin does to a block from p's "\n\t#{" line down to its "\t#}," line: each "#" after the tab goes. */
static void
uncomment_block(char *p)
{
	for (;;) {
		bool last = strncmp(p, "\n\t#},\n", 6) == 0;

		if (strncmp(p, "\n\t#", 3) == 0)
			memmove(p + 2, p + 3, strlen(p + 3) + 1);
		if (last || (p = strchr(p + 1, '\n')) == NULL)
			return;
	}
}

/* Each "\t#{" ... "\t#}," block uncommented on its own still loads (when its program is installed). */
static void
docs_example_blocks_uncommented_test(void **state)
{
	char path[512];
	char *text = read_example(path, sizeof(path));
	int blocks = 0;

	(void)state;
	for (char *start = strstr(text, "\n\t#{\n"); start != NULL; start = strstr(start + 1, "\n\t#{\n")) {
		char *copy = strdup(text), *block, *cmd;
		char prog[256] = "";

		assert_non_null(copy);
		block = copy + (start - text);
		uncomment_block(block);
		blocks++;
		/* an exec block's program: -t checks it exists, so it must be installed here */
		cmd = strstr(block, "command = [ \"");
		if (cmd != NULL && cmd < strstr(block, "\n\t},\n"))
			sscanf(cmd + 13, "%255[^\"]", prog);
		if (prog[0] != '\0' && access(prog, X_OK) != 0)
			print_message("skipped block %d: %s is not installed\n", blocks, prog);
		else
			assert_example_loads(copy, path, "with a commented block uncommented");
		free(copy);
	}
	assert_true(blocks >= 3);	/* behind HAProxy, git, tftp */
	free(text);
}

/* Setting enabled = true on every classic service serves them all: the file stays valid. */
static void
docs_example_all_enabled_test(void **state)
{
	char path[512];
	char *text = read_example(path, sizeof(path));
	int flipped = 0;

	(void)state;
	for (char *p = strstr(text, "enabled = false;"); p != NULL; p = strstr(p, "enabled = false;")) {
		memcpy(p, "enabled = true; ", 16);
		flipped++;
	}
	assert_true(flipped >= 10);
	assert_example_loads(text, path, "with every service enabled");
	free(text);
}

/* The ENVIRONMENT section's ".It Ev A , Ev B" items name each variable the hand-over's table has. */
static void
docs_handover_variables_documented_test(void **state)
{
	char path[512], line[1024], items[4096] = "";
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/man/netsrvd.8.in", h_srcdir());
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, ".It Ev ", 7) == 0 && strlen(items) + strlen(line) + 2 < sizeof(items)) {
			line[strcspn(line, "\n")] = '\0';
			strcat(items, line + 3);	/* "Ev A , Ev B" */
			strcat(items, " ");
		}
	fclose(f);
	for (size_t i = 0; handover_variable(i) != NULL; i++) {
		char want[80];

		snprintf(want, sizeof(want), "Ev %s ", handover_variable(i));
		if (strstr(items, want) == NULL)
			fail_msg("netsrvd(8) does not name %s among its environment", handover_variable(i));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docs_every_key_documented_test),
		cmocka_unit_test(docs_every_documented_key_accepted_test),
		cmocka_unit_test(docs_example_enables_only_status_test),
		cmocka_unit_test(docs_example_blocks_uncommented_test),
		cmocka_unit_test(docs_example_all_enabled_test),
		cmocka_unit_test(docs_handover_variables_documented_test),
	};

	return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
