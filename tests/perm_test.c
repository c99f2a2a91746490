/* Unit tests of perm: who may do what to a file, decided as the kernel decides it. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "perm.h"

static struct stat
file(mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_uid = uid;
	st.st_gid = gid;
	return st;
}

/* The owner's bits for the owner, even where the group's or others' would allow more. */
static void
perm_owner_bits_decide_test(void **state)
{
	struct identity user = { 1000, 1000, true, NULL, 0 };
	struct stat a = file(S_IFREG | 0075, 1000, 1000), b = file(S_IFREG | 0100, 1000, 2000);

	(void)state;
	assert_false(perm_allows(&a, &user, PERM_X));
	assert_false(perm_allows(&a, &user, PERM_R));
	assert_true(perm_allows(&b, &user, PERM_X));
}

/* A supplementary group (groups = true) counts as the group does; then others' bits are not asked. */
static void
perm_group_bits_decide_test(void **state)
{
	gid_t groups[] = { 1000, 3000 };
	struct identity user = { 1000, 1000, true, NULL, 0 };
	struct identity member = { 1000, 1000, true, groups, 2 };
	struct stat in_sup = file(S_IFDIR | 0710, 0, 3000), refused = file(S_IFDIR | 0701, 0, 3000);

	(void)state;
	assert_false(perm_allows(&in_sup, &user, PERM_X));	/* not its group without groups */
	assert_true(perm_allows(&in_sup, &member, PERM_X));
	assert_true(perm_allows(&refused, &user, PERM_X));	/* others may */
	assert_false(perm_allows(&refused, &member, PERM_X));	/* its group may not */
}

/* Root searches any directory, but executes only a file with an x bit somewhere. */
static void
perm_root_test(void **state)
{
	struct identity root = { 0, 0, true, NULL, 0 };
	struct stat dir = file(S_IFDIR | 0000, 1000, 1000), prog = file(S_IFREG | 0001, 1000, 1000);
	struct stat data = file(S_IFREG | 0644, 1000, 1000);

	(void)state;
	assert_true(perm_allows(&dir, &root, PERM_X));
	assert_true(perm_allows(&prog, &root, PERM_X));
	assert_false(perm_allows(&data, &root, PERM_X));
	assert_true(perm_allows(&data, &root, PERM_R | PERM_W));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(perm_owner_bits_decide_test),
		cmocka_unit_test(perm_group_bits_decide_test),
		cmocka_unit_test(perm_root_test),
	};

	return cmocka_run_group_tests_name("perm", tests, NULL, NULL);
}
