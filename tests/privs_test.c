/* Capability drops in forked children: a bounding set the process may not shrink is accepted only once proven harmless. */
#include "autoconfig.h"

#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privs.h"

/* what the shipped unit used to leave: setpriv --bounding-set -all,+net_bind_service,+setuid,+setgid,+kill */
static const int unit_caps[] = { CAP_NET_BIND_SERVICE, CAP_SETUID, CAP_SETGID, CAP_KILL };
#define NUNIT_CAPS ((int)(sizeof(unit_caps) / sizeof(unit_caps[0])))

static void
skip_unless_root(void)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root (capabilities to drop; CI runs as root)\n");
		skip();
	}
}

static bool
kept(unsigned long cap)
{
	for (int i = 0; i < NUNIT_CAPS; i++)
		if ((unsigned long)unit_caps[i] == cap)
			return true;
	return false;
}

/* In the child: the bounding set and the permitted set of such a unit, without CAP_SETPCAP. */
static int
become_unit_master(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	for (unsigned long cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != -1; cap++)
		if (!kept(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return -1;
	memset(data, 0, sizeof(data));
	for (int i = 0; i < NUNIT_CAPS; i++) {
		data[0].effective |= 1u << unit_caps[i];
		data[0].permitted |= 1u << unit_caps[i];
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Runs fn in a child; returns its exit status (fn's result), or -1 for a crash. */
static int
in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid != -1);
	if (pid == 0) {
		alarm(5);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* root with every capability: the bounding set ends empty, nothing kept */
static int
drops_all(void)
{
	if (privs_drop_bounding_set() != 0)
		return 1;
	for (unsigned long cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != -1; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0)
			return 2;
	return 0;
}

static void
privs_drops_whole_bounding_set_test(void **state)
{
	(void)state;
	skip_unless_root();
	assert_int_equal(in_child(drops_all), 0);
}

/* a worker's sequence under the old unit: refused drops are kept, then proven harmless */
static int
worker_without_setpcap(void)
{
	int n;

	if (become_unit_master() == -1)
		return 10;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return 11;
	if ((n = privs_drop_bounding_set()) != NUNIT_CAPS)
		return 12;
	for (int i = 0; i < NUNIT_CAPS; i++)
		if (prctl(PR_CAPBSET_READ, unit_caps[i], 0, 0, 0) != 1)
			return 13;
	if (privs_drop(65534, 65534, NULL, 0) == -1 || privs_clear_capabilities() == -1)
		return 14;
	return privs_check_powerless(n) == 0 ? 0 : 15;
}

static void
privs_without_setpcap_test(void **state)
{
	(void)state;
	skip_unless_root();
	assert_int_equal(in_child(worker_without_setpcap), 0);
}

/* without no_new_privs, what the bounding set keeps could come back through execve */
static int
kept_without_nnp(void)
{
	int n;

	if (become_unit_master() == -1)
		return 10;
	if ((n = privs_drop_bounding_set()) <= 0 || privs_clear_capabilities() == -1)
		return 11;
	return privs_check_powerless(n) == -1 ? 0 : 12;
}

/* a permitted capability still held is not harmless either */
static int
kept_with_permitted(void)
{
	int n;

	if (become_unit_master() == -1)
		return 10;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return 11;
	if ((n = privs_drop_bounding_set()) <= 0)
		return 12;
	return privs_check_powerless(n) == -1 ? 0 : 13;
}

static void
privs_refuses_unproven_test(void **state)
{
	(void)state;
	skip_unless_root();
	assert_int_equal(in_child(kept_without_nnp), 0);
	assert_int_equal(in_child(kept_with_permitted), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(privs_drops_whole_bounding_set_test),
		cmocka_unit_test(privs_without_setpcap_test),
		cmocka_unit_test(privs_refuses_unproven_test),
	};

	return cmocka_run_group_tests_name("privs", tests, NULL, NULL);
}
