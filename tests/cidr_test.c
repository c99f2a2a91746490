/* Unit tests of CIDR parsing and matching, the core of allow/deny. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cidr.h"

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static bool
matches(const char *prefix, const char *peer)
{
	struct cidr c;
	char err[256];
	struct sockaddr_storage ss = addr(peer);

	if (cidr_parse(prefix, &c, err, sizeof(err)) != 0)
		fail_msg("%s: %s", prefix, err);
	return cidr_match(&c, (struct sockaddr *)&ss);
}

static void
cidr_parse_good_test(void **state)
{
	static const struct { const char *in, *out; } good[] = {
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "192.168.1.7/32", "192.168.1.7/32" },
		{ "192.168.1.7", "192.168.1.7/32" },
		{ "::/0", "::/0" },
		{ "::1/128", "::1/128" },
		{ "::1", "::1/128" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },	/* IPv4-mapped becomes IPv4 */
		{ "::ffff:127.0.0.1", "127.0.0.1/32" },
		{ "128.0.0.0/1", "128.0.0.0/1" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct cidr c;
		char err[256], back[64];
		if (cidr_parse(good[i].in, &c, err, sizeof(err)) != 0)
			fail_msg("%s: %s", good[i].in, err);
		assert_int_equal(cidr_format(&c, back, sizeof(back)), 0);
		assert_string_equal(back, good[i].out);
	}
}

static void
cidr_parse_bad_test(void **state)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1",
		"10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0/08x", "10.0.0/8",
		"256.0.0.0/8", "garbage", "10.0.0.1/8", "2001:db8::1/32",
		"fe80::1%eth0", "10.0.0.0/1000", "1.2.3.4 ", " 1.2.3.4", "::ffff:10.0.0.1/104",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cidr c;
		char err[256] = "";
		if (cidr_parse(bad[i], &c, err, sizeof(err)) == 0)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_non_null(strstr(err, "invalid address prefix"));
	}
}

static void
cidr_match_test(void **state)
{
	(void)state;
	assert_true(matches("0.0.0.0/0", "203.0.113.9"));
	assert_false(matches("0.0.0.0/0", "2001:db8::1"));
	assert_true(matches("::/0", "2001:db8::1"));
	assert_false(matches("::/0", "10.0.0.1"));
	assert_true(matches("10.0.0.0/8", "10.255.255.255"));
	assert_false(matches("10.0.0.0/8", "11.0.0.0"));
	assert_true(matches("192.168.1.7/32", "192.168.1.7"));
	assert_false(matches("192.168.1.7/32", "192.168.1.6"));
	assert_true(matches("192.168.0.0/23", "192.168.1.200"));
	assert_false(matches("192.168.0.0/23", "192.168.2.0"));
	assert_true(matches("::1/128", "::1"));
	assert_false(matches("::1/128", "::2"));
	assert_true(matches("2001:db8::/33", "2001:db8:7fff::1"));
	assert_false(matches("2001:db8::/33", "2001:db8:8000::1"));
	/* an IPv4 client of a dual-stack socket is seen as ::ffff:a.b.c.d */
	assert_true(matches("127.0.0.0/8", "::ffff:127.0.0.1"));
	assert_false(matches("127.0.0.0/8", "::ffff:128.0.0.1"));
	assert_false(matches("::1/128", "::ffff:127.0.0.1"));
	assert_true(matches("::ffff:10.0.0.0/104", "10.1.2.3"));
}

static void
cidr_acl_test(void **state)
{
	struct cidr allow[2], deny[1];
	char err[256];
	struct sockaddr_storage a = addr("10.1.2.3"), b = addr("10.9.9.9"),
	    c = addr("192.0.2.1"), d = addr("::1");

	(void)state;
	/* no lists: everyone */
	assert_true(cidr_acl_allows(NULL, 0, NULL, 0, (struct sockaddr *)&c));
	assert_int_equal(cidr_parse("10.0.0.0/8", &allow[0], err, sizeof(err)), 0);
	assert_int_equal(cidr_parse("::1", &allow[1], err, sizeof(err)), 0);
	assert_int_equal(cidr_parse("10.9.0.0/16", &deny[0], err, sizeof(err)), 0);
	assert_true(cidr_acl_allows(allow, 2, deny, 1, (struct sockaddr *)&a));
	/* deny wins over allow */
	assert_false(cidr_acl_allows(allow, 2, deny, 1, (struct sockaddr *)&b));
	/* a non-empty allow list refuses the rest */
	assert_false(cidr_acl_allows(allow, 2, deny, 1, (struct sockaddr *)&c));
	assert_true(cidr_acl_allows(allow, 2, deny, 1, (struct sockaddr *)&d));
	/* deny alone */
	assert_false(cidr_acl_allows(NULL, 0, deny, 1, (struct sockaddr *)&b));
	assert_true(cidr_acl_allows(NULL, 0, deny, 1, (struct sockaddr *)&c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cidr_parse_good_test),
		cmocka_unit_test(cidr_parse_bad_test),
		cmocka_unit_test(cidr_match_test),
		cmocka_unit_test(cidr_acl_test),
	};

	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
