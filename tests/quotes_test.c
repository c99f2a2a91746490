/* Unit tests of the qotd quote file parser. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "quotes.h"

static void
parse_ok(const char *text, struct quotes *q)
{
	char err[512];

	if (quotes_parse(text, strlen(text), "q", q, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void
quotes_blank_lines_test(void **state)
{
	struct quotes q;

	(void)state;
	parse_ok("\n\nOne line.\n\nTwo\nlines.\n\n\n\nThree.", &q);
	assert_int_equal(q.count, 3);
	assert_string_equal(q.text[0], "One line.\r\n");
	assert_string_equal(q.text[1], "Two\r\nlines.\r\n");
	assert_int_equal(q.len[1], strlen("Two\r\nlines.\r\n"));
	assert_string_equal(q.text[2], "Three.\r\n");	/* no final newline in the file */
	quotes_free(&q);
}

static void
quotes_fortune_test(void **state)
{
	struct quotes q;

	(void)state;
	parse_ok("A\r\n%\r\nB\nb2\n%\n%\nC\n%\n", &q);
	assert_int_equal(q.count, 3);
	assert_string_equal(q.text[0], "A\r\n");
	assert_string_equal(q.text[1], "B\r\nb2\r\n");
	assert_string_equal(q.text[2], "C\r\n");
	quotes_free(&q);
	/* whitespace-only lines separate too */
	parse_ok("x\n  \t\ny\n", &q);
	assert_int_equal(q.count, 2);
	quotes_free(&q);
}

static void
quotes_limits_test(void **state)
{
	char text[2048], err[512];
	struct quotes q;

	(void)state;
	/* 509 characters + CRLF = 511 bytes as sent: the longest allowed */
	memset(text, 'a', 509);
	text[509] = '\n';
	text[510] = '\0';
	parse_ok(text, &q);
	assert_int_equal(q.len[0], 511);
	quotes_free(&q);

	/* one more is too long, and the error names the quote's first line */
	snprintf(text, sizeof(text), "short\n\nfirst\n");
	size_t n = strlen(text);
	memset(text + n, 'b', 510);
	text[n + 510] = '\n';
	text[n + 511] = '\0';
	assert_int_equal(quotes_parse(text, strlen(text), "qf", &q, err, sizeof(err)), -1);
	assert_string_equal(err, "qf:3: quote is longer than 511 bytes as sent (RFC 865 asks for under 512)");
	assert_int_equal(q.count, 0);

	assert_int_equal(quotes_parse("\n\n%\n", 4, "qf", &q, err, sizeof(err)), -1);
	assert_string_equal(err, "qf: no quotes in file");
	assert_int_equal(quotes_parse("a\0b\n", 4, "qf", &q, err, sizeof(err)), -1);
	assert_string_equal(err, "qf:1: NUL byte in quotes file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quotes_blank_lines_test),
		cmocka_unit_test(quotes_fortune_test),
		cmocka_unit_test(quotes_limits_test),
	};

	return cmocka_run_group_tests_name("quotes", tests, NULL, NULL);
}
