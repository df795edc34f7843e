/* SPDX-License-Identifier: MIT */
#include <stdbool.h>

#include "quote.h"

static char *quote_until(char *buf, size_t size, const char *s, bool stop_at_newline)
{
	size_t n = 0;

	for (; s && *s && n + 1 < size; s++, n++) {
		if (stop_at_newline && *s == '\n')
			break;
		buf[n] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	}
	buf[n] = '\0';
	return buf;
}

char *quote_printable(char *buf, size_t size, const char *s)
{
	return quote_until(buf, size, s, false);
}

char *quote_line(char *buf, size_t size, const char *s)
{
	return quote_until(buf, size, s, true);
}
