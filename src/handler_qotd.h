/* Quote of the day (RFC 865): what a qotd service's keys hold. */
#ifndef NETSRVD_HANDLER_QOTD_H
#define NETSRVD_HANDLER_QOTD_H

#include "quotes.h"

/* service_config.hconf of a qotd service */
struct qotd_conf {
	char *quotes_path;	/* the `quotes` key, made absolute by the check */
	struct quotes quotes;	/* read by the check, at config time */
};

#endif
