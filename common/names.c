/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "names.h"
#include "quote.h"

/* Returns the first byte of name that may not appear in a name, or NULL. */
static const char *name_find_bad_char(const char *name)
{
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x21 || c > 0x7e || c == '/' || c == '=' || c == ',' || c == '\\')
			return p;
	}
	return NULL;
}

static int name_check(const char *name, size_t max, const char *kind, const char *what,
		      struct diag *diag)
{
	size_t len = strnlen(name, max + 1);
	const char *bad;

	if (len == 0)
		return what[0] ? diag_set(diag, -EINVAL, "%s: empty %s", what, kind)
			       : diag_set(diag, -EINVAL, "empty %s", kind);
	if (len > max)
		return diag_set(diag, -ENAMETOOLONG, "%s: %s longer than %zu bytes", what, kind,
				max);
	if (name[0] == '.' || name[0] == '-')
		return diag_set(diag, -EINVAL, "%s: %s may not start with '%c'", what, kind, name[0]);
	bad = name_find_bad_char(name);
	if (bad)
		return diag_set(diag, -EINVAL, "%s: %s has a forbidden character 0x%02x at byte %zu",
				what, kind, (unsigned char)*bad, (size_t)(bad - name));
	return 0;
}

int vm_name_check(const char *name, struct diag *diag)
{
	char what[32 + VM_NAME_MAX];

	/* Quote a bounded, printable prefix only: the name itself is hostile. */
	quote_printable(what, VM_NAME_MAX + 1, name);
	return name_check(name, VM_NAME_MAX, "VM name", what, diag);
}

int device_name_check(const char *name, const char *what, struct diag *diag)
{
	return name_check(name, DEVICE_NAME_MAX, "device name", what, diag);
}

int device_by_path(const char *path, char *buf, size_t size)
{
	static const char by_id[] = "/by-id/";
	const size_t by_id_len = sizeof(by_id) - 1;
	const char *base = strrchr(path, '/');
	size_t dir_len;
	int n;

	if (size > 0)
		buf[0] = '\0';
	if (!base || (size_t)(base - path) + 1 < by_id_len ||
	    strncmp(base + 1 - by_id_len, by_id, by_id_len) != 0)
		return 0;
	dir_len = (size_t)(base + 1 - by_id_len - path);
	n = snprintf(buf, size, "%.*s/by-path%s", (int)dir_len, path, base);
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 1;
}
