/*
 * libFuzzer target: an inetd.conf -> --import -> the netsrv.conf it
 * prints, judged by the oracle of import_oracle.h (it loads; it serves
 * what the import serves, named from the text; no comment makes a live
 * line; netsrvd's loader takes it).
 *
 * The input is the file's text. One holding a NUL byte (which the import
 * refuses to read) or one that is an xinetd.conf (fuzz_import_xinetd.c's)
 * is skipped. inetd.conf has no includes: nothing is read but the input.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "import_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	int rc;

	if (memchr(data, '\0', size) != NULL)
		return -1;	/* not added to the corpus */
	text = calloc(1, size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	/* the names come from the text: a file's name is not read for an inetd.conf */
	rc = fuzz_import_check(IMPORT_INETD, "inetd.conf", text, NULL, text);
	free(text);
	return rc;
}
