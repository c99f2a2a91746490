/*
 * libFuzzer target: netsrv.conf text -> config_parse_string -> config_free.
 * Any crash, sanitizer report or leak is a bug: the loader promises "never
 * exits, never leaks" (src/config.h).
 *
 * Two things the text may name are kept from blocking the fuzzer, since
 * they are libconfig's or the system's behaviour, not ours:
 *  - libconfig's `@include "FILE"` (a line-start directive, taken verbatim,
 *    no escapes): inputs holding "@include" are skipped;
 *  - the qotd `quotes` file: src/quotes.c reads it through util_read_file,
 *    wrapped here (-Wl,--wrap=util_read_file) to refuse anything but a
 *    non-empty regular file, so /dev/tty, a FIFO or /proc/kmsg never block
 *    a run (procfs and tracefs files report size 0).
 *
 * Leaks: libconfig 1.5 leaks a string token on some syntax errors (see
 * lsan.supp), so libFuzzer's own per-input leak check (a full LeakSanitizer
 * scan whenever an input mallocs more than it frees) would scan on most
 * broken inputs and run ~60x slower. `make fuzz` runs this target with
 * -detect_leaks=0 and the check is done here instead, on the inputs that
 * libconfig parses (where it leaks nothing, so any excess is ours); the
 * exit-time LeakSanitizer pass still covers every input.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>
#include <sanitizer/allocator_interface.h>
#include <sanitizer/lsan_interface.h>

#include "config.h"
#include "handler.h"
#include "handler_qotd.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __real_util_read_file(const char *path, size_t max, char **data, size_t *size);
int __wrap_util_read_file(const char *path, size_t max, char **data, size_t *size);

int
__wrap_util_read_file(const char *path, size_t max, char **data, size_t *size)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		errno = EINVAL;
		return -1;
	}
	return __real_util_read_file(path, max, data, size);
}

static int counting;
static long net_allocs;

static void
on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	if (counting)
		net_allocs++;
}

static void
on_free(const volatile void *p)
{
	(void)p;
	if (counting)
		net_allocs--;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
	return 0;
}

/* Whether libconfig alone accepts the text (then it leaks nothing). */
static int
libconfig_accepts(const char *text)
{
	config_t lc;
	int ok;

	config_init(&lc);
	ok = config_read_string(&lc, text) == CONFIG_TRUE;
	config_destroy(&lc);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;
	char *text;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (strstr(text, "@include") != NULL) {
		free(text);
		return -1;	/* not added to the corpus */
	}
	err[0] = '\0';
	net_allocs = 0;
	counting = libconfig_accepts(text);
	cfg = config_parse_string(text, "fuzz.conf", err, sizeof(err));
	if (cfg == NULL) {
		/* a failure always says why, as FILE[:LINE]: ... */
		if (strncmp(err, "fuzz.conf", 9) != 0)
			abort();
	} else {
		/* every service disabled is valid (it serves nothing): not checked */
		if (cfg->pid_file == NULL ||
		    cfg->log.facility_name == NULL || cfg->log.level_name == NULL)
			abort();
		for (size_t i = 0; i < cfg->nservices; i++) {
			const struct service_config *s = &cfg->services[i];

			if (s->name == NULL || s->handler == NULL ||
			    s->address == NULL || s->port < 1 || s->port > 65535 ||
			    s->workers < 1 || s->timeout < 0 || s->backlog < 1 ||
			    (s->handler->conf_size > 0 && s->hconf == NULL) ||
			    (s->handler == &handler_qotd &&
			    ((const struct qotd_conf *)s->hconf)->quotes.count == 0))
				abort();
		}
	}
	config_free(cfg);
	counting = 0;
	/* more mallocs than frees: a leak, unless a cache (NSS) kept them */
	if (net_allocs > 0 && __lsan_do_recoverable_leak_check() != 0)
		abort();
	free(text);
	return 0;
}
