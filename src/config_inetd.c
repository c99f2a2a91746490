/* inetd_conf: an inetd.conf's entries as services, translated in a child process by --import's code. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config_error.h"
#include "config_free.h"
#include "config_identity.h"
#include "config_inetd.h"
#include "util.h"

/* What the child wrote, read until it closes its end, the bound passes or it says too much. */
static int
read_all(int fd, int64_t deadline_ms, char **text, size_t *len, char *why, size_t whylen)
{
	size_t cap = 0;
	char *buf = NULL;

	*len = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline_ms - util_now_ms();
		ssize_t r;

		if (*len == cap) {
			char *grown;
			if (cap >= CONFIG_MAX_BYTES) {
				snprintf(why, whylen, "the translation is larger than 16 MiB");
				goto fail;
			}
			cap = cap ? cap * 2 : 65536;
			if ((grown = realloc(buf, cap + 1)) == NULL) {
				snprintf(why, whylen, "out of memory");
				goto fail;
			}
			buf = grown;
		}
		if (left <= 0 || (r = poll(&p, 1, (int)left)) == 0) {
			snprintf(why, whylen, "the translation took longer than %d s (a host name that does not resolve?)",
			    CONFIG_INETD_BOUND_MS / 1000);
			goto fail;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || (r = read(fd, buf + *len, cap - *len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "reading the translation: %s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	buf[*len] = '\0';
	*text = buf;
	return 0;
fail:
	free(buf);
	return -1;
}

static void
translate_child(const char *path, config_inetd_translate_fn *translate, int fd)
{
	sigset_t none;
	FILE *out;
	int rc;

	/*
	 * The master's handlers only set its flags: here a stop must end the
	 * translation, and a crash must say so. Should the master die
	 * meanwhile, its translation goes with it.
	 */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	out = fdopen(fd, "w");
	rc = out == NULL ? 1 : translate(path, out);
	if (out != NULL && fclose(out) == EOF)
		rc = 1;
	_exit(rc);
}

static int
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return status;
}

/* The text translate writes for path, from a child: 0, or -1 with why. */
static int
translate_in_child(const char *path, config_inetd_translate_fn *translate, char **text, size_t *len,
    char *why, size_t whylen)
{
	int fds[2], status, rc;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		translate_child(path, translate, fds[1]);
	}
	close(fds[1]);
	rc = read_all(fds[0], util_now_ms() + CONFIG_INETD_BOUND_MS, text, len, why, whylen);
	close(fds[0]);
	if (rc == -1)
		(void)kill(pid, SIGKILL);
	status = reap(pid);
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		if (status != -1 && WIFSIGNALED(status))
			snprintf(why, whylen, "the translation was killed by signal %d", WTERMSIG(status));
		else
			snprintf(why, whylen, "the translation failed (exit status %d)",
			    status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		free(*text);
		rc = -1;
	}
	return rc;
}

/* Each entry handed to load; one it refuses is a warning with the reason, and the rest go on. */
static void
load_entries(const config_t *lc, const char *path, config_inetd_load_fn *load, void *arg,
    struct config_warnings *w, char *err)
{
	const config_setting_t *list = config_lookup(lc, "services");
	const config_setting_t *lines = config_lookup(lc, "lines");
	const config_setting_t *notes = config_lookup(lc, "warnings");
	int n = list != NULL && config_setting_is_list(list) ? config_setting_length(list) : 0;

	for (int i = 0; notes != NULL && i < config_setting_length(notes); i++) {
		const char *note = config_setting_get_string_elem(notes, i);
		if (note != NULL)
			config_warn(w, "%s", note);
	}
	for (int i = 0; i < n; i++) {
		int line = lines != NULL ? config_setting_get_int_elem(lines, i) : 0;

		err[0] = '\0';
		if (load(path, line > 0 ? line : 0, config_setting_get_elem(list, (unsigned)i), arg) == -1)
			config_warn(w, "%s; the entry is not served", err);
	}
	err[0] = '\0';
}

/* Entries from first on whose programs would share built-in workers' user: warned of and dropped. */
static void
drop_shared_users(struct config *cfg, size_t first)
{
	char why[CONFIG_ERR_MAX];
	ssize_t i;

	while ((i = config_identity_shared(cfg, why, sizeof(why))) != -1 && (size_t)i >= first) {
		struct service_config *s = &cfg->services[i];

		config_warn(&cfg->warnings, "%s:%d: %s; the entry is not served", s->file, s->line, why);
		config_service_free(s);
		memmove(s, s + 1, (cfg->nservices - (size_t)i - 1) * sizeof(*s));
		cfg->nservices--;
	}
}

int
config_inetd_each(struct config *cfg, config_inetd_translate_fn *translate, config_inetd_load_fn *load,
    void *arg, char *err, size_t errlen)
{
	const char *path = cfg->inetd_conf, *main = cfg->path, *said;
	char why[CONFIG_ERR_MAX], *text;
	size_t len, first = cfg->nservices;
	config_t lc;
	int absent;

	if (translate == NULL) {
		snprintf(err, errlen, "%s: inetd_conf %s: this program does not read inetd.conf files", main, path);
		return -1;
	}
	if (translate_in_child(path, translate, &text, &len, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: inetd_conf %s: %s", main, path, why);
		return -1;
	}
	config_init(&lc);
	if (strlen(text) != len || config_read_string(&lc, text) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s: inetd_conf %s: the translation does not parse (line %d: %s)", main,
		    path, config_error_line(&lc), config_error_text(&lc) ? config_error_text(&lc) : "a NUL byte");
		config_destroy(&lc);
		free(text);
		return -1;
	}
	free(text);
	if (config_lookup_string(&lc, "error", &said) == CONFIG_TRUE) {
		snprintf(err, errlen, "%s: inetd_conf %s", main, said);
		config_destroy(&lc);
		return -1;
	}
	if (config_lookup_bool(&lc, "absent", &absent) != CONFIG_TRUE || !absent)
		load_entries(&lc, path, load, arg, &cfg->warnings, err);
	config_destroy(&lc);
	drop_shared_users(cfg, first);
	return 0;
}
