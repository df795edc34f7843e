/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the hook's "is it ours" scan (common/domain-read.c):
 * for any name and document, the scan fed in one piece, split in two at any
 * point, and fed one byte at a time must agree with a plain reference: decode
 * the document's references first, then search the whole text.
 *
 * Input: one byte n (name length, mod 64), n bytes of name, the document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "domain-read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ref_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '#';
}

/* Appends the UTF-8 of reference body ref[0..len) to out, or returns false. */
static bool ref_decode(const char *ref, size_t len, char *out, size_t *n)
{
	static const char *const names[] = {"amp", "lt", "gt", "apos", "quot"};
	static const char chars[] = "&<>'\"";
	unsigned long cp = 0;
	size_t i;

	for (i = 0; i < 5; i++)
		if (strlen(names[i]) == len && memcmp(names[i], ref, len) == 0) {
			out[(*n)++] = chars[i];
			return true;
		}
	if (len < 2 || ref[0] != '#')
		return false;
	i = ref[1] == 'x' ? 2 : 1;
	if (i == len)
		return false;
	for (; i < len; i++) {
		char c = ref[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (ref[1] == 'x' && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (ref[1] == 'x' && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		cp = cp * (ref[1] == 'x' ? 16 : 10) + d;
		if (cp > 0x10ffff)
			return false;
	}
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | (cp >> 6));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xe0 | (cp >> 12));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | (cp >> 18));
		out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
	return true;
}

static bool reference(const char *doc, size_t len, const char *vm)
{
	char needle[sizeof(BY_ID_DIR) + 64 + 2];
	char *text = malloc(len + 1);
	size_t n = 0, needle_len;
	bool found = false;

	if (!text)
		abort();
	needle_len = (size_t)snprintf(needle, sizeof(needle), BY_ID_DIR "/%s-", vm);
	for (size_t i = 0; i < len;) {
		size_t j = 0;

		if (doc[i] != '&') {
			text[n++] = doc[i++];
			continue;
		}
		while (j < 12 && i + 1 + j < len && ref_char(doc[i + 1 + j]))
			j++;
		if (i + 1 + j < len && doc[i + 1 + j] == ';') {
			if (!ref_decode(doc + i + 1, j, text, &n)) {
				memcpy(text + n, doc + i, j + 2);
				n += j + 2;
			}
			i += j + 2;
			continue;
		}
		text[n++] = doc[i++];
	}
	found = memmem(text, n, needle, needle_len) != NULL;
	free(text);
	return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domain_scan *scan = NULL;
	char vm[64];
	const char *doc;
	size_t name_len, len, cut;
	bool want, got;

	if (size < 1)
		return 0;
	name_len = data[0] % 64;
	if (size < 1 + name_len)
		return 0;
	memcpy(vm, data + 1, name_len);
	vm[name_len] = '\0';
	if (strlen(vm) != name_len)
		return 0; /* argv holds no NUL */
	doc = (const char *)data + 1 + name_len;
	len = size - 1 - name_len;
	want = reference(doc, len, vm);

	if (domain_xml_names_ours(doc, len, vm) != want)
		__builtin_trap();

	cut = len ? (size_t)data[0] * 7919 % (len + 1) : 0;
	if (domain_scan_new(vm, &scan) < 0)
		abort();
	got = domain_scan_feed(scan, doc, cut);
	got = domain_scan_feed(scan, doc + cut, len - cut) || got;
	scan = domain_scan_free(scan);
	if (got != want)
		__builtin_trap();

	if (domain_scan_new(vm, &scan) < 0)
		abort();
	got = false;
	for (size_t i = 0; i < len; i++)
		got = domain_scan_feed(scan, doc + i, 1) || got;
	scan = domain_scan_free(scan);
	if (got != want)
		__builtin_trap();
	return 0;
}
