/* SPDX-License-Identifier: MIT */
/*
 * keylist_parse() (the host keys) on arbitrary bytes: it must not crash,
 * must leave a clean one-line message on failure, and on success produce a
 * list that is sorted, unique, bounded and that formats and parses back to
 * itself.
 */
#include <libevdev/libevdev.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keylist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keylist list, again;
	struct diag diag;
	char text[KEYLIST_TEXT_MAX];
	int r;

	/* A copy exactly size bytes long, so ASan sees any read past the end. */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = keylist_parse(copy, size, &list, &diag);
	free(copy);
	if (r < 0) {
		if (strnlen(diag.msg, sizeof(diag.msg)) >= sizeof(diag.msg) || !diag.msg[0] ||
		    strchr(diag.msg, '\n'))
			abort();
		return 0;
	}

	if (list.n > KEYLIST_MAX)
		abort();
	for (size_t i = 0; i < list.n; i++)
		if (list.codes[i] == 0 || list.codes[i] >= KEY_MAX ||
		    (i > 0 && list.codes[i - 1] >= list.codes[i]))
			abort();

	r = keylist_format(&list, text, sizeof(text));
	if (r < 0 || (size_t)r != strlen(text))
		abort();
	if (keylist_parse(text, (size_t)r, &again, &diag) < 0 || !keylist_equal(&list, &again))
		abort();
	return 0;
}
