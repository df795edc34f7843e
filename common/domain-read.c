/* SPDX-License-Identifier: MIT */
/*
 * Decisions beyond the header:
 *  - The scan is a Knuth-Morris-Pratt automaton over the decoded text: one
 *    state number, so a chunk boundary anywhere (inside the path, inside a
 *    reference) changes nothing and no overlap window is kept.
 *  - A reference that is not one of XML's five, or not well-formed, or longer
 *    than SCAN_REF_MAX, passes through as the bytes it is written with. The
 *    scan never fails on bad XML: deciding "not ours" needs no parse.
 *  - Every input is read to its end, also when it is not ours: libvirt
 *    writes the whole document to the hook's stdin.
 *  - While the document might still be ours it is kept in memory, growing up
 *    to DOMAIN_XML_MAX + 1 bytes (one more tells "exactly the limit" from
 *    "too much"); past that, or when memory runs out, only the scan goes on,
 *    and the document is refused only if the scan then finds it is ours.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain-read.h"
#include "names.h"
#include "quote.h"

#define READ_CHUNK (64 * 1024)
/* Longest reference body we decode: "#x10FFFF" and a few leading zeros. */
#define SCAN_REF_MAX 12

struct domain_scan {
	bool found;
	size_t matched; /* needle bytes matched so far */
	size_t ref_len; /* bytes after '&' of a pending reference */
	bool in_ref;
	char ref[SCAN_REF_MAX];
	size_t needle_len;
	const char *needle;
	size_t fail[]; /* KMP: longest proper border of needle[0..i] */
};

int domain_scan_new(const char *vm, struct domain_scan **ret)
{
	static const char prefix[] = BY_ID_DIR "/";
	size_t vm_len = strlen(vm);
	size_t len = sizeof(prefix) - 1 + vm_len + 1;
	struct domain_scan *scan;
	char *needle;

	/* vm comes from argv: at most a few hundred KiB, so no overflow here. */
	scan = malloc(sizeof(*scan) + len * sizeof(size_t) + len);
	if (!scan)
		return -ENOMEM;
	*scan = (struct domain_scan){.needle_len = len};
	needle = (char *)(scan->fail + len);
	memcpy(needle, prefix, sizeof(prefix) - 1);
	memcpy(needle + sizeof(prefix) - 1, vm, vm_len);
	needle[len - 1] = '-';
	scan->needle = needle;

	scan->fail[0] = 0;
	for (size_t i = 1, k = 0; i < len; i++) {
		while (k > 0 && needle[i] != needle[k])
			k = scan->fail[k - 1];
		if (needle[i] == needle[k])
			k++;
		scan->fail[i] = k;
	}
	*ret = scan;
	return 0;
}

struct domain_scan *domain_scan_free(struct domain_scan *scan)
{
	free(scan);
	return NULL;
}

static void scan_byte(struct domain_scan *scan, char c)
{
	size_t k = scan->matched;

	while (k > 0 && scan->needle[k] != c)
		k = scan->fail[k - 1];
	if (scan->needle[k] == c)
		k++;
	if (k == scan->needle_len) {
		scan->found = true;
		k = scan->fail[k - 1];
	}
	scan->matched = k;
}

static void scan_bytes(struct domain_scan *scan, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		scan_byte(scan, s[i]);
}

/* Code point of "#N" / "#xN", or -1. */
static long ref_code_point(const char *ref, size_t len)
{
	unsigned base = 10;
	size_t i = 1;
	long cp = 0;

	if (len < 2 || ref[0] != '#')
		return -1;
	if (ref[1] == 'x') {
		base = 16;
		i = 2;
	}
	if (i >= len)
		return -1;
	for (; i < len; i++) {
		char c = ref[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		cp = cp * base + d;
		if (cp > 0x10ffff)
			return -1;
	}
	return cp;
}

/* Feeds the decoded form of the pending reference, or its bytes as written. */
static void scan_ref_end(struct domain_scan *scan)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"apos", '\''}, {"quot", '"'}};
	size_t len = scan->ref_len;
	char utf8[4];
	long cp;

	scan->in_ref = false;
	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		if (strlen(named[i].name) == len && memcmp(named[i].name, scan->ref, len) == 0) {
			scan_byte(scan, named[i].c);
			return;
		}
	cp = ref_code_point(scan->ref, len);
	if (cp < 0x80 && cp >= 0) {
		scan_byte(scan, (char)cp);
	} else if (cp >= 0x80 && cp < 0x800) {
		utf8[0] = (char)(0xc0 | (cp >> 6));
		utf8[1] = (char)(0x80 | (cp & 0x3f));
		scan_bytes(scan, utf8, 2);
	} else if (cp >= 0x800 && cp < 0x10000) {
		utf8[0] = (char)(0xe0 | (cp >> 12));
		utf8[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		utf8[2] = (char)(0x80 | (cp & 0x3f));
		scan_bytes(scan, utf8, 3);
	} else if (cp >= 0x10000) {
		utf8[0] = (char)(0xf0 | (cp >> 18));
		utf8[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		utf8[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		utf8[3] = (char)(0x80 | (cp & 0x3f));
		scan_bytes(scan, utf8, 4);
	} else {
		scan_byte(scan, '&');
		scan_bytes(scan, scan->ref, len);
		scan_byte(scan, ';');
	}
}

static bool ref_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '#';
}

bool domain_scan_feed(struct domain_scan *scan, const char *buf, size_t len)
{
	for (size_t i = 0; i < len && !scan->found; i++) {
		char c = buf[i];

		if (scan->in_ref) {
			if (c == ';') {
				scan_ref_end(scan);
				continue;
			}
			if (ref_char(c) && scan->ref_len < SCAN_REF_MAX) {
				scan->ref[scan->ref_len++] = c;
				continue;
			}
			/* Not a reference: its bytes as written, then c afresh. */
			scan->in_ref = false;
			scan_byte(scan, '&');
			scan_bytes(scan, scan->ref, scan->ref_len);
		}
		if (c == '&') {
			scan->in_ref = true;
			scan->ref_len = 0;
			continue;
		}
		scan_byte(scan, c);
	}
	return scan->found;
}

int domain_xml_names_ours(const char *xml, size_t len, const char *vm)
{
	_cleanup_(domain_scan_freep) struct domain_scan *scan = NULL;
	int r = domain_scan_new(vm, &scan);

	if (r < 0)
		return r;
	return domain_scan_feed(scan, xml, len) ? 1 : 0;
}

struct xml_buf {
	char *data;
	size_t len, size;
	bool dropped; /* over DOMAIN_XML_MAX or out of memory: only scanning */
	bool too_big;
};

static void xml_buf_drop(struct xml_buf *b)
{
	free(b->data);
	*b = (struct xml_buf){.dropped = true, .too_big = b->too_big};
}

/*
 * Reads fd to its end (or, with scan, until the scan found the path after
 * the text was dropped: nothing is left to decide). Keeps the text unless
 * scan is given and it grew too big; without scan, too big is the end.
 * Returns 0 or -errno.
 */
static int xml_buf_read(int fd, struct xml_buf *b, struct domain_scan *scan)
{
	char scratch[4096];

	for (;;) {
		char *at = scratch;
		size_t room = sizeof(scratch);
		ssize_t n;

		if (!b->dropped) {
			if (b->len == DOMAIN_XML_MAX + 1) {
				b->too_big = true;
				if (!scan)
					return 0;
				xml_buf_drop(b);
				continue;
			}
			if (b->size - b->len < READ_CHUNK && b->size < DOMAIN_XML_MAX + 1) {
				size_t size = b->size ? b->size * 2 : 2 * READ_CHUNK;
				char *data;

				if (size > DOMAIN_XML_MAX + 1)
					size = DOMAIN_XML_MAX + 1;
				data = realloc(b->data, size);
				if (!data) {
					if (!scan)
						return -ENOMEM;
					xml_buf_drop(b);
					continue;
				}
				b->data = data;
				b->size = size;
			}
			at = b->data + b->len;
			room = b->size - b->len;
		}
		n = read(fd, at, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (!b->dropped)
			b->len += (size_t)n;
		if (scan && domain_scan_feed(scan, at, (size_t)n) && b->dropped)
			return 0;
	}
}

/* Parses b and checks the name; who starts every message. */
static int domain_parse_named(const struct xml_buf *b, const char *what, const char *who,
                              const char *vm, struct domain *ret, struct diag *diag)
{
	struct diag parse_diag = {};
	struct domain domain;
	int r;

	r = domain_xml_parse(b->data, b->len, &domain, &parse_diag);
	if (r < 0) {
		size_t n = strlen(who);
		/* The parser names the VM when it got that far; say it in any case. */
		if (strncmp(parse_diag.msg, who, n) == 0 && parse_diag.msg[n] == ':')
			return diag_set(diag, r, "%s", parse_diag.msg);
		return diag_set(diag, r, "%s: %s", who, parse_diag.msg);
	}
	if (vm && (domain.name_cut || strcmp(domain.name, vm) != 0)) {
		char shown[VM_NAME_MAX + 1];

		/* Not validated when the domain has no sources of ours: print it tamed. */
		quote_printable(shown, sizeof(shown), domain.name);
		return diag_set(diag, -EINVAL, "%s: the domain XML from %s is for '%s%s'", who,
		                what, shown, domain.name_cut ? "..." : "");
	}
	*ret = domain;
	return 0;
}

static int read_error(int r, const char *who, const char *what, struct diag *diag)
{
	if (r == -ENOMEM)
		return diag_set(diag, r, "%s: out of memory", who);
	return diag_set(diag, r, "%s: reading the domain XML from %s: %s", who, what, strerror(-r));
}

static int too_big(const char *who, const char *what, struct diag *diag)
{
	return diag_set(diag, -EFBIG, "%s: the domain XML from %s is larger than %d bytes", who,
	                what, DOMAIN_XML_MAX);
}

int domain_read(int fd, const char *what, const char *vm, struct domain *ret, struct diag *diag)
{
	_cleanup_(freep) char *data = NULL;
	struct xml_buf b = {};
	char who_tamed[VM_NAME_MAX + 1];
	const char *who = what;
	int r;

	/* vm comes from argv (libvirt's or a user's): hostile until it matches the XML. */
	if (vm) {
		quote_printable(who_tamed, sizeof(who_tamed), vm);
		who = who_tamed;
	}
	r = xml_buf_read(fd, &b, NULL);
	data = b.data;
	if (r < 0)
		return read_error(r, who, what, diag);
	if (b.too_big)
		return too_big(who, what, diag);
	return domain_parse_named(&b, what, who, vm, ret, diag);
}

int domain_read_if_ours(int fd, const char *what, const char *vm, struct domain *ret,
                        struct diag *diag)
{
	_cleanup_(domain_scan_freep) struct domain_scan *scan = NULL;
	_cleanup_(freep) char *data = NULL;
	struct diag name_diag = {};
	struct xml_buf b = {};
	char who[VM_NAME_MAX + 1];
	int r;

	quote_printable(who, sizeof(who), vm);
	r = domain_scan_new(vm, &scan);
	if (r < 0)
		return read_error(r, who, what, diag);
	r = xml_buf_read(fd, &b, scan);
	data = b.data;
	if (r < 0)
		return read_error(r, who, what, diag);
	if (!scan->found)
		return 0;

	r = vm_name_check(vm, &name_diag);
	if (r < 0)
		return diag_set(diag, r, "%s; vfio-kvm cannot clone devices for this VM",
		                name_diag.msg);
	if (b.too_big)
		return too_big(who, what, diag);
	if (b.dropped)
		return diag_set(diag, -ENOMEM, "%s: out of memory", who);
	r = domain_parse_named(&b, what, who, vm, ret, diag);
	return r < 0 ? r : 1;
}
