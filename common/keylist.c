/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libevdev/libevdev.h>
#include <string.h>

#include "keylist.h"
#include "macro.h"
#include "quote.h"

/* Longest key name looked up; libevdev's longest is well below this. */
#define KEY_NAME_MAX 48
/* How much of a refused list its message shows. */
#define SHOWN_MAX 128

/* The first bytes of text (len bytes, hostile) for a one-line message, printable. */
static char *keylist_shown(char *buf, const char *text, size_t len)
{
	char raw[SHOWN_MAX + 1];
	size_t n = MIN(len, (size_t)SHOWN_MAX);

	memcpy(raw, text, n);
	raw[n] = '\0';
	/* A NUL inside text ends raw early: what is shown is cut there. */
	return quote_printable(buf, SHOWN_MAX + 1, raw);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int keylist_add(struct keylist *list, unsigned code)
{
	size_t i;

	if (code == KEY_RESERVED || code >= KEY_MAX)
		return -EINVAL;
	if (keylist_contains(list, code))
		return -EEXIST;
	if (list->n >= KEYLIST_MAX)
		return -E2BIG;
	for (i = list->n; i > 0 && list->codes[i - 1] > code; i--)
		list->codes[i] = list->codes[i - 1];
	list->codes[i] = (uint16_t)code;
	list->n++;
	return 0;
}

int keylist_parse(const char *text, size_t len, struct keylist *ret, struct diag *diag)
{
	struct keylist list = {0};
	size_t start = 0;
	char shown[SHOWN_MAX + 1];

	while (start < len && is_blank(text[start]))
		start++;
	if (start == len) {
		*ret = list;
		return 0;
	}
	for (start = 0; start <= len;) {
		const char *part = text + start;
		const char *comma = memchr(part, ',', len - start);
		size_t part_len = comma ? (size_t)(comma - part) : len - start;
		char name[KEY_NAME_MAX + 1];
		int code, r;

		while (part_len > 0 && is_blank(part[0])) {
			part++;
			part_len--;
		}
		while (part_len > 0 && is_blank(part[part_len - 1]))
			part_len--;
		if (part_len == 0)
			return diag_set(diag, -EINVAL, "host keys '%s': empty key name",
					keylist_shown(shown, text, len));
		if (part_len > KEY_NAME_MAX || memchr(part, '\0', part_len))
			return diag_set(diag, -EINVAL, "host keys '%s': not a key name",
					keylist_shown(shown, text, len));
		memcpy(name, part, part_len);
		name[part_len] = '\0';
		code = libevdev_event_code_from_name(EV_KEY, name);
		if (code < 0)
			return diag_set(diag, -EINVAL, "host keys: unknown key name '%s'",
					quote_printable(shown, sizeof(shown), name));
		r = keylist_add(&list, (unsigned)code);
		if (r == -EINVAL)
			return diag_set(diag, r, "host keys: '%s' is not a key", name);
		if (r == -EEXIST)
			return diag_set(diag, -EINVAL, "host keys: key '%s' given twice", name);
		if (r < 0)
			return diag_set(diag, r, "host keys '%s': more than %d keys",
					keylist_shown(shown, text, len), KEYLIST_MAX);
		if (!comma)
			break;
		start = (size_t)(comma - text) + 1;
	}
	*ret = list;
	return 0;
}

int keylist_format(const struct keylist *list, char *buf, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	for (size_t i = 0; i < list->n; i++) {
		const char *name = libevdev_event_code_get_name(EV_KEY, list->codes[i]);
		size_t name_len;

		if (!name) {
			buf[0] = '\0';
			return -EINVAL;
		}
		name_len = strlen(name);
		if (used + (i > 0) + name_len + 1 > size) {
			buf[0] = '\0';
			return -ENOBUFS;
		}
		if (i > 0)
			buf[used++] = ',';
		memcpy(buf + used, name, name_len + 1);
		used += name_len;
	}
	return (int)used;
}

bool keylist_equal(const struct keylist *a, const struct keylist *b)
{
	return a->n == b->n && memcmp(a->codes, b->codes, a->n * sizeof(a->codes[0])) == 0;
}

bool keylist_contains(const struct keylist *list, unsigned code)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->codes[i] == code)
			return true;
	return false;
}
