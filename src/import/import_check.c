/* --import: its output loaded as netsrvd loads a configuration, before anyone sees it. */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "import_check.h"

static bool
serves_any(const struct import_result *r)
{
	for (size_t i = 0; i < r->nsvc; i++)
		if (r->svc[i].unservable == NULL)
			return true;
	return false;
}

int
import_check_config(const struct import_result *r, const char *text, char *err, size_t errlen)
{
	struct config *cfg;

	if (!serves_any(r))
		return 0;
	/* the loader names this in its errors ("FILE:LINE: why"): the file the output is meant to become */
	cfg = config_parse_string(text, r->dest != NULL ? r->dest : "(the output)", err, errlen);
	if (cfg == NULL)
		return -1;
	config_free(cfg);
	return 0;
}
