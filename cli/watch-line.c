/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "watch-line.h"

int watch_json_string(const char *s, char *buf, size_t size)
{
	size_t n = 0;

#define PUT(str)                                                                                   \
	do {                                                                                       \
		size_t _l = strlen(str);                                                           \
		if (n + _l >= size)                                                                \
			goto too_long;                                                             \
		memcpy(buf + n, str, _l);                                                          \
		n += _l;                                                                           \
	} while (0)

	PUT("\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];

		switch (*p) {
		case '"':
			PUT("\\\"");
			continue;
		case '\\':
			PUT("\\\\");
			continue;
		case '\n':
			PUT("\\n");
			continue;
		case '\r':
			PUT("\\r");
			continue;
		case '\t':
			PUT("\\t");
			continue;
		case '\b':
			PUT("\\b");
			continue;
		case '\f':
			PUT("\\f");
			continue;
		default:
			break;
		}
		if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else if (*p >= 0x80)
			snprintf(esc, sizeof(esc), "?");
		else
			snprintf(esc, sizeof(esc), "%c", *p);
		PUT(esc);
	}
	PUT("\"");
#undef PUT
	buf[n] = '\0';
	return (int)n;

too_long:
	if (size > 0)
		buf[0] = '\0';
	return -ENOBUFS;
}

int watch_line_format(const struct watch_state *st, bool json, char *buf, size_t size)
{
	const char *target = st->running ? st->target : "host";
	const char *kind = !st->running ? "idle" : strcmp(target, "host") == 0 ? "host" : "vm";
	char text[2 * 6 * (VM_NAME_MAX + 1)], tooltip[sizeof(text) + 64], what[sizeof(text)];
	int r;

	if (!json) {
		r = snprintf(buf, size, "%s\n", target);
		return r < 0 || (size_t)r >= size ? -ENOBUFS : r;
	}
	if (st->running)
		snprintf(what, sizeof(what), "Keyboard and mouse: %s", target);
	else
		snprintf(what, sizeof(what), "Keyboard and mouse: host (no VM runs)");
	if (watch_json_string(target, text, sizeof(text)) < 0 ||
	    watch_json_string(what, tooltip, sizeof(tooltip)) < 0)
		return -ENOBUFS;
	r = snprintf(buf, size,
	             "{\"text\":%s,\"alt\":\"%s\",\"class\":\"%s\",\"tooltip\":%s,\"target\":%s}\n",
	             text, kind, kind, tooltip, text);
	return r < 0 || (size_t)r >= size ? -ENOBUFS : r;
}
