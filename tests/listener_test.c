/* Socket reconcile, as a reload does it: keep what matches, bind the rest, undo only what it opened. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "harness.h"
#include "listener.h"

static struct config *
parse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct config *
parse(const char *fmt, ...)
{
	char text[1024], err[CONFIG_ERR_MAX];
	va_list ap;
	struct config *cfg;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	return cfg;
}

/* one echo service; its port is the next %d of the format */
#define SVC(name, proto, addr) \
	"{ name = \"" name "\"; protocol = \"" proto "\"; address = \"" addr "\"; port = %d; handler = \"echo\"; }"

#define SVC_IF(name, proto, addr, ifname) \
	"{ name = \"" name "\"; protocol = \"" proto "\"; address = \"" addr "\"; port = %d; handler = \"echo\"; interface = \"" ifname "\"; }"

static bool
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static bool
listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

static void bound_to(int fd, const char *want);

/*
 * listener_reconcile into plain arrays: the sockets into ls[], whether each
 * was opened into fresh[] (if not NULL); the reasons of the services left
 * without one, or the reconcile's own error, into err.
 */
static int
reconcile(const struct config *cfg, struct listener *const *reuse, size_t nreuse,
    struct listener **ls, bool *fresh, char *err, size_t errlen)
{
	struct bound b[8];
	size_t n = config_enabled_services(cfg);
	int rc;

	assert_true(n <= 8);
	err[0] = '\0';
	rc = listener_reconcile(cfg, reuse, nreuse, b, err, errlen);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		ls[i] = b[i].ls;
		if (fresh != NULL)
			fresh[i] = b[i].fresh;
		if (b[i].ls == NULL)
			snprintf(err + strlen(err), errlen - strlen(err), "%s\n", b[i].why);
	}
	return rc;
}

/* Same (protocol, address, port): the very same socket; a new port: a new one. */
static void
listener_reconcile_keeps_matching_test(void **state)
{
	int p1 = h_free_port(), p2 = h_free_port(), p3 = h_free_port();
	struct config *a = parse("services = ( " SVC("a", "tcp", "127.0.0.1") ", " SVC("u", "udp", "127.0.0.1") " );", p1, p2);
	struct config *b = parse("services = ( " SVC("u", "udp", "127.0.0.1") ", " SVC("b", "tcp", "127.0.0.1") ", "
	    SVC("a", "tcp", "127.0.0.1") " );", p2, p3, p1);
	struct listener *first[2], *second[3];
	bool fresh[3];
	char err[256];

	(void)state;
	assert_int_equal(reconcile(a, NULL, 0, first, fresh, err, sizeof(err)), 0);
	assert_true(fresh[0] && fresh[1]);
	assert_int_equal(reconcile(b, first, 2, second, fresh, err, sizeof(err)), 0);
	assert_ptr_equal(second[0], first[1]);	/* udp, kept though it moved in the file */
	assert_false(fresh[0]);
	assert_true(fresh[1]);			/* b: bound now */
	assert_ptr_equal(second[2], first[0]);	/* a, kept */
	assert_false(fresh[2]);
	assert_true(first[0]->used && first[1]->used);
	listener_close(second[0]);
	listener_close(second[1]);
	listener_close(second[2]);
	config_free(a);
	config_free(b);
}

/*
 * A service that cannot bind is left without a socket, named with its
 * reason; the others are bound all the same, and what was given is kept.
 */
static void
listener_reconcile_failure_alone_test(void **state)
{
	int p1 = h_free_port(), p2 = h_free_port(), busy = h_free_port();
	int blocker = h_listen_tcp(busy);
	struct config *a = parse("services = ( " SVC("a", "tcp", "127.0.0.1") " );", p1);
	struct config *b = parse("services = ( " SVC("a", "tcp", "127.0.0.1") ", " SVC("new", "tcp", "127.0.0.1") ", "
	    SVC("taken", "tcp", "127.0.0.1") " );", p1, p2, busy);
	struct listener *first[1], *second[3] = { NULL, NULL, NULL };
	bool fresh[3];
	char err[512];

	(void)state;
	assert_true(blocker >= 0);
	assert_int_equal(reconcile(a, NULL, 0, first, NULL, err, sizeof(err)), 0);
	assert_int_equal(reconcile(b, first, 1, second, fresh, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "service taken: cannot bind tcp 127.0.0.1:"));
	assert_non_null(strstr(err, strerror(EADDRINUSE)));
	assert_null(second[2]);
	assert_false(fresh[2]);
	/* "new" is bound and listening; "a" is the very same socket */
	assert_non_null(second[1]);
	assert_true(fresh[1] && listening(second[1]->fd));
	assert_ptr_equal(second[0], first[0]);
	assert_true(is_open(first[0]->fd) && listening(first[0]->fd));
	listener_close(second[1]);
	listener_close(first[0]);
	close(blocker);
	config_free(a);
	config_free(b);
}

/*
 * A kept socket that cannot take its new interface fails the reconcile:
 * what it opened is closed again, and the kept socket is as it was.
 */
static void
listener_reconcile_failure_undoes_test(void **state)
{
	int p1, p2;
	struct config *a, *b;
	struct listener *first[1], *second[2] = { NULL, NULL };
	char err[512];

	(void)state;
	if (geteuid() == 0) {
		print_message("skipped: needs a user without CAP_NET_RAW, who may not unbind a device\n");
		skip();
	}
	p1 = h_free_port();
	p2 = h_free_port();
	a = parse("services = ( " SVC_IF("a", "tcp", "127.0.0.1", "lo") " );", p1);
	b = parse("services = ( " SVC("new", "tcp", "127.0.0.1") ", "
	    SVC("a", "tcp", "127.0.0.1") " );", p2, p1);
	assert_int_equal(reconcile(a, NULL, 0, first, NULL, err, sizeof(err)), 0);
	assert_int_equal(reconcile(b, first, 1, second, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "service a: cannot bind tcp 127.0.0.1:"));
	/* "new" was bound and closed again: its port is free; "a" is untouched */
	int again = h_listen_tcp(p2);
	assert_true(again >= 0);
	close(again);
	assert_true(is_open(first[0]->fd) && listening(first[0]->fd));
	bound_to(first[0]->fd, "lo");
	listener_close(first[0]);
	config_free(a);
	config_free(b);
}

/* A socket a reload paused (a removed service) listens again when a service takes it back. */
static void
listener_reconcile_resumes_paused_test(void **state)
{
	int p1 = h_free_port();
	struct config *a = parse("services = ( " SVC("a", "tcp", "127.0.0.1") " );", p1);
	struct listener *first[1], *second[1];
	char err[256];

	(void)state;
	assert_int_equal(reconcile(a, NULL, 0, first, NULL, err, sizeof(err)), 0);
	listener_pause(first[0]);
	assert_true(first[0]->paused);
	assert_false(listening(first[0]->fd));
	assert_int_equal(reconcile(a, first, 1, second, NULL, err, sizeof(err)), 0);
	assert_ptr_equal(second[0], first[0]);
	assert_false(second[0]->paused);
	assert_true(listening(second[0]->fd));
	listener_close(second[0]);
	config_free(a);
}

static void
bound_to(int fd, const char *want)
{
	char name[IF_NAMESIZE + 1] = "";
	socklen_t len = sizeof(name) - 1;

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len), 0);
	name[len < sizeof(name) ? len : sizeof(name) - 1] = '\0';
	assert_string_equal(name, want);
}

/*
 * interface: SO_BINDTODEVICE on the new socket, before its bind; a reload
 * that changes or drops it changes the kept socket, which stays the same.
 */
static void
listener_interface_test(void **state)
{
	int p1 = h_free_port(), p2 = h_free_port();
	struct config *a = parse("services = ( " SVC_IF("a", "tcp", "127.0.0.1", "lo") ", "
	    SVC_IF("u", "udp", "127.0.0.1", "lo") " );", p1, p2);
	struct config *b = parse("services = ( " SVC("a", "tcp", "127.0.0.1") ", "
	    SVC_IF("u", "udp", "127.0.0.1", "lo") " );", p1, p2);
	struct listener *first[2], *second[2], *third[2];
	char err[256];

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: SO_BINDTODEVICE changes need CAP_NET_RAW (CI runs this as root)\n");
		skip();
	}
	assert_int_equal(reconcile(a, NULL, 0, first, NULL, err, sizeof(err)), 0);
	bound_to(first[0]->fd, "lo");
	bound_to(first[1]->fd, "lo");
	assert_string_equal(first[0]->ifname, "lo");
	/* served on the interface: a loopback client gets through */
	int c = h_connect("127.0.0.1", p1, 1000);
	assert_true(c >= 0);
	close(c);
	assert_int_equal(reconcile(b, first, 2, second, NULL, err, sizeof(err)), 0);
	assert_ptr_equal(second[0], first[0]);
	bound_to(second[0]->fd, "");
	bound_to(second[1]->fd, "lo");
	assert_int_equal(reconcile(a, second, 2, third, NULL, err, sizeof(err)), 0);
	assert_ptr_equal(third[0], first[0]);
	bound_to(third[0]->fd, "lo");
	listener_close(third[0]);
	listener_close(third[1]);
	config_free(a);
	config_free(b);
}

/*
 * A socket bound to another interface does not see loopback clients: the
 * option is really there, not only recorded. Needs an interface besides lo.
 */
static void
listener_interface_excludes_test(void **state)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	char other[IF_NAMESIZE] = "", text[512], err[CONFIG_ERR_MAX];
	int port = h_free_port();
	struct listener *l[1];
	struct config *cfg;

	(void)state;
	assert_non_null(ifs);
	for (i = ifs; i->if_index != 0 && other[0] == '\0'; i++)
		if (strcmp(i->if_name, "lo") != 0)
			snprintf(other, sizeof(other), "%s", i->if_name);
	if_freenameindex(ifs);
	if (geteuid() != 0 || other[0] == '\0') {
		print_message("skipped: needs root and an interface other than lo\n");
		skip();
	}
	snprintf(text, sizeof(text), "services = ( { name = \"a\"; protocol = \"tcp\"; address = \"*\";"
	    " port = %d; handler = \"echo\"; interface = \"%s\"; } );", port, other);
	cfg = config_parse_string(text, "t.conf", err, sizeof(err));
	if (cfg == NULL)
		fail_msg("%s", err);
	assert_int_equal(reconcile(cfg, NULL, 0, l, NULL, err, sizeof(err)), 0);
	bound_to(l[0]->fd, other);
	/* 127.0.0.1 arrives on lo: refused, though the socket listens on every address */
	assert_true(h_connect("127.0.0.1", port, 1000) < 0);
	listener_close(l[0]);
	config_free(cfg);
}

#define SVC_FREE "services = ( { name = \"far\"; protocol = \"tcp\"; address = \"%s\"; port = %d;" \
	" handler = \"echo\"; freebind = %s; } );"

/* A service on addr: with freebind it binds (to exactly that address), without it is left without a socket. */
static void
freebind_one(const char *addr, int family, const char *nonlocal_sysctl)
{
	int port = h_free_port();
	struct config *with = parse(SVC_FREE, addr, port, "true"), *without = parse(SVC_FREE, addr, port, "false");
	struct listener *l[1];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char err[512];

	assert_int_equal(reconcile(with, NULL, 0, l, NULL, err, sizeof(err)), 0);
	if (l[0] == NULL)
		fail_msg("freebind = true did not bind %s: %s", addr, err);
	assert_true(listening(l[0]->fd));
	assert_int_equal(getsockname(l[0]->fd, (struct sockaddr *)&ss, &len), 0);
	assert_int_equal(ss.ss_family, family);
	assert_true(listener_matches(l[0], &with->services[0]));
	listener_close(l[0]);
	if (h_sysctl_int(nonlocal_sysctl) != 0)
		print_message("%s is set: any address binds; the refusal without freebind is not checked\n",
		    nonlocal_sysctl);
	else {
		assert_int_equal(reconcile(without, NULL, 0, l, NULL, err, sizeof(err)), 0);
		assert_null(l[0]);
		assert_non_null(strstr(err, strerror(EADDRNOTAVAIL)));
	}
	config_free(with);
	config_free(without);
}

/*
 * freebind = true binds an address the host does not have (TEST-NET-1,
 * 2001:db8::/32: documentation prefixes no host has); nothing is sent
 * there. IP_FREEBIND needs no privilege.
 */
static void
listener_freebind_test(void **state)
{
	int fd6 = socket(AF_INET6, SOCK_STREAM, 0);

	(void)state;
	freebind_one("192.0.2.10", AF_INET, "/proc/sys/net/ipv4/ip_nonlocal_bind");
	if (fd6 == -1) {
		print_message("no IPv6 here: freebind checked on IPv4 only\n");
		return;
	}
	close(fd6);
	freebind_one("2001:db8::10", AF_INET6, "/proc/sys/net/ipv6/ip_nonlocal_bind");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listener_reconcile_keeps_matching_test),
		cmocka_unit_test(listener_reconcile_failure_alone_test),
		cmocka_unit_test(listener_reconcile_failure_undoes_test),
		cmocka_unit_test(listener_reconcile_resumes_paused_test),
		cmocka_unit_test(listener_interface_test),
		cmocka_unit_test(listener_interface_excludes_test),
		cmocka_unit_test(listener_freebind_test),
	};

	return cmocka_run_group_tests_name("listener", tests, NULL, NULL);
}
