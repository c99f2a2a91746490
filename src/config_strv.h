/* A list of strings as the loader stores a TYPE_STRING_LIST (config_schema.h): its own header, so a struct may hold one without the schema. */
#ifndef NETSRVD_CONFIG_STRV_H
#define NETSRVD_CONFIG_STRV_H

#include <stddef.h>

struct config_strv {
	char **v;
	size_t n;
};

#endif
