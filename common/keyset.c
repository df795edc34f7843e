/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libevdev/libevdev.h>
#include <string.h>

#include "keyset.h"

/* Longest key name we look up; libevdev's longest is well below this. */
#define KEY_NAME_MAX 48

static void keyset_insert_sorted(struct keyset *set, uint16_t code)
{
	size_t i = set->n;

	while (i > 0 && set->codes[i - 1] > code) {
		set->codes[i] = set->codes[i - 1];
		i--;
	}
	set->codes[i] = code;
	set->n++;
}

int keyset_parse(const char *text, size_t len, struct keyset *ret, struct diag *diag)
{
	struct keyset set = {0};
	size_t start = 0;

	if (len == 0)
		return diag_set(diag, -EINVAL, "empty hotkey");

	while (start <= len) {
		const char *part = text + start;
		const char *plus = memchr(part, '+', len - start);
		size_t part_len = plus ? (size_t)(plus - part) : len - start;
		char name[KEY_NAME_MAX + 1];
		int code;

		if (part_len == 0)
			return diag_set(diag, -EINVAL, "hotkey '%.*s': empty key name",
					(int)MIN(len, 128), text);
		if (part_len > KEY_NAME_MAX)
			return diag_set(diag, -EINVAL, "hotkey '%.*s': key name too long",
					(int)MIN(len, 128), text);
		memcpy(name, part, part_len);
		name[part_len] = '\0';
		if (strlen(name) != part_len)
			return diag_set(diag, -EINVAL, "hotkey: NUL byte in key name");

		code = libevdev_event_code_from_name(EV_KEY, name);
		if (code < 0)
			return diag_set(diag, -EINVAL, "hotkey: unknown key name '%.*s'",
					(int)part_len, part);
		/* KEY_RESERVED and KEY_MAX have names but no key sends them. */
		if (code == KEY_RESERVED || code == KEY_MAX)
			return diag_set(diag, -EINVAL, "hotkey: '%s' is not a key", name);
		if (keyset_contains(&set, (uint16_t)code))
			return diag_set(diag, -EINVAL, "hotkey: key '%s' given twice", name);
		if (set.n >= KEYSET_MAX)
			return diag_set(diag, -E2BIG, "hotkey '%.*s': more than %d keys",
					(int)MIN(len, 128), text, KEYSET_MAX);
		keyset_insert_sorted(&set, (uint16_t)code);

		if (!plus)
			break;
		start += part_len + 1;
		if (start == len)
			return diag_set(diag, -EINVAL, "hotkey '%.*s': ends with '+'",
					(int)MIN(len, 128), text);
	}

	*ret = set;
	return 0;
}

static bool key_is_modifier(uint16_t code)
{
	switch (code) {
	case KEY_LEFTCTRL:
	case KEY_RIGHTCTRL:
	case KEY_LEFTSHIFT:
	case KEY_RIGHTSHIFT:
	case KEY_LEFTALT:
	case KEY_RIGHTALT:
	case KEY_LEFTMETA:
	case KEY_RIGHTMETA:
		return true;
	default:
		return false;
	}
}

int keyset_format(const struct keyset *set, char *buf, size_t size)
{
	size_t used = 0, n_written = 0;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	/* Modifiers first, the way people write a combo: "KEY_LEFTALT+KEY_1". */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < set->n; i++) {
			const char *name;
			size_t name_len;

			if (key_is_modifier(set->codes[i]) != (pass == 0))
				continue;
			name = libevdev_event_code_get_name(EV_KEY, set->codes[i]);
			/* Only keyset_parse() fills sets, so every code has a name. */
			if (!name) {
				buf[0] = '\0';
				return -EINVAL;
			}
			name_len = strlen(name);
			if (used + (n_written > 0) + name_len + 1 > size) {
				buf[0] = '\0';
				return -ENOBUFS;
			}
			if (n_written++ > 0)
				buf[used++] = '+';
			memcpy(buf + used, name, name_len);
			used += name_len;
			buf[used] = '\0';
		}
	return (int)used;
}

bool keyset_equal(const struct keyset *a, const struct keyset *b)
{
	return a->n == b->n && memcmp(a->codes, b->codes, a->n * sizeof(a->codes[0])) == 0;
}

bool keyset_contains(const struct keyset *set, uint16_t code)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->codes[i] == code)
			return true;
	return false;
}
