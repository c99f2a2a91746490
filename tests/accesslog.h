/* The tests' one reader of the access log: a line is key=value pairs in the documented order, or the test fails. */
#ifndef NETSRVD_TEST_ACCESSLOG_H
#define NETSRVD_TEST_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

#define AL_MAX_PAIRS 16

struct al_line {
	int n;
	struct {
		char key[24];
		char value[512];
	} kv[AL_MAX_PAIRS];
};

/*
 * Parses an access-log message (the line after the log prefix): pairs
 * separated by one space, each key known and after the one before it in
 * the documented order, each value bare (no space, quote or '=') or
 * quoted with backslash escapes; service= and end= required, reason=
 * exactly when end=refused, end= and reason= from the documented words,
 * in= and out= together, both counts or both '?'.
 * 0, or -1 with why.
 */
int al_parse(const char *msg, struct al_line *out, char *why, size_t whylen);
/* The value of key, or NULL. */
const char *al_get(const struct al_line *l, const char *key);
/* The message of one line of the daemon's log: what follows "LEVEL: " (the whole line without a prefix). */
const char *al_message(const char *logline);
/*
 * Waits for the n-th access-log line of d's log that has every pair of
 * want ("service=echo end=refused reason=acl"; a value ending in '*'
 * matches as a prefix) and copies it into out (may be NULL). Every
 * access-log line read on the way must parse, and a refusal or timeout
 * in prose ("service echo: refused ...") fails the test at once.
 */
bool al_wait_nth(struct daemon *d, const char *want, int n, struct al_line *out, int timeout_ms);
bool al_wait(struct daemon *d, const char *want, struct al_line *out, int timeout_ms);
/* How many access-log lines of d's log have every pair of want (each line checked as above). */
int al_count(struct daemon *d, const char *want);

#endif
