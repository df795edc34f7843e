/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libevdev/libevdev.h>
#include <string.h>

#include "host-keys.h"

/* Longest key name looked up; libevdev's longest is well below this. */
#define HOST_KEY_NAME_MAX 48

static bool host_key_blank(char c)
{
	return c == ' ' || c == '\t';
}

bool host_keys_contains(const struct host_keys *set, uint16_t code)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->codes[i] == code)
			return true;
	return false;
}

bool host_keys_equal(const struct host_keys *a, const struct host_keys *b)
{
	return a->n == b->n && memcmp(a->codes, b->codes, a->n * sizeof(a->codes[0])) == 0;
}

int host_keys_add(struct host_keys *set, const char *name, size_t len, struct diag *diag)
{
	char buf[HOST_KEY_NAME_MAX + 1];
	size_t i;
	int code;

	if (len == 0)
		return diag_set(diag, -EINVAL, "host keys: empty key name");
	if (len > HOST_KEY_NAME_MAX || memchr(name, '\0', len))
		return diag_set(diag, -EINVAL, "host keys: '%.*s' is not a key name",
				(int)MIN(len, (size_t)64), name);
	memcpy(buf, name, len);
	buf[len] = '\0';
	code = libevdev_event_code_from_name(EV_KEY, buf);
	if (code < 0)
		return diag_set(diag, -EINVAL, "host keys: unknown key name '%s'", buf);
	/* KEY_RESERVED and KEY_MAX have names but no key sends them. */
	if (code == KEY_RESERVED || code == KEY_MAX)
		return diag_set(diag, -EINVAL, "host keys: '%s' is not a key", buf);
	if (host_keys_contains(set, (uint16_t)code))
		return diag_set(diag, -EINVAL, "host keys: '%s' given twice", buf);
	if (set->n >= HOST_KEYS_MAX)
		return diag_set(diag, -E2BIG, "host keys: more than %d keys", HOST_KEYS_MAX);
	i = set->n;
	while (i > 0 && set->codes[i - 1] > code) {
		set->codes[i] = set->codes[i - 1];
		i--;
	}
	set->codes[i] = (uint16_t)code;
	set->n++;
	return 0;
}

int host_keys_parse(const char *text, size_t len, struct host_keys *ret, struct diag *diag)
{
	struct host_keys set = {0};
	size_t pos = 0;
	bool blank = true;
	int r;

	for (size_t i = 0; i < len && blank; i++)
		blank = host_key_blank(text[i]);
	if (blank) {
		*ret = set;
		return 0;
	}
	while (pos <= len) {
		const char *part = text + pos, *comma = memchr(part, ',', len - pos);
		size_t part_len = comma ? (size_t)(comma - part) : len - pos;
		size_t start = 0, end = part_len;

		while (start < end && host_key_blank(part[start]))
			start++;
		while (end > start && host_key_blank(part[end - 1]))
			end--;
		r = host_keys_add(&set, part + start, end - start, diag);
		if (r < 0)
			return r;
		if (!comma)
			break;
		pos += part_len + 1;
	}
	*ret = set;
	return 0;
}

int host_keys_format(const struct host_keys *set, char *buf, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	for (size_t i = 0; i < set->n; i++) {
		const char *name = libevdev_event_code_get_name(EV_KEY, set->codes[i]);
		size_t name_len = name ? strlen(name) : 0;

		if (!name || used + (i > 0) + name_len + 1 > size) {
			buf[0] = '\0';
			return name ? -ENOBUFS : -EINVAL;
		}
		if (i > 0)
			buf[used++] = ',';
		memcpy(buf + used, name, name_len);
		used += name_len;
		buf[used] = '\0';
	}
	return (int)used;
}
