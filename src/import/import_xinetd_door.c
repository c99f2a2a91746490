/* --import: what an xinetd client meets at the door: banner, banner_success, banner_fail, max_load. */
#include "autoconfig.h"

#include <math.h>
#include <stdlib.h>

#include "import_map.h"
#include "import_xinetd_entry.h"

/* what netsrvd cannot do at the door of a service it never accepts for */
#define TCP_WAIT_WHY "a wait program accepts its own connections, unseen by netsrvd"

static void
note(struct import_service *s, const struct xinetd_attr *a, const char *why)
{
	import_note_add(&s->notes, a->file, a->line, a->text, "%s", why);
}

/*
 * A banner netsrvd reads at load: a path it can read now, or the output
 * would not load (xinetd only logs a banner it cannot open, and goes on).
 */
static void
door_banner(struct import_service *s, const struct import_host *h, const struct xinetd_attr *a,
    char **slot)
{
	const char *path;

	if (a == NULL)
		return;
	path = a->values.n == 1 ? a->values.v[0] : NULL;
	if (path == NULL || path[0] != '/')
		note(s, a, "not one absolute path");
	else if (s->protocol != PROTO_TCP)
		note(s, a, "netsrvd sends banners to TCP clients only");
	else if (s->wait)
		note(s, a, TCP_WAIT_WHY);
	else if (h->banner_ok != NULL && !h->banner_ok(path))
		note(s, a, "not a readable regular file of at most 8 KiB, which netsrvd reads at load");
	else {
		free(*slot);
		*slot = import_xstrdup(path);
	}
}

static void
door_max_load(struct import_service *s, const struct xinetd_attr *a)
{
	char *end;
	double v;

	if (a == NULL)
		return;
	v = a->values.n == 1 ? strtod(a->values.v[0], &end) : -1;
	if (a->values.n != 1 || *end != '\0' || !isfinite(v) || v <= 0 || v > 1000000)
		note(s, a, "not a load average above 0");
	else if (s->protocol != PROTO_TCP)
		note(s, a, "max_load applies to TCP services only");
	else if (s->wait)
		note(s, a, TCP_WAIT_WHY);
	else
		s->max_load = v;
}

void
import_xinetd_door(struct import_service *s, const struct import_host *h,
    const struct xinetd_door *d)
{
	door_banner(s, h, d->banner, &s->banner[0]);
	door_banner(s, h, d->banner_success, &s->banner[1]);
	door_banner(s, h, d->banner_fail, &s->banner[2]);
	door_max_load(s, d->max_load);
}
