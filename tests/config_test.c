/* Unit tests of config loading: every mistake named with its line, every default applied. */
#include "autoconfig.h"

#include <grp.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_diff.h"
#include "handler.h"
#include "handler_qotd.h"

#define SVC_ECHO "{ name = \"echo\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; }"

struct case_ {
	const char *text;
	int line;		/* 0: must load; else the line the error names */
	const char *msg;	/* a stable part of the message */
};

static const struct case_ cases[] = {
	/* good ones */
	{ "services = ( " SVC_ECHO " );", 0, NULL },
	{ "services = ( " SVC_ECHO " )", 0, NULL },	/* ';' is optional */
	{ "workers = 1; timeout = 0; shutdown_timeout = 0; backlog = 1;\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "workers = 4096; timeout = 86400; shutdown_timeout = 3600; backlog = 65535;\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "log = { target = \"stderr\"; level = \"debug\"; facility = \"local3\"; connections = true; };\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "log = { target = \"/var/log/netsrvd.log\"; };\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "services = (\n { name = \"a\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = 7; handler = \"echo\"; },\n"
	  " { name = \"b\"; protocol = \"tcp\"; address = \"127.0.0.2\"; port = 7; handler = \"echo\"; },\n"
	  " { name = \"c\"; protocol = \"udp\"; address = \"127.0.0.1\"; port = 7; handler = \"echo\"; },\n"
	  " { name = \"d\"; protocol = \"tcp\"; address = \"::1\"; port = 7; handler = \"echo\"; }\n);", 0, NULL },
	{ "services = (\n { name = \"a\"; protocol = \"tcp\"; port = 9; handler = \"discard\"; enabled = false; },\n"
	  " { name = \"b\"; protocol = \"tcp\"; port = 9; handler = \"discard\"; }\n);", 0, NULL },
	{ "services = ( { name = \"t\"; protocol = \"udp\"; port = 37; handler = \"time\";\n allow = [ \"127.0.0.0/8\", \"::1/128\" ]; deny = [ \"127.0.0.2\" ]; } );", 0, NULL },
	{ "services = ( { name = \"t\"; protocol = \"tcp\"; port = 37; handler = \"time\"; allow = ( \"10.0.0.0/8\" ); } );", 0, NULL },
	{ "user = \"root\"; group = \"root\";\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "chroot = \"/\"; seccomp = false;\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "chroot = \"/nonexistent-netsrvd\";\nservices = ( " SVC_ECHO " );", 1, "chroot /nonexistent-netsrvd: No such file or directory" },
	{ "chroot = \"/etc/hostname\";\nservices = ( " SVC_ECHO " );", 1, "not a directory" },
	{ "\nchroot = \"var/empty\";\nservices = ( " SVC_ECHO " );", 2, "must be an absolute path" },

	/* syntax */
	/* libconfig's bare words, said with what and where as the rest of -t does */
	{ "workers = 4;\nservices = ( " SVC_ECHO "\n", 3, "syntax error at the end of the file" },
	{ "workers = ;\n", 1, "syntax error in \"workers = ;\"" },
	{ "workers = 4;\n\tshutdown_timeout 3;\n", 2, "syntax error in \"shutdown_timeout 3;\"" },
	{ "workers = 4;\nworkers = 5;\nservices = ( " SVC_ECHO " );", 2, "duplicate setting \"workers\" (first at line 1)" },
	{ "services = (\n { name = \"a\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; },\n"
	  " { name = \"b\"; protocol = \"tcp\";\n   port = 8; handler = \"echo\";\n   port = 9; } );", 5,
	  "duplicate setting \"port\" (first at line 4)" },
	{ "log = { level = \"info\"; target = \"stderr\"; level = \"debug\"; };\nservices = ( " SVC_ECHO " );", 1,
	  "duplicate setting \"level\" (first at line 1)" },
	{ "log = { level = \"info\";\n  facility = \"daemon\";\n};\nlog = 3;\n", 4, "duplicate setting \"log\" (first at line 1)" },
	/* unknown keys: typos must never be silently ignored */
	{ "wokers = 4;\nservices = ( " SVC_ECHO " );", 1, "unknown global setting \"wokers\" (did you mean \"workers\"?)" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   adress = \"127.0.0.1\"; } );", 3, "unknown service setting \"adress\" (did you mean \"address\"?)" },
	{ "log = {\n  levle = \"info\"; };\nservices = ( " SVC_ECHO " );", 2, "unknown log setting \"levle\"" },
	{ "quotes = \"/etc/q\";\nservices = ( " SVC_ECHO " );", 1, "\"quotes\" is a service setting" },
	/* wrong types */
	{ "workers = \"4\";\nservices = ( " SVC_ECHO " );", 1, "\"workers\" must be an integer" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = \"7\"; handler = \"echo\"; } );", 2, "\"port\" must be an integer" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; enabled = 1; } );", 2, "\"enabled\" must be true or false" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; allow = \"10.0.0.0/8\"; } );", 2, "\"allow\" must be a list of strings" },
	{ "services = { name = \"e\"; };", 1, "\"services\" must be a list" },
	{ "log = \"syslog\";\nservices = ( " SVC_ECHO " );", 1, "\"log\" must be a group" },
	/* ranges */
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 0; handler = \"echo\"; } );", 2, "\"port\" is 0, out of range 1-65535" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\";\n port = 70000; handler = \"echo\"; } );", 3, "\"port\" is 70000, out of range 1-65535" },
	{ "workers = 0;\nservices = ( " SVC_ECHO " );", 1, "\"workers\" is 0, out of range 1-4096" },
	{ "workers = 100000;\nservices = ( " SVC_ECHO " );", 1, "out of range 1-4096" },
	{ "timeout = -1;\nservices = ( " SVC_ECHO " );", 1, "\"timeout\" is -1, out of range 0-86400" },
	{ "shutdown_timeout = 3601;\nservices = ( " SVC_ECHO " );", 1, "out of range 0-3600" },
	{ "backlog = 99999999999;\nservices = ( " SVC_ECHO " );", 1, "out of range 1-65535" },
	/* meaning */
	{ "services = (\n { name = \"echo\"; protocol = \"tcp\"; port = 7;\n   handler = \"ecoh\"; } );", 3, "service \"echo\": unknown handler \"ecoh\" (expected echo, discard, chargen, daytime, time, qotd, status, exec, redirect)" },
	{ "services = (\n { name = \"e\"; protocol = \"sctp\"; port = 7; handler = \"echo\"; } );", 2, "unknown protocol \"sctp\" (expected tcp or udp)" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; handler = \"echo\"; } );", 2, "service \"e\": missing required setting \"port\"" },
	{ "services = (\n { protocol = \"tcp\"; port = 7; handler = \"echo\"; } );", 2, "missing required setting \"name\"" },
	{ "services = (\n { name = \"e\"; port = 7; handler = \"echo\"; } );", 2, "missing required setting \"protocol\"" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; } );", 2, "missing required setting \"handler\"" },
	{ "services = (\n " SVC_ECHO ",\n { name = \"echo\"; protocol = \"udp\"; port = 7; handler = \"echo\"; } );", 3, "duplicate service name \"echo\" (first defined on line 2)" },
	{ "services = (\n " SVC_ECHO ",\n { name = \"e2\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = 7; handler = \"discard\"; } );", 3, "overlaps service \"echo\"" },
	{ "services = (\n { name = \"a\"; protocol = \"tcp\"; address = \"0.0.0.0\"; port = 7; handler = \"echo\"; },\n { name = \"b\"; protocol = \"tcp\"; address = \"10.1.2.3\"; port = 7; handler = \"echo\"; } );", 3, "overlaps service \"a\"" },
	{ "services = (\n { name = \"a\"; protocol = \"tcp\"; address = \"::1\"; port = 7; handler = \"echo\"; },\n { name = \"b\"; protocol = \"tcp\"; address = \"::1\"; port = 7; handler = \"echo\"; } );", 3, "overlaps" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\";\n   address = \"localhost\"; port = 7; handler = \"echo\"; } );", 3, "address \"localhost\" is not a numeric IPv4 or IPv6 address" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; address = \"256.1.1.1\"; port = 7; handler = \"echo\"; } );", 2, "is not a numeric" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   allow = [ \"10.0.0.0/8\",\n \"10.0.0.0/33\" ]; } );", 4, "allow: invalid address prefix \"10.0.0.0/33\"" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   deny = [ \"garbage!\" ]; } );", 3, "deny: \"garbage!\" is neither an address prefix, a host name nor a domain suffix" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; deny = [ \"10.0.0.1/8\" ]; } );", 2, "bits set after the /8 prefix" },
	{ "services = (\n { name = \"q\"; protocol = \"tcp\"; port = 17; handler = \"qotd\"; } );", 2, "handler qotd needs a quotes file" },
	{ "services = (\n { name = \"q\"; protocol = \"tcp\"; port = 17; handler = \"qotd\";\n   quotes = \"/nonexistent/quotes\"; } );", 3, "cannot read quotes file /nonexistent/quotes: No such file or directory" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; quotes = \"/etc/hostname\"; } );", 2, "\"quotes\" is only used by handler qotd" },
	{ "user = \"no-such-user-netsrvd\";\nservices = ( " SVC_ECHO " );", 1, "unknown user \"no-such-user-netsrvd\"" },
	{ "group = \"no-such-group-netsrvd\";\nservices = ( " SVC_ECHO " );", 1, "unknown group \"no-such-group-netsrvd\"" },
	{ "log = { level = \"verbose\"; };\nservices = ( " SVC_ECHO " );", 1, "unknown log level \"verbose\"" },
	{ "log = { facility = \"kern\"; };\nservices = ( " SVC_ECHO " );", 1, "unknown log facility \"kern\"" },
	{ "log = {\n target = \"netsrvd.log\"; };\nservices = ( " SVC_ECHO " );", 2, "must be \"syslog\", \"stderr\" or an absolute file path" },
	{ "pid_file = \"run/netsrvd.pid\";\nservices = ( " SVC_ECHO " );", 1, "must be an absolute path" },
	{ "services = (\n { name = \"bad name!\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; } );", 2, "service name \"bad name!\" must be" },
	/* one character past NETSRVD_NAME_MAX (32) */
	{ "services = (\n { name = \"n2345678901234567890123456789012z\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; } );", 2,
	  "service name \"n2345678901234567890123456789012z\" must be 1-32 characters of A-Z a-z 0-9 . _ -" },
	{ "services = ( \"echo\" );", 1, "must be a group" },
	{ "workers = 2;\n  @include \"other.conf\"\nservices = ( " SVC_ECHO " );", 2, "@include is not supported" },
	{ "services = (\n { name = \"q\"; protocol = \"tcp\"; port = 17; handler = \"qotd\";\n   quotes = \"/dev/null\"; } );", 3, "cannot read quotes file /dev/null: not a regular file" },
	{ "workers = 2; max_workers = 32; min_spare = 2; max_spare = 8; max_connections_per_worker = 1000; max_per_source = 4;\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; workers = 8;\n   max_workers = 4; } );", 3, "service \"e\": max_workers 4 is below workers 8" },
	{ "workers = 8;\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "min_spare = 5; max_spare = 2;\nservices = ( " SVC_ECHO " );", 1, "max_spare 2 is below min_spare 5" },
	{ "udp_rate = 10;\nservices = ( " SVC_ECHO ",\n { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\"; udp_burst = 50; } );", 0, NULL },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   udp_rate = 5; } );", 3, "udp_rate and udp_burst apply to UDP services only" },
	{ "services = (\n { name = \"s\"; protocol = \"udp\"; port = 99;\n   handler = \"status\"; } );", 3, "handler status serves TCP only" },
	/* nothing to serve: empty, truncated; all disabled is a valid (safe) default */
	{ "", -1, "no \"services\" list" },
	{ "workers = 4;\n", -1, "no \"services\" list" },
	{ "services = ();", 1, "empty \"services\" list" },
	{ "services = (\n { name = \"a\"; protocol = \"tcp\"; port = 9; handler = \"discard\"; enabled = false; } );", 0, NULL },
	{ "services = (\n { name = \"a\"; protocol = \"tcp\"; port = 9; handler = \"discard\"; enabled = false; },\n"
	  " { name = \"b\"; protocol = \"udp\"; port = 9; handler = \"discard\"; enabled = false; } );", 0, NULL },
};

/*
 * libconfig 1.5 wraps integer literals while reading them (4294988303 is
 * 21007 to it), so these would pass a check of the parsed value.
 */
static const struct case_ wrap_cases[] = {
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 4294988303; handler = \"echo\"; } );", 2, "\"port\" is 4294988303, out of range 1-65535" },
	{ "workers = 4294967298;\nservices = ( " SVC_ECHO " );", 1, "\"workers\" is 4294967298, out of range 1-4096" },
	{ "timeout = 4294967296;\nservices = ( " SVC_ECHO " );", 1, "\"timeout\" is 4294967296, out of range 0-86400" },
	{ "backlog = 99999999999999999999;\nservices = ( " SVC_ECHO " );", 1, "\"backlog\" is 99999999999999999999, out of range" },
	{ "\nshutdown_timeout = 0x100000000;\nservices = ( " SVC_ECHO " );", 2, "\"shutdown_timeout\" is 0x100000000, out of range" },
	{ "max_per_source = -4294967295;\nservices = ( " SVC_ECHO " );", 1, "\"max_per_source\" is -4294967295, out of range" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 4294988303L; handler = \"echo\"; } );", 2, "\"port\" is 4294988303, out of range 1-65535" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 99999999999999999999L; handler = \"echo\"; } );", 2, "\"port\" is 99999999999999999999L, out of range" },
	{ "services = ( " SVC_ECHO " );\nudp_rate = 0xffffffff;", 2, "\"udp_rate\" is 0xffffffff, out of range" },
	/* unknown keys and arrays still get the line and the literal */
	{ "services = ( " SVC_ECHO " );\nwhatever = [ 1,\n 4294967296 ];", 3, "integer 4294967296 does not fit in 32 bits" },
	/* what is not an integer literal is left alone: strings, comments, 64-bit values that fit */
	{ "# port = 4294988303\nservices = ( { name = \"x4294988303\"; protocol = \"tcp\";\n"
	  " port = 7; /* 99999999999 */ handler = \"echo\"; } ); // 4294967298\n", 0, NULL },
	{ "workers = 4L; timeout = 0x10;\nservices = ( " SVC_ECHO " );", 0, NULL },
	{ "workers = 2147483647;\nservices = ( " SVC_ECHO " );", 1, "\"workers\" is 2147483647, out of range 1-4096" },
};

static void
check_cases(const struct case_ *tab, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char err[CONFIG_ERR_MAX] = "";
		char want[64];
		struct config *cfg = config_parse_string(tab[i].text, "t.conf", err, sizeof(err));

		if (tab[i].line == 0) {
			if (cfg == NULL)
				fail_msg("case %zu: expected OK, got: %s", i, err);
			config_free(cfg);
			continue;
		}
		if (cfg != NULL)
			fail_msg("case %zu: expected an error naming \"%s\", got a config", i, tab[i].msg);
		if (tab[i].line > 0)
			snprintf(want, sizeof(want), "t.conf:%d: ", tab[i].line);
		else
			snprintf(want, sizeof(want), "t.conf: ");
		if (strncmp(err, want, strlen(want)) != 0 || strstr(err, tab[i].msg) == NULL)
			fail_msg("case %zu: expected \"%s...%s\", got \"%s\"", i, want, tab[i].msg, err);
	}
	print_message("%zu config texts checked\n", n);
}

static void
config_integer_wrap_test(void **state)
{
	(void)state;
	check_cases(wrap_cases, sizeof(wrap_cases) / sizeof(wrap_cases[0]));
}

static void
config_table_test(void **state)
{
	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
config_defaults_test(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_parse_string(
	    "services = ( " SVC_ECHO ",\n"
	    " { name = \"d\"; protocol = \"udp\"; port = 13; handler = \"daytime\"; workers = 2; timeout = 5; backlog = 7; } );",
	    "t.conf", err, sizeof(err));

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->workers, 4);
	assert_int_equal(cfg->timeout, 30);
	assert_int_equal(cfg->shutdown_timeout, 10);
	assert_int_equal(cfg->backlog, 128);
	assert_string_equal(cfg->pid_file, RUNSTATEDIR "/netsrvd.pid");
	assert_null(cfg->log.target);
	assert_int_equal(cfg->log.level, LOG_LVL_INFO);
	assert_false(cfg->log.connections);
	assert_false(cfg->id.drop);
	assert_null(cfg->chroot_dir);
	assert_true(cfg->seccomp);
	assert_int_equal(cfg->nservices, 2);

	const struct service_config *e = &cfg->services[0];
	assert_string_equal(e->name, "echo");
	assert_int_equal(e->protocol, PROTO_TCP);
	assert_string_equal(e->address, "*");
	assert_true(e->any_address);
	assert_int_equal(e->port, 7);
	assert_ptr_equal(e->handler, &handler_echo);
	assert_int_equal(e->workers, 4);	/* inherited from the global */
	assert_int_equal(e->max_workers, 32);	/* adaptive: slowloris headroom */
	assert_int_equal(e->min_spare, 0);
	assert_int_equal(e->max_spare, 0);
	assert_int_equal(e->max_connections_per_worker, 0);
	assert_int_equal(e->max_per_source, 8);
	assert_int_equal(e->timeout, 30);
	assert_int_equal(e->backlog, 128);
	assert_true(e->enabled);
	assert_int_equal(e->nallow, 0);
	assert_int_equal(e->ndeny, 0);
	assert_int_equal(e->line, 1);

	const struct service_config *d = &cfg->services[1];
	assert_int_equal(d->protocol, PROTO_UDP);
	assert_int_equal(d->workers, 2);
	assert_int_equal(d->timeout, 5);
	assert_int_equal(d->backlog, 7);
	assert_int_equal(d->line, 2);
	config_free(cfg);
}

/* allow and deny: host names and domain suffixes beside prefixes; lookup_timeout; proxy_from takes addresses only. */
static const struct case_ acl_name_cases[] = {
	{ "lookup_timeout = 500;\nservices = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	  "   allow = [ \"10.0.0.0/8\", \"Monitor.Example.ORG.\", \".example.net\" ];\n"
	  "   deny = [ \"bad-host.example.org\", \"::1\" ]; },\n"
	  " { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\"; lookup_timeout = 9000;\n"
	  "   allow = [ \".example.org\" ]; } );", 0, NULL },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	  "   allow = [ \"10.0.0.300\" ]; } );", 3, "allow: invalid address prefix \"10.0.0.300\"" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	  "   deny = [ \"bad_name.example.org\" ]; } );", 3,
	  "deny: \"bad_name.example.org\" is neither an address prefix, a host name nor a domain suffix" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	  "   allow = [ \"..example.org\" ]; } );", 3, "is neither an address prefix" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	  "   allow = [ \"-a.example.org\" ]; } );", 3, "is neither an address prefix" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	  "   proxy_from = [ \"lb.example.org\" ]; } );", 3, "proxy_from: invalid address prefix \"lb.example.org\"" },
	{ "lookup_timeout = 0;\nservices = ( " SVC_ECHO " );", 1, "lookup_timeout" },
};

static void
config_acl_names_test(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;
	const struct service_config *e, *u;

	(void)state;
	check_cases(acl_name_cases, sizeof(acl_name_cases) / sizeof(acl_name_cases[0]));
	cfg = config_parse_string(acl_name_cases[0].text, "t.conf", err, sizeof(err));
	assert_non_null(cfg);
	e = &cfg->services[0];
	u = &cfg->services[1];
	assert_int_equal(e->nallow, 1);
	assert_int_equal(e->nallow_names, 2);
	assert_string_equal(e->allow_names[0], "monitor.example.org");	/* lowercased, no final dot */
	assert_string_equal(e->allow_names[1], ".example.net");
	assert_int_equal(e->ndeny, 1);
	assert_int_equal(e->ndeny_names, 1);
	assert_string_equal(e->deny_names[0], "bad-host.example.org");
	assert_int_equal(e->lookup_timeout, 500);	/* the global's */
	assert_int_equal(u->lookup_timeout, 9000);
	config_free(cfg);
	cfg = config_parse_string("services = ( " SVC_ECHO " );", "t.conf", err, sizeof(err));
	assert_non_null(cfg);
	assert_int_equal(cfg->services[0].lookup_timeout, 2000);
	assert_int_equal(cfg->services[0].nallow_names, 0);
	assert_null(cfg->services[0].allow_names);
	config_free(cfg);
}

/* proxy_from, keepalive, the connection rates and interface: TCP keys refused on UDP, each error on its own line. */
static const struct case_ socket_cases[] = {
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	  "   proxy_from = [ \"10.0.0.0/8\", \"127.0.0.1/32\", \"::1\" ]; keepalive = true;\n"
	  "   keepalive_idle = 60; keepalive_interval = 10; keepalive_count = 5; interface = \"lo\"; } );", 0, NULL },
	{ "services = (\n { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\"; interface = \"lo\"; } );", 0, NULL },
	{ "services = (\n { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\";\n"
	  "   proxy_from = [ \"10.0.0.0/8\" ]; } );", 3, "service \"u\": proxy_from applies to TCP services only" },
	{ "services = (\n { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\";\n\n   keepalive = true; } );", 4, "keepalive applies to TCP services only" },
	/* connection rates: a UDP service is told on its line; a global one is for the TCP services */
	{ "services = (\n { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\";\n   connection_rate = 5; } );", 3, "service \"u\": connection_rate applies to TCP services only" },
	{ "services = (\n { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\";\n   connection_rate_per_source = 5; } );", 3, "connection_rate_per_source applies to TCP services only" },
	{ "connection_rate = 5; connection_rate_per_source = 2;\nservices = (\n { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\"; } );", 0, NULL },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   connection_rate = 1000001; } );", 3, "\"connection_rate\" is 1000001, out of range 0-1000000" },
	/* tcp_wrappers: TCP only; a built-in handler only without the filter; a name a table can hold */
	{ "services = (\n { name = \"u\"; protocol = \"udp\"; port = 7; handler = \"echo\";\n   tcp_wrappers = \"echo\"; } );", 3, "service \"u\": tcp_wrappers applies to TCP services only" },
#ifdef HAVE_LIBWRAP
	{ "seccomp = false;\nservices = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   tcp_wrappers = \"echo\"; } );", 0, NULL },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   tcp_wrappers = \"echo\"; } );", 3, "service \"e\": tcp_wrappers on handler echo needs seccomp = false" },
	{ "seccomp = false;\nservices = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   tcp_wrappers = \"\"; } );", 4, "tcp_wrappers \"\" is no daemon name a table can match" },
	{ "seccomp = false;\nservices = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   tcp_wrappers = \"in.fingerd, sshd\"; } );", 4, "is no daemon name a table can match" },
#else
	{ "seccomp = false;\nservices = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   tcp_wrappers = \"echo\"; } );", 4, "tcp_wrappers: this netsrvd was built without libwrap" },
#endif
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   proxy_from = [ \"10.0.0.0/33\" ]; } );", 3, "proxy_from: invalid address prefix \"10.0.0.0/33\"" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   proxy_from = \"10.0.0.0/8\"; } );", 3, "\"proxy_from\" must be a list of strings" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   keepalive_idle = 60; } );", 3, "service \"e\": keepalive_idle needs keepalive = true" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; keepalive = false;\n   keepalive_count = 3; } );", 3, "keepalive_count needs keepalive = true" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; keepalive = true;\n   keepalive_idle = 0; } );", 3, "\"keepalive_idle\" is 0, out of range 1-32767" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; keepalive = true;\n   keepalive_interval = 32768; } );", 3, "\"keepalive_interval\" is 32768, out of range 1-32767" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; keepalive = true;\n   keepalive_count = 128; } );", 3, "\"keepalive_count\" is 128, out of range 1-127" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; keepalive = 1; } );", 2, "\"keepalive\" must be true or false" },
	/* freebind: an address the host does not have yet is no error, on TCP or UDP */
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; address = \"192.0.2.10\"; port = 7; handler = \"echo\"; freebind = true; },\n"
	  " { name = \"u\"; protocol = \"udp\"; address = \"2001:db8::1\"; port = 7; handler = \"echo\"; freebind = true; } );", 0, NULL },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   freebind = \"yes\"; } );", 3, "\"freebind\" must be true or false" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   interface = \"netsrvd-none0\"; } );", 3, "service \"e\": unknown interface \"netsrvd-none0\"" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   interface = \"\"; } );", 3, "unknown interface \"\"" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   interface = \"a-name-longer-than-ifnamsiz\"; } );", 3, "unknown interface" },
	{ "proxy_from = [ \"10.0.0.0/8\" ];\nservices = ( " SVC_ECHO " );", 1, "\"proxy_from\" is a service setting" },	/* confinement (config_confine.c): each key's error on its line, before any needs root */
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   no_new_privileges = true; syscall_filter = \"system-service\"; } );", 0, NULL },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   capabilities = [ \"CAP_NET_BIND_SERVICE\", \"CAP_FLY\" ]; } );", 3, "service \"x\": capabilities: unknown capability \"CAP_FLY\"" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   capabilities = \"CAP_KILL\"; } );", 3, "\"capabilities\" must be a list of strings" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   read_only_paths = [ \"etc\" ]; } );", 3, "service \"x\": read_only_paths: \"etc\" must be an absolute path" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   read_write_paths = [ \"/netsrvd-no-such-dir\" ]; } );", 3, "read_write_paths: /netsrvd-no-such-dir: No such file or directory" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   inaccessible_paths = [ \"/etc/../root\" ]; } );", 3, "inaccessible_paths: \"/etc/../root\": no \"..\" in a path" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   protect_system = \"yes\"; } );", 3, "\"protect_system\" must be one of \"full\", \"strict\"" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   protect_home = \"yes\"; } );", 3, "\"protect_home\" must be true or false" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   chroot = \"/netsrvd-no-such-root\"; } );", 3, "chroot: /netsrvd-no-such-root: No such file or directory" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   chroot = \"/etc/hostname\"; } );", 3, "chroot: /etc/hostname: not a directory" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   syscall_filter = \"@system-service\"; } );", 3, "\"syscall_filter\" must be \"system-service\"" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   syscall_filter = \"system-service\"; } );", 3, "syscall_filter: a filter for the programs of an exec service" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   private_tmp = true;\n   read_write_paths = [ \"/var/tmp/spool\" ]; } );", 4, "read_write_paths: /var/tmp/spool is under the private /tmp or /var/tmp private_tmp gives" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   cgroup = { memory = 1; }; } );", 3, "unknown setting \"memory\" in \"cgroup\"" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   cgroup = { cpu_weight = 0; }; } );", 3, "\"cpu_weight\" is 0, out of range 1-10000" },
	{ "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"exec\"; command = [ \"/bin/cat\" ];\n   cgroup = { memory_max = 1024; }; } );", 3, "\"memory_max\" is 1024, out of range 1048576-" },
};

static void
config_socket_keys_test(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;
	const struct service_config *e;

	(void)state;
	check_cases(socket_cases, sizeof(socket_cases) / sizeof(socket_cases[0]));
	/* what the good one stores; unset timers are 0, the kernel's */
	cfg = config_parse_string(socket_cases[0].text, "t.conf", err, sizeof(err));
	assert_non_null(cfg);
	e = &cfg->services[0];
	assert_int_equal(e->nproxy_from, 3);
	assert_int_equal(e->proxy_from[0].prefix, 8);
	assert_int_equal(e->proxy_from[2].family, AF_INET6);
	assert_true(e->keepalive);
	assert_int_equal(e->keepalive_idle, 60);
	assert_int_equal(e->keepalive_interval, 10);
	assert_int_equal(e->keepalive_count, 5);
	assert_string_equal(e->interface, "lo");
	config_free(cfg);
	cfg = config_parse_string("services = ( " SVC_ECHO " );", "t.conf", err, sizeof(err));
	assert_non_null(cfg);
	e = &cfg->services[0];
	assert_int_equal(e->nproxy_from, 0);
	assert_null(e->proxy_from);
	assert_false(e->keepalive);
	assert_int_equal(e->keepalive_idle, 0);
	assert_int_equal(e->keepalive_interval, 0);
	assert_int_equal(e->keepalive_count, 0);
	assert_null(e->interface);
	config_free(cfg);
	cfg = config_parse_string("services = ( { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";"
	    " keepalive = true; keepalive_interval = 3; } );", "t.conf", err, sizeof(err));
	assert_non_null(cfg);
	assert_int_equal(cfg->services[0].keepalive_idle, 0);
	assert_int_equal(cfg->services[0].keepalive_interval, 3);
	config_free(cfg);
}

/* groups: the user's supplementary groups, resolved at load as initgroups(3) would; needs a user. */
static void
config_groups_test(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;
	gid_t want[256];
	int nwant = 256;

	(void)state;
	cfg = config_parse_string("services = ( { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";"
	    " user = \"root\"; } );", "t.conf", err, sizeof(err));
	assert_non_null(cfg);
	assert_false(cfg->services[0].groups);
	assert_int_equal(cfg->services[0].id.ngroups, 0);
	config_free(cfg);
	cfg = config_parse_string("services = ( { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";"
	    " user = \"root\"; groups = true; } );", "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_true(cfg->services[0].groups);
	assert_int_not_equal(getgrouplist("root", 0, want, &nwant), -1);
	assert_int_equal(cfg->services[0].id.ngroups, (size_t)nwant);
	for (int i = 0; i < nwant; i++)
		assert_int_equal(cfg->services[0].id.groups[i], want[i]);
	config_free(cfg);
	/* whose groups, without a user? */
	cfg = config_parse_string("services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n"
	    "   groups = true; } );", "t.conf", err, sizeof(err));
	assert_null(cfg);
	assert_non_null(strstr(err, "t.conf:3: service \"e\": groups = true needs a user"));
	cfg = config_parse_string("services = ( { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";"
	    " user = \"root\"; groups = 1; } );", "t.conf", err, sizeof(err));
	assert_null(cfg);
	assert_non_null(strstr(err, "\"groups\" must be true or false"));
}

/*
 * An exec program of the user that built-in workers run as could stop or
 * kill them: refused, naming both services, unless share_user = true.
 */
static void
config_program_user_test(void **state)
{
#define TWO "services = (\n { name = \"echo\"; protocol = \"tcp\"; port = 7; handler = \"echo\"; %s },\n" \
	    " { name = \"cat\"; protocol = \"tcp\"; port = 8; handler = \"exec\"; command = [ \"/bin/cat\" ];\n %s } );"
	char err[CONFIG_ERR_MAX], text[1024];
	struct config *cfg;

	(void)state;
	snprintf(text, sizeof(text), "user = \"nobody\";\n" TWO, "", "");
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	assert_null(cfg);
	if (strstr(err, "t.conf:4: service \"cat\": its programs would run as user nobody") == NULL ||
	    strstr(err, "as the workers of service \"echo\" (line 3)") == NULL ||
	    strstr(err, "share_user = true") == NULL)
		fail_msg("%s", err);
	/* said on purpose */
	snprintf(text, sizeof(text), "user = \"nobody\";\n" TWO, "", "share_user = true;");
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	config_free(cfg);
	/* a user of its own */
	snprintf(text, sizeof(text), "user = \"nobody\";\n" TWO, "", "user = \"daemon\";");
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	config_free(cfg);
	/* the same user named on both services is refused all the same: on the exec service's user line */
	snprintf(text, sizeof(text), TWO, "user = \"daemon\";", "user = \"daemon\";");
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	assert_null(cfg);
	if (strstr(err, "t.conf:4: service \"cat\": its programs would run as user daemon") == NULL)
		fail_msg("%s", err);
	/* no user chosen: nothing to keep apart (root, or netsrvd's own user) */
	snprintf(text, sizeof(text), TWO, "", "");
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	config_free(cfg);
#undef TWO
}

static void
config_global_overrides_test(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_parse_string(
	    "workers = 3; timeout = 9; backlog = 11; user = \"root\";\n"
	    "services = ( " SVC_ECHO " );", "t.conf", err, sizeof(err));

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->services[0].workers, 3);
	assert_int_equal(cfg->services[0].timeout, 9);
	assert_int_equal(cfg->services[0].backlog, 11);
	assert_true(cfg->id.drop);
	assert_int_equal(cfg->id.uid, 0);
	assert_int_equal(cfg->id.gid, 0);
	config_free(cfg);
}

static void
write_tmp(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void
config_load_file_test(void **state)
{
	char dir[] = "/tmp/netsrvd-config-test.XXXXXX";
	char conf[128], quotes[128], err[CONFIG_ERR_MAX];
	struct config *cfg;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(quotes, sizeof(quotes), "%s/quotes", dir);
	FILE *f = fopen(quotes, "w");
	assert_non_null(f);
	fputs("First quote.\n\n%\nSecond\nquote.\n", f);
	fclose(f);
	snprintf(conf, sizeof(conf), "%s/netsrv.conf", dir);
	/* a relative quotes path is relative to the config file */
	write_tmp(conf, "services = ( { name = \"q\"; protocol = \"tcp\"; port = 17;\n"
	    "  handler = \"qotd\"; quotes = \"quotes\"; } );\n");
	cfg = config_load(conf, err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	const struct qotd_conf *q = cfg->services[0].hconf;
	assert_string_equal(q->quotes_path, quotes);
	assert_int_equal(q->quotes.count, 2);
	assert_string_equal(q->quotes.text[1], "Second\r\nquote.\r\n");
	config_free(cfg);

	/* errors carry the file's own name */
	write_tmp(conf, "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"ecoh\"; } );\n");
	assert_null(config_load(conf, err, sizeof(err)));
	char want[200];
	snprintf(want, sizeof(want), "%s:2: service \"e\": unknown handler \"ecoh\"", conf);
	assert_memory_equal(err, want, strlen(want));
	/* the guards on the raw text hold for a file: a NUL byte, an @include, a wrapping integer */
	f = fopen(conf, "w");
	assert_non_null(f);
	assert_int_equal(fwrite("workers = 2;\0\n", 1, 14, f), 14);
	assert_int_equal(fclose(f), 0);
	assert_null(config_load(conf, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a text file (NUL byte)", conf);
	assert_string_equal(err, want);
	write_tmp(conf, "workers = 2;\n@include \"other.conf\"\n");
	assert_null(config_load(conf, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2: @include is not supported", conf);
	assert_memory_equal(err, want, strlen(want));
	write_tmp(conf, "workers = 4294967297;\n");
	assert_null(config_load(conf, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:1: \"workers\" is 4294967297, out of range 1-4096", conf);
	assert_string_equal(err, want);
	unlink(conf);

	/* a missing file */
	assert_null(config_load("/nonexistent/netsrv.conf", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/netsrv.conf: cannot read configuration: No such file or directory");
	/* a directory, a FIFO: refused, never waited on */
	assert_null(config_load(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "Is a directory"));
	char fifo[160];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_null(config_load(fifo, err, sizeof(err)));
	assert_non_null(strstr(err, "not a regular file"));
	unlink(fifo);
	unlink(quotes);
	rmdir(dir);
}

/* The reload path calls the loader thousands of times: it must not leak (ASan/valgrind check this). */
static void
config_repeat_test(void **state)
{
	(void)state;
	for (int round = 0; round < 200; round++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char err[CONFIG_ERR_MAX];
			config_free(config_parse_string(cases[i].text, "t.conf", err, sizeof(err)));
		}
}

static void
config_schema_test(void **state)
{
	(void)state;
	/* the schema names every scope's keys once */
	for (size_t i = 0; i < config_schema_len; i++)
		for (size_t j = i + 1; j < config_schema_len; j++)
			assert_false(config_schema[i].scope == config_schema[j].scope &&
			    strcmp(config_schema[i].name, config_schema[j].name) == 0);
	/* the core table and the handlers' keys: 92 keys (the confinement keys, the newest) */
	size_t nhandler_keys = 0;
	for (size_t i = 0; i < handler_count(); i++)
		nhandler_keys += handler_at(i)->nkeys;
	assert_int_equal(config_schema_len + nhandler_keys, 92);
}

/* ---- defaults and inheritance come from the table ---- */

static const void *
field(const void *base, size_t off)
{
	return (const char *)base + off;
}

/* The value a row's default stands for in base, checked against what the loader stored. */
static void
assert_default(const struct config_key *k, const char *def, enum config_scope scope,
    const void *base, const char *where)
{
	switch (k->type) {
	case TYPE_INT: {
		int got = *(const int *)field(base, k->offset);
		long want;
		if ((def[0] >= '0' && def[0] <= '9') || def[0] == '-')
			want = strtol(def, NULL, 10);
		else {
			/* the name of a key above it in the same scope */
			const struct config_key *ref = NULL;
			for (size_t i = 0; i < config_schema_len; i++)
				if (config_schema[i].scope == scope && strcmp(config_schema[i].name, def) == 0)
					ref = &config_schema[i];
			if (ref == NULL)
				fail_msg("%s %s: default \"%s\" is neither a number nor a key", where, k->name, def);
			want = *(const int *)field(base, ref->offset);
		}
		if (got != want)
			fail_msg("%s %s: %d, the table says %ld (\"%s\")", where, k->name, got, want, def);
		break;
	}
	case TYPE_BOOL:
		assert_int_equal(*(const bool *)field(base, k->offset), strcmp(def, "true") == 0);
		break;
	case TYPE_STRING: {
		const char *got = *(char *const *)field(base, k->offset);
		if (got == NULL || strcmp(got, def) != 0)
			fail_msg("%s %s: \"%s\", the table says \"%s\"", where, k->name, got ? got : "(null)", def);
		break;
	}
	default:
		break;
	}
}

/*
 * A minimal file gets every row's default, as the table writes it: each
 * key of each scope, an inheriting service key its global row's. Nothing
 * but the table may know a default.
 */
static void
config_table_defaults_test(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_parse_string("services = ( " SVC_ECHO " );", "t.conf", err, sizeof(err));
	size_t checked = 0;

	(void)state;
	if (cfg == NULL)
		fail_msg("%s", err);
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		const char *def = k->def;
		const void *base = k->scope == SCOPE_GLOBAL ? (const void *)cfg :
		    k->scope == SCOPE_LOG ? (const void *)&cfg->log : (const void *)&cfg->services[0];

		if (k->type != TYPE_INT && k->type != TYPE_BOOL && k->type != TYPE_STRING)
			continue;	/* lists and groups are read by code */
		if (k->inherit) {
			for (size_t j = 0; j < config_schema_len; j++)
				if (config_schema[j].scope == SCOPE_GLOBAL &&
				    strcmp(config_schema[j].name, k->name) == 0)
					def = config_schema[j].def;
		}
		if (k->inherit && k->type == TYPE_STRING && def == NULL) {
			/* user, group: unset unless the file names one (config_service_identity_test) */
			assert_null(*(char *const *)field(base, k->offset));
			continue;
		}
		if (k->inherit)
			assert_non_null(def);	/* an inheriting key has a global with a default */
		if (def == NULL) {
			/* no default: a string stays unset unless the file set it (name, protocol...) */
			if (k->type == TYPE_STRING && k->scope != SCOPE_SERVICE)
				assert_null(*(char *const *)field(base, k->offset));
			continue;
		}
		assert_default(k, def, k->scope, base, config_scope_name(k->scope));
		checked++;
	}
	print_message("%zu defaults checked against the table\n", checked);
	assert_true(checked >= 20);
	config_free(cfg);
}

/*
 * Every row marked inherit: a global value reaches the service that does
 * not set the key, and not the one that does. Values are the row's min +
 * 9 and + 7, which every cross-key rule (max_workers >= workers, max_spare
 * >= min_spare) accepts; UDP services, so udp_rate and udp_burst apply.
 */
static void
config_inherit_test(void **state)
{
	size_t rows = 0;

	(void)state;
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		char text[1024], err[CONFIG_ERR_MAX];
		struct config *cfg;
		long long v, w;
		/* udp_rate and udp_burst are UDP's keys, the connection rates and handshake_timeout TCP's */
		const char *proto = strncmp(k->name, "connection_rate", 15) == 0 ||
		    strcmp(k->name, "handshake_timeout") == 0 ? "tcp" : "udp";

		if (k->scope != SCOPE_SERVICE || !k->inherit || k->type == TYPE_STRING)
			continue;	/* user and group: config_service_identity_test */
		assert_int_equal(k->type, TYPE_INT);
		v = k->min + 9;
		w = k->min + 7;
		snprintf(text, sizeof(text), "%s = %lld;\nservices = (\n"
		    " { name = \"a\"; protocol = \"%s\"; port = 7; handler = \"echo\"; },\n"
		    " { name = \"b\"; protocol = \"%s\"; port = 9; handler = \"echo\"; %s = %lld; } );",
		    k->name, v, proto, proto, k->name, w);
		cfg = config_parse_string(text, "t.conf", err, sizeof(err));
		if (cfg == NULL)
			fail_msg("%s: %s", k->name, err);
		if (*(const int *)field(&cfg->services[0], k->offset) != v)
			fail_msg("%s: the service that does not set it has %d, not the global %lld",
			    k->name, *(const int *)field(&cfg->services[0], k->offset), v);
		if (*(const int *)field(&cfg->services[1], k->offset) != w)
			fail_msg("%s: the service that sets %lld has %d", k->name, w,
			    *(const int *)field(&cfg->services[1], k->offset));
		config_free(cfg);
		rows++;
	}
	print_message("%zu inherited keys checked\n", rows);
	assert_int_equal(rows, 14);
}

/* ---- handler keys ---- */

/*
 * A handler with the kinds of keys exec will have (a required string, a
 * list of strings, a bool, a bounded integer that a reload cannot change,
 * a group), put in the table with --wrap=handler_count,handler_at,handler_find.
 */
struct fake_limits {
	int nofile;
	int cpu;
};

struct fake_conf {
	char *command;
	struct config_strv env;
	bool wait;
	int max_runtime;
	struct fake_limits limits;
	int checked;
};

static const struct config_key fake_limit_keys[] = {
	{ .name = "nofile", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 1, .max = 65536,
	  .def = "1024", .reloadable = true, .offset = offsetof(struct fake_limits, nofile) },
	{ .name = "cpu", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 0, .max = 3600,
	  .def = "0", .reloadable = true, .offset = offsetof(struct fake_limits, cpu) },
};

static const struct config_key fake_keys[] = {
	{ .name = "command", .scope = SCOPE_SERVICE, .type = TYPE_STRING, .reloadable = true,
	  .required = true, .offset = offsetof(struct fake_conf, command) },
	{ .name = "env", .scope = SCOPE_SERVICE, .type = TYPE_STRING_LIST, .def = "[]",
	  .reloadable = true, .offset = offsetof(struct fake_conf, env) },
	{ .name = "wait", .scope = SCOPE_SERVICE, .type = TYPE_BOOL, .def = "true",
	  .reloadable = true, .offset = offsetof(struct fake_conf, wait) },
	{ .name = "max_runtime", .scope = SCOPE_SERVICE, .type = TYPE_INT, .min = 0, .max = 86400,
	  .def = "0", .reloadable = false, .offset = offsetof(struct fake_conf, max_runtime) },
	{ .name = "limits", .scope = SCOPE_SERVICE, .type = TYPE_GROUP, .reloadable = true,
	  .offset = offsetof(struct fake_conf, limits), .sub = fake_limit_keys,
	  .nsub = sizeof(fake_limit_keys) / sizeof(fake_limit_keys[0]) },
};

static int
fake_check(struct service_config *svc, const struct config_where *w)
{
	struct fake_conf *f = svc->hconf;

	if (f->command[0] != '/')
		return config_error(w, "command", "service \"%s\": command \"%s\" must be an absolute path",
		    svc->name, f->command);
	f->checked++;
	return 0;
}

static enum session_end
fake_serve_tcp(struct tcp_session *s)
{
	(void)s;
	return END_DONE;
}

static const struct handler fake_handler = {
	.name = "fakeexec",
	.serve_tcp = fake_serve_tcp,
	.keys = fake_keys,
	.nkeys = sizeof(fake_keys) / sizeof(fake_keys[0]),
	.conf_size = sizeof(struct fake_conf),
	.check = fake_check,
};

static bool fake_on;

size_t __real_handler_count(void);
const struct handler *__real_handler_at(size_t i);
const struct handler *__real_handler_find(const char *name);
size_t __wrap_handler_count(void);
const struct handler *__wrap_handler_at(size_t i);
const struct handler *__wrap_handler_find(const char *name);

size_t
__wrap_handler_count(void)
{
	return __real_handler_count() + (fake_on ? 1 : 0);
}

const struct handler *
__wrap_handler_at(size_t i)
{
	if (fake_on && i == __real_handler_count())
		return &fake_handler;
	return __real_handler_at(i);
}

const struct handler *
__wrap_handler_find(const char *name)
{
	if (fake_on && name != NULL && strcmp(name, fake_handler.name) == 0)
		return &fake_handler;
	return __real_handler_find(name);
}

#define SVC_FAKE_HEAD "services = (\n { name = \"x\"; protocol = \"tcp\"; port = 7; handler = \"fakeexec\";\n"

static const struct case_ handler_key_cases[] = {
	/* a handler's key on another handler's service: refused on its own line, naming who uses it */
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n   quotes = \"q\"; } );", 3, "service \"e\": \"quotes\" is only used by handler qotd, not echo" },
	{ "services = (\n { name = \"e\"; protocol = \"tcp\"; port = 7; handler = \"echo\";\n\n   command = \"/bin/true\"; } );", 4, "service \"e\": \"command\" is only used by handlers exec, fakeexec, not echo" },
	{ "services = (\n { name = \"q\"; protocol = \"tcp\"; port = 7; handler = \"qotd\"; quotes = \"/dev/null\";\n   wait = true; } );", 3, "\"wait\" is only used by handlers exec, fakeexec, not qotd" },
	/* misspelt, or in the wrong scope: the handlers' keys are part of the schema */
	{ "services = (\n { name = \"q\"; protocol = \"tcp\"; port = 7; handler = \"qotd\";\n   quote = \"/q\"; } );", 3, "unknown service setting \"quote\" (did you mean \"quotes\"?)" },
	{ "\ncommand = \"/bin/true\";\nservices = ( " SVC_ECHO " );", 2, "\"command\" is a service setting, not allowed in the global scope" },
	/* required, typed, bounded, checked, group members known */
	{ SVC_FAKE_HEAD "   wait = false; } );", 2, "service \"x\": handler fakeexec needs \"command\"" },
	{ SVC_FAKE_HEAD "   command = \"/bin/true\";\n   env = \"A=1\"; } );", 4, "\"env\" must be a list of strings" },
	{ SVC_FAKE_HEAD "   command = \"/bin/true\";\n   max_runtime = 90000; } );", 4, "\"max_runtime\" is 90000, out of range 0-86400" },
	{ SVC_FAKE_HEAD "   command = \"/bin/true\";\n   max_runtime = 4294967296; } );", 4, "\"max_runtime\" is 4294967296, out of range 0-86400" },
	{ SVC_FAKE_HEAD "   command = \"bin/true\"; } );", 3, "service \"x\": command \"bin/true\" must be an absolute path" },
	{ SVC_FAKE_HEAD "   command = \"/bin/true\"; limits = {\n nofile = 0; }; } );", 4, "\"nofile\" is 0, out of range 1-65536" },
	{ SVC_FAKE_HEAD "   command = \"/bin/true\"; limits = {\n nofiles = 8; }; } );", 4, "unknown setting \"nofiles\" in \"limits\"" },
	{ SVC_FAKE_HEAD "   command = \"/bin/true\"; limits = 3; } );", 3, "\"limits\" must be a group" },
};

static void
config_handler_keys_test(void **state)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg;
	const struct fake_conf *f;

	(void)state;
	fake_on = true;
	check_cases(handler_key_cases, sizeof(handler_key_cases) / sizeof(handler_key_cases[0]));

	/* every kind of key stored where the handler asked, the rest defaulted */
	cfg = config_parse_string(SVC_FAKE_HEAD
	    "   command = \"/bin/cat\"; env = [ \"A=1\", \"B=2\" ]; limits = { cpu = 5; }; },\n"
	    " { name = \"y\"; protocol = \"tcp\"; port = 9; handler = \"fakeexec\"; command = \"/bin/true\";\n"
	    "   wait = false; max_runtime = 60; limits = { nofile = 64; cpu = 1; }; } );",
	    "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	f = cfg->services[0].hconf;
	assert_string_equal(f->command, "/bin/cat");
	assert_int_equal(f->env.n, 2);
	assert_string_equal(f->env.v[0], "A=1");
	assert_string_equal(f->env.v[1], "B=2");
	assert_true(f->wait);
	assert_int_equal(f->max_runtime, 0);
	assert_int_equal(f->limits.nofile, 1024);
	assert_int_equal(f->limits.cpu, 5);
	assert_int_equal(f->checked, 1);
	f = cfg->services[1].hconf;
	assert_string_equal(f->command, "/bin/true");
	assert_int_equal(f->env.n, 0);
	assert_false(f->wait);
	assert_int_equal(f->max_runtime, 60);
	assert_int_equal(f->limits.nofile, 64);
	assert_int_equal(f->limits.cpu, 1);
	config_free(cfg);

	/* and a service of a handler without keys has no block */
	cfg = config_parse_string("services = ( " SVC_ECHO " );", "t.conf", err, sizeof(err));
	assert_non_null(cfg);
	assert_null(cfg->services[0].hconf);
	config_free(cfg);
	fake_on = false;
}

/* ---- reload: what the schema says a SIGHUP cannot change ---- */

static struct config *
parse_ok(const char *text)
{
	char err[CONFIG_ERR_MAX];
	struct config *cfg = config_parse_string(text, "t.conf", err, sizeof(err));

	if (cfg == NULL)
		fail_msg("%s", err);
	return cfg;
}

static void
config_reload_changes_test(void **state)
{
	struct config *a = parse_ok("pid_file = \"/run/a.pid\"; workers = 2;\nservices = ( " SVC_ECHO " );");
	struct config *same = parse_ok("workers = 2; pid_file = \"/run/a.pid\";\nservices = ( " SVC_ECHO " );");
	struct config *reloadable = parse_ok("pid_file = \"/run/a.pid\"; workers = 7; timeout = 1; seccomp = false;\n"
	    "log = { level = \"debug\"; };\nservices = ( " SVC_ECHO ",\n"
	    " { name = \"d\"; protocol = \"udp\"; port = 13; handler = \"daytime\"; } );");
	struct config *b = parse_ok("pid_file = \"/run/b.pid\"; workers = 2;\nservices = ( " SVC_ECHO " );");
	struct config *dflt = parse_ok("services = ( " SVC_ECHO " );");
	char report[256] = "junk", tiny[8];

	(void)state;
	/* nothing changed, or only what a reload applies: nothing to report */
	assert_int_equal(config_reload_changes(a, same, report, sizeof(report)), 0);
	assert_string_equal(report, "");
	assert_int_equal(config_reload_changes(a, reloadable, report, sizeof(report)), 0);
	assert_string_equal(report, "");
	/* pid_file is the one the schema marks: both values named */
	assert_int_equal(config_reload_changes(a, b, report, sizeof(report)), 1);
	assert_string_equal(report, "pid_file: \"/run/a.pid\" -> \"/run/b.pid\"");
	/* dropping the key is a change to its default */
	assert_int_equal(config_reload_changes(a, dflt, report, sizeof(report)), 1);
	assert_string_equal(report, "pid_file: \"/run/a.pid\" -> \"" RUNSTATEDIR "/netsrvd.pid\"");
	/* counted even when the report has no room for it; never overrun */
	assert_int_equal(config_reload_changes(a, b, tiny, sizeof(tiny)), 1);
	assert_string_equal(tiny, "");
	config_free(a);
	config_free(same);
	config_free(reloadable);
	config_free(b);
	config_free(dflt);

	/* a handler's own non-reloadable key, in a service of the same name */
	fake_on = true;
	a = parse_ok(SVC_FAKE_HEAD "   command = \"/bin/true\"; max_runtime = 5; } );");
	b = parse_ok(SVC_FAKE_HEAD "   command = \"/bin/false\"; max_runtime = 6; } );");
	same = parse_ok("services = (\n { name = \"other\"; protocol = \"tcp\"; port = 7; handler = \"fakeexec\";\n"
	    "   command = \"/bin/true\"; max_runtime = 6; } );");
	assert_int_equal(config_reload_changes(a, b, report, sizeof(report)), 1);
	assert_string_equal(report, "service x: max_runtime: 5 -> 6");
	/* another service is a new one, not a change */
	assert_int_equal(config_reload_changes(a, same, report, sizeof(report)), 0);
	config_free(a);
	config_free(b);
	config_free(same);
	fake_on = false;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_table_test),
		cmocka_unit_test(config_integer_wrap_test),
		cmocka_unit_test(config_defaults_test),
		cmocka_unit_test(config_global_overrides_test),
		cmocka_unit_test(config_socket_keys_test),
		cmocka_unit_test(config_acl_names_test),
		cmocka_unit_test(config_groups_test),
		cmocka_unit_test(config_program_user_test),
		cmocka_unit_test(config_load_file_test),
		cmocka_unit_test(config_repeat_test),
		cmocka_unit_test(config_schema_test),
		cmocka_unit_test(config_table_defaults_test),
		cmocka_unit_test(config_inherit_test),
		cmocka_unit_test(config_handler_keys_test),
		cmocka_unit_test(config_reload_changes_test),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
