/* --import: xinetd's entries as read (import_xinetd.c), for their translation (import_xinetd_attr.c). */
#ifndef NETSRVD_IMPORT_XINETD_ENTRY_H
#define NETSRVD_IMPORT_XINETD_ENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "import_model.h"

enum xinetd_op { XOP_SET, XOP_ADD, XOP_DEL };

/* One "name op value..." line of an entry. */
struct xinetd_attr {
	char *name;
	enum xinetd_op op;
	struct import_strv values;
	char *text;		/* the line as written, trimmed: for notes */
	const char *file;	/* the entry's, which outlives the attribute */
	int line;
};

/* A "service NAME { ... }" or "defaults { ... }" entry. */
struct xinetd_entry {
	bool defaults;
	char *name;
	char *file;
	int line;
	struct xinetd_attr *attr;
	size_t nattr;
};

/*
 * The defaults entry as it applies to every service: the lists that
 * accumulate, and the single values a service takes when it sets none.
 */
struct xinetd_defaults {
	struct import_strv only_from, no_access, passenv, disabled, enabled;
	bool only_from_set, no_access_set, passenv_set, enabled_set;
	const struct xinetd_attr *only_from_at, *no_access_at;	/* the last line that set them */
	const struct xinetd_attr *instances, *per_source, *cps, *bind, *v6only, *groups;
	const struct xinetd_attr *banner, *max_load;	/* import_xinetd_door.c */
};

/* The services of one entry (or none, for what xinetd would not run) into r. */
void import_xinetd_translate(struct import_result *r, const struct import_host *h,
    const struct xinetd_entry *e, const struct xinetd_defaults *d);

/* The defaults entry: d filled, the global log set, what netsrvd lacks noted. */
void import_xinetd_defaults(struct import_result *r, const struct xinetd_entry *e,
    struct xinetd_defaults *d);

void import_xinetd_defaults_free(struct xinetd_defaults *d);

/*
 * banner, banner_success, banner_fail and max_load (each NULL when the
 * entry and the defaults leave it unset) into s's keys, or noted.
 */
struct xinetd_door {
	const struct xinetd_attr *banner, *banner_success, *banner_fail, *max_load;
};
void import_xinetd_door(struct import_service *s, const struct import_host *h,
    const struct xinetd_door *d);

/* Applies one list attribute's operator to list: = replaces, += adds, -= removes. */
void import_xinetd_apply_list(struct import_strv *list, const struct xinetd_attr *a);

#endif
