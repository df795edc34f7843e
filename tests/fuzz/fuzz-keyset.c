/* SPDX-License-Identifier: MIT */
/*
 * keyset_parse() on arbitrary bytes: it must not crash, must leave a clean
 * one-line message on failure, and on success produce a set that is sorted,
 * unique, bounded and that formats and parses back to itself.
 */
#include <libevdev/libevdev.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyset set, again;
	struct diag diag;
	char text[KEYSET_TEXT_MAX];
	int r;

	/* A copy exactly size bytes long, so ASan sees any read past the end. */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = keyset_parse(copy, size, &set, &diag);
	free(copy);
	if (r < 0) {
		if (strnlen(diag.msg, sizeof(diag.msg)) >= sizeof(diag.msg) || !diag.msg[0])
			abort();
		return 0;
	}

	if (set.n == 0 || set.n > KEYSET_MAX)
		abort();
	for (size_t i = 0; i < set.n; i++)
		if (set.codes[i] > KEY_MAX || (i > 0 && set.codes[i - 1] >= set.codes[i]))
			abort();

	r = keyset_format(&set, text, sizeof(text));
	if (r <= 0 || (size_t)r != strlen(text))
		abort();
	if (keyset_parse(text, (size_t)r, &again, &diag) < 0 || !keyset_equal(&set, &again))
		abort();
	return 0;
}
