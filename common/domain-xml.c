/* SPDX-License-Identifier: MIT */
/*
 * The domain XML comes from libvirt, but whoever can define a domain writes
 * it, so it is parsed as hostile input: size-capped before parsing, no DTD
 * (the parser is stopped as soon as a DOCTYPE is seen, before any entity is
 * declared), no entity of any kind, no network, and libxml2's own error
 * printing is silenced for the duration of the parse (the hook's stderr goes
 * to libvirt). The tree is then read along fixed paths only, so the work is
 * linear in the size of the document.
 *
 * Decisions beyond the header:
 *  - The VM name is libvirt's: the text of the first /domain/name, as is.
 *  - Every input source path (of all three forms) that is not canonical
 *    ("//", "/./", "/../", a trailing "/." or "/..") is refused, whatever it
 *    names: it could be a by-id path of ours in disguise.
 *  - Only the two-argument form '-object' 'input-linux,…' is read; other
 *    -object types, JSON objects and single-argument forms are not ours.
 *    A repeated evdev= or grab-toggle= key is refused as ambiguous.
 *  - Documents that are not namespace-well-formed are refused: an undeclared
 *    'qemu:' prefix would otherwise hide arguments from us.
 *  - Hotkey metadata is checked even when the VM has no sources of ours (the
 *    hook never parses a domain that is not ours: see domain-read.h).
 *  - In <metadata>, everything of our namespace is checked, at any depth:
 *    <vfiokvm:settings> (once) or a bare <vfiokvm:hotkey> at the top; in
 *    settings only hotkey, host-keys, device, focus-on-start and on-stop
 *    (each once; device once per name); only <vfiokvm:key value=…> in a
 *    hotkey or host-keys; no attribute but the ones each element takes.
 *    Anything else of ours is a user's typo or a setting of a newer version:
 *    an error with its line, never ignored.
 *  - A <vfiokvm:device> is checked against the sources after the whole
 *    document is read: <metadata> may come before <devices>.
 *    Other namespaces' metadata is not ours and is only searched for ours.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "domain-xml.h"
#include "names.h"
#include "quote.h"

#define QEMU_XML_NS "http://libvirt.org/schemas/domain/qemu/1.0"
#define INPUT_LINUX_PREFIX "input-linux,"
/* Longest <vfiokvm:key value=…> we look at; key names are much shorter. */
#define HOTKEY_NAME_MAX 64
/* Bytes of a hostile string quoted in a message. */
#define QUOTE_MAX 200

#if LIBXML_VERSION >= 21200
typedef const xmlError *domain_xml_error_t;
#else
typedef xmlError *domain_xml_error_t;
#endif

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt)

static void xml_strfreep(xmlChar **p)
{
	if (*p)
		xmlFree(*p);
}
#define _cleanup_xmlfree_ _cleanup_(xml_strfreep)

/* A <vfiokvm:device focus='always'>, matched with the sources at the end. */
struct pinned_device {
	char name[DEVICE_NAME_MAX + 1];
	long line;
};

struct parse {
	struct domain dom; /* built here, copied out only on success */
	struct pinned_device pinned[DOMAIN_SOURCES_MAX];
	size_t n_pinned;
	const char *vm;	   /* full name from the XML, may be anything */
	size_t vm_len;
	char vm_quoted[VM_NAME_MAX + 1];
	bool vm_checked; /* vm_name_check() passed: done once a source is ours */
	struct diag *diag;
};

/* Copies a printable rendering of s, up to its first newline, into buf for a message. */
static void quote(char *buf, size_t size, const char *s)
{
	quote_line(buf, size, s);
}

static bool node_is(const xmlNode *node, const char *ns, const char *name)
{
	if (node->type != XML_ELEMENT_NODE || !xmlStrEqual(node->name, BAD_CAST name))
		return false;
	if (!ns)
		return !node->ns;
	return node->ns && xmlStrEqual(node->ns->href, BAD_CAST ns);
}

/*
 * libxml2 reports through the (thread-local) structured handler while we
 * parse; keep the first error for the diag and print nothing.
 */
struct error_capture {
	bool have;
	int line;
	char msg[QUOTE_MAX + 1];
};

static void error_capture_structured(void *data, domain_xml_error_t error)
{
	struct error_capture *capture = data;

	if (!capture || !error || capture->have || error->level < XML_ERR_ERROR)
		return;
	capture->have = true;
	capture->line = error->line;
	quote(capture->msg, sizeof(capture->msg), error->message ? error->message : "error");
}

static void error_capture_generic(void *data _unused_, const char *fmt _unused_, ...)
{
}

struct doctype_guard {
	bool seen;
};

/* SAX internalSubset runs at "<!DOCTYPE name …" before "[…]" is read: stop there. */
static void doctype_refuse(void *ctx, const xmlChar *name _unused_,
			   const xmlChar *external_id _unused_, const xmlChar *system_id _unused_)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct doctype_guard *guard = ctxt->_private;

	guard->seen = true;
	xmlStopParser(ctxt);
}

/* Returns the document, or NULL with diag set (*ret_error the errno). */
static xmlDocPtr xml_read(const char *xml, size_t len, int *ret_error, struct diag *diag)
{
	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	struct error_capture capture = {0};
	struct doctype_guard guard = {0};
	xmlGenericErrorFunc saved_generic;
	xmlStructuredErrorFunc saved_structured;
	void *saved_generic_ctx, *saved_structured_ctx;
	bool well_formed;

	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (!ctxt || !ctxt->sax) {
		*ret_error = diag_set(diag, -ENOMEM, "domain XML: out of memory");
		return NULL;
	}
	ctxt->_private = &guard;
	ctxt->sax->internalSubset = doctype_refuse;

	saved_generic = xmlGenericError;
	saved_generic_ctx = xmlGenericErrorContext;
	saved_structured = xmlStructuredError;
	saved_structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, error_capture_generic);
	xmlSetStructuredErrorFunc(&capture, error_capture_structured);

	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_NOCDATA);

	xmlSetStructuredErrorFunc(saved_structured_ctx, saved_structured);
	xmlSetGenericErrorFunc(saved_generic_ctx, saved_generic);

	if (guard.seen || (doc && doc->intSubset)) {
		*ret_error = diag_set(diag, -EINVAL, "domain XML: a DOCTYPE is not allowed");
		return NULL;
	}
	well_formed = doc && ctxt->wellFormed && ctxt->nsWellFormed;
	if (!well_formed) {
		if (capture.have)
			*ret_error = diag_set(diag, -EINVAL, "domain XML line %d: %s", capture.line,
					      capture.msg);
		else
			*ret_error = diag_set(diag, -EINVAL, "domain XML: not well-formed");
		return NULL;
	}
	return TAKE_PTR(doc);
}

/* Walks the whole tree without recursion: no entity may appear anywhere. */
static int tree_check_entities(xmlNodePtr root, struct diag *diag)
{
	xmlNodePtr node = root;

	while (node) {
		switch (node->type) {
		case XML_ENTITY_REF_NODE:
		case XML_ENTITY_NODE:
		case XML_ENTITY_DECL:
		case XML_DTD_NODE:
			return diag_set(diag, -EINVAL,
					"domain XML line %ld: entities are not allowed",
					(long)xmlGetLineNo(node));
		default:
			break;
		}
		if (node->type == XML_ELEMENT_NODE)
			for (xmlAttrPtr attr = node->properties; attr; attr = attr->next)
				for (xmlNodePtr v = attr->children; v; v = v->next)
					if (v->type != XML_TEXT_NODE)
						return diag_set(diag, -EINVAL,
								"domain XML line %ld: entities are "
								"not allowed",
								(long)xmlGetLineNo(node));
		if (node->type == XML_ELEMENT_NODE && node->children) {
			node = node->children;
			continue;
		}
		while (node && node != root && !node->next)
			node = node->parent;
		if (!node || node == root)
			break;
		node = node->next;
	}
	return 0;
}

/* "/dev/input//x", "/dev/input/./x", "/dev/input/../x", ".../." and ".../.." */
static bool path_is_canonical(const char *path)
{
	size_t len = strlen(path);

	if (strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../"))
		return false;
	if ((len >= 2 && strcmp(path + len - 2, "/.") == 0) ||
	    (len >= 3 && strcmp(path + len - 3, "/..") == 0))
		return false;
	return true;
}

/* Returns <dev> if path is BY_ID_DIR "/<vm>-<dev>", else NULL. */
static const char *path_strip_ours(const struct parse *p, const char *path)
{
	static const char by_id[] = BY_ID_DIR "/";

	if (strncmp(path, by_id, sizeof(by_id) - 1) != 0)
		return NULL;
	path += sizeof(by_id) - 1;
	if (strncmp(path, p->vm, p->vm_len) != 0)
		return NULL;
	path += p->vm_len;
	return *path == '-' ? path + 1 : NULL;
}

/* QEMU's GrabToggleKeys and libvirt's grabToggle use the same names. */
static const struct {
	const char *name;
	const char *keys;
} grab_toggles[] = {
	{"ctrl-ctrl", "KEY_LEFTCTRL+KEY_RIGHTCTRL"},
	{"alt-alt", "KEY_LEFTALT+KEY_RIGHTALT"},
	{"shift-shift", "KEY_LEFTSHIFT+KEY_RIGHTSHIFT"},
	{"meta-meta", "KEY_LEFTMETA+KEY_RIGHTMETA"},
	{"scrolllock", "KEY_SCROLLLOCK"},
	{"ctrl-scrolllock", "KEY_LEFTCTRL+KEY_SCROLLLOCK"},
};

static int grab_toggle_parse(const char *name, struct keyset *ret, struct diag *diag)
{
	for (size_t i = 0; i < ARRAY_SIZE(grab_toggles); i++)
		if (strcmp(name, grab_toggles[i].name) == 0)
			return keyset_parse(grab_toggles[i].keys, strlen(grab_toggles[i].keys), ret,
					    diag);
	return -EINVAL;
}

/*
 * Looks at one input source path; adds it if it is ours. toggle is the
 * grab toggle name for input-linux kinds (NULL: QEMU's default).
 */
static int source_consider(struct parse *p, enum source_kind kind, const char *path,
			   const char *toggle)
{
	char what[VM_NAME_MAX + QUOTE_MAX + 32], quoted[QUOTE_MAX + 1];
	struct domain_source *source;
	const char *dev;
	int r;

	quote(quoted, sizeof(quoted), path);
	if (!path_is_canonical(path))
		return diag_set(p->diag, -EINVAL, "%s: source '%s': not a canonical path",
				p->vm_quoted, quoted);
	dev = path_strip_ours(p, path);
	if (!dev)
		return 0;

	if (!p->vm_checked) {
		r = vm_name_check(p->vm, p->diag);
		if (r < 0)
			return r;
		p->vm_checked = true;
	}
	snprintf(what, sizeof(what), "%s: source '%s'", p->vm_quoted, quoted);
	r = device_name_check(dev, what, p->diag);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->dom.n_sources; i++)
		if (strcmp(p->dom.sources[i].device, dev) == 0)
			return diag_set(p->diag, -EINVAL, "%s: '%s' listed twice", p->vm_quoted,
					quoted);
	if (p->dom.n_sources >= DOMAIN_SOURCES_MAX)
		return diag_set(p->diag, -E2BIG, "%s: more than %d input sources of ours at '%s'",
				p->vm_quoted, DOMAIN_SOURCES_MAX, quoted);

	source = &p->dom.sources[p->dom.n_sources];
	*source = (struct domain_source){.kind = kind};
	if (kind != SOURCE_PASSTHROUGH) {
		r = grab_toggle_parse(toggle ? toggle : "ctrl-ctrl", &source->grab_toggle, NULL);
		if (r < 0) {
			quote(what, sizeof(what), toggle);
			return diag_set(p->diag, -EINVAL,
					"%s: source '%s': unknown grab toggle '%s'", p->vm_quoted,
					quoted, what);
		}
	}
	/* device_name_check() bounded dev by DEVICE_NAME_MAX. */
	memcpy(source->device, dev, strlen(dev) + 1);
	p->dom.n_sources++;
	return 0;
}

/* <input type='passthrough'><source evdev=…/> or <input type='evdev'><source dev=…/>. */
static int input_parse(struct parse *p, xmlNodePtr input)
{
	_cleanup_xmlfree_ xmlChar *type = xmlGetNoNsProp(input, BAD_CAST "type");
	enum source_kind kind;
	const char *attr;

	if (!type)
		return 0;
	if (xmlStrEqual(type, BAD_CAST "passthrough")) {
		kind = SOURCE_PASSTHROUGH;
		attr = "evdev";
	} else if (xmlStrEqual(type, BAD_CAST "evdev")) {
		kind = SOURCE_EVDEV;
		attr = "dev";
	} else
		return 0;

	for (xmlNodePtr child = input->children; child; child = child->next) {
		_cleanup_xmlfree_ xmlChar *path = NULL, *toggle = NULL;
		int r;

		if (!node_is(child, NULL, "source"))
			continue;
		path = xmlGetNoNsProp(child, BAD_CAST attr);
		if (!path)
			continue;
		if (kind == SOURCE_EVDEV)
			toggle = xmlGetNoNsProp(child, BAD_CAST "grabToggle");
		r = source_consider(p, kind, (const char *)path, (const char *)toggle);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Reads one QemuOpts value starting at s (",," is a literal comma) into a
 * new string; *end is set past the value. Returns NULL on ENOMEM.
 */
static char *opts_value_dup(const char *s, const char **end)
{
	size_t n = 0;
	char *value;
	const char *q;

	for (q = s; *q; q++) {
		if (*q == ',') {
			if (q[1] != ',')
				break;
			q++;
		}
		n++;
	}
	*end = q;
	value = malloc(n + 1);
	if (!value)
		return NULL;
	n = 0;
	for (q = s; *q; q++) {
		if (*q == ',') {
			if (q[1] != ',')
				break;
			q++;
		}
		value[n++] = *q;
	}
	value[n] = '\0';
	return value;
}

/* Parses "input-linux,key=value,…" the way QEMU's option parser splits it. */
static int input_linux_parse(struct parse *p, const char *opts)
{
	_cleanup_(freep) char *evdev = NULL;
	_cleanup_(freep) char *toggle = NULL;
	const char *s = opts + strlen(INPUT_LINUX_PREFIX);
	char quoted[QUOTE_MAX + 1];

	while (*s) {
		const char *key = s, *eq;
		size_t key_len;
		char **slot = NULL;

		/* A key ends at '=' or ','; a bare key is a boolean flag. */
		eq = key + strcspn(key, "=,");
		key_len = (size_t)(eq - key);
		if (key_len == 5 && memcmp(key, "evdev", 5) == 0)
			slot = &evdev;
		else if (key_len == 11 && memcmp(key, "grab-toggle", 11) == 0)
			slot = &toggle;
		if (*eq != '=') {
			s = *eq ? eq + 1 : eq;
			continue;
		}
		if (slot && *slot) {
			quote(quoted, sizeof(quoted), opts);
			return diag_set(p->diag, -EINVAL, "%s: qemu:arg '%s': '%.*s' given twice",
					p->vm_quoted, quoted, (int)key_len, key);
		}
		if (slot) {
			*slot = opts_value_dup(eq + 1, &s);
			if (!*slot)
				return diag_set(p->diag, -ENOMEM, "%s: out of memory",
						p->vm_quoted);
		} else {
			/* Skip the value, honouring ",," escapes. */
			for (s = eq + 1; *s; s++)
				if (*s == ',' && *++s != ',')
					break;
			continue;
		}
		if (*s == ',')
			s++;
	}
	if (!evdev)
		return 0;
	return source_consider(p, SOURCE_INPUT_LINUX, evdev, toggle);
}

static bool xml_is_input_linux(const char *value)
{
	size_t len = strlen(INPUT_LINUX_PREFIX);

	return strncmp(value, INPUT_LINUX_PREFIX, len) == 0 && value[len] != ',';
}

/* <qemu:commandline>: '-object' followed by 'input-linux,…'. */
static int commandline_parse(struct parse *p, xmlNodePtr commandline)
{
	bool after_object = false;

	for (xmlNodePtr arg = commandline->children; arg; arg = arg->next) {
		_cleanup_xmlfree_ xmlChar *value = NULL;
		bool is_object;

		if (!node_is(arg, QEMU_XML_NS, "arg"))
			continue;
		value = xmlGetNoNsProp(arg, BAD_CAST "value");
		if (!value) {
			after_object = false;
			continue;
		}
		/* "input-linux,,…" is a type name with an escaped comma, not ours. */
		if (after_object && xml_is_input_linux((const char *)value)) {
			int r = input_linux_parse(p, (const char *)value);
			if (r < 0)
				return r;
		}
		is_object = xmlStrEqual(value, BAD_CAST "-object") ||
			    xmlStrEqual(value, BAD_CAST "--object");
		/* "-object -object input-linux,…": the second is the option's value. */
		after_object = is_object && !after_object;
	}
	return 0;
}

/* "<prefix:name>" as written (the prefix the document chose), made printable. */
static void element_quote(char *buf, size_t size, const xmlNode *node)
{
	char name[QUOTE_MAX + 1], prefix[QUOTE_MAX + 1] = "";

	quote(name, sizeof(name), (const char *)node->name);
	if (node->ns && node->ns->prefix)
		quote(prefix, sizeof(prefix), (const char *)node->ns->prefix);
	snprintf(buf, size, "<%s%s%s>", prefix, prefix[0] ? ":" : "", name);
}

static int unknown_element(struct parse *p, const xmlNode *node, const char *where)
{
	char element[2 * QUOTE_MAX + 4];

	element_quote(element, sizeof(element), node);
	return diag_set(p->diag, -EINVAL, "%s: domain XML line %ld: unknown element %s in %s",
			p->vm_quoted, (long)xmlGetLineNo(node), element, where);
}

static int unknown_attribute(struct parse *p, const xmlNode *node, const xmlAttr *attr)
{
	char element[2 * QUOTE_MAX + 4], name[QUOTE_MAX + 1], prefix[QUOTE_MAX + 1] = "";

	element_quote(element, sizeof(element), node);
	quote(name, sizeof(name), (const char *)attr->name);
	if (attr->ns && attr->ns->prefix)
		quote(prefix, sizeof(prefix), (const char *)attr->ns->prefix);
	return diag_set(p->diag, -EINVAL, "%s: domain XML line %ld: unknown attribute '%s%s%s' on %s",
			p->vm_quoted, (long)xmlGetLineNo(node), prefix, prefix[0] ? ":" : "", name,
			element);
}

/* Refuses every attribute of node but the one named allowed (NULL: none). */
static int attributes_check(struct parse *p, const xmlNode *node, const char *allowed)
{
	for (const xmlAttr *attr = node->properties; attr; attr = attr->next)
		if (!allowed || attr->ns || !xmlStrEqual(attr->name, BAD_CAST allowed))
			return unknown_attribute(p, node, attr);
	return 0;
}

/* <vfiokvm:hotkey><vfiokvm:key value='KEY_…'/>…</vfiokvm:hotkey> */
static int hotkey_parse(struct parse *p, xmlNodePtr hotkey)
{
	char joined[KEYSET_MAX * (HOTKEY_NAME_MAX + 1)], quoted[QUOTE_MAX + 1];
	struct diag inner = {{0}};
	size_t used = 0, n_keys = 0;
	int r;

	if (p->dom.hotkey.n > 0)
		return diag_set(p->diag, -EINVAL, "%s: metadata: more than one <hotkey>",
				p->vm_quoted);
	r = attributes_check(p, hotkey, NULL);
	if (r < 0)
		return r;
	for (xmlNodePtr key = hotkey->children; key; key = key->next) {
		_cleanup_xmlfree_ xmlChar *value = NULL;
		size_t len;

		if (key->type != XML_ELEMENT_NODE)
			continue;
		if (!node_is(key, VFIOKVM_XML_NS, "key"))
			return unknown_element(p, key, "<vfiokvm:hotkey>, want <vfiokvm:key>");
		r = attributes_check(p, key, "value");
		if (r < 0)
			return r;
		if (++n_keys > KEYSET_MAX)
			return diag_set(p->diag, -E2BIG, "%s: metadata hotkey: more than %d keys",
					p->vm_quoted, KEYSET_MAX);
		value = xmlGetNoNsProp(key, BAD_CAST "value");
		if (!value)
			return diag_set(p->diag, -EINVAL,
					"%s: metadata hotkey: <key> without value", p->vm_quoted);
		len = strlen((const char *)value);
		quote(quoted, sizeof(quoted), (const char *)value);
		if (len == 0 || len > HOTKEY_NAME_MAX || strchr((const char *)value, '+'))
			return diag_set(p->diag, -EINVAL,
					"%s: metadata hotkey: '%s' is not one key name",
					p->vm_quoted, quoted);
		if (used > 0)
			joined[used++] = '+';
		memcpy(joined + used, value, len);
		used += len;
	}
	if (n_keys == 0)
		return diag_set(p->diag, -EINVAL, "%s: metadata hotkey has no <key>", p->vm_quoted);
	r = keyset_parse(joined, used, &p->dom.hotkey, &inner);
	if (r < 0)
		return diag_set(p->diag, r, "%s: metadata %s", p->vm_quoted, inner.msg);
	p->dom.given |= DOMAIN_GIVEN_HOTKEY;
	return 0;
}

_printf_(3, 4) static int setting_fail(struct parse *p, const xmlNode *node, const char *fmt, ...)
{
	char msg[DIAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return diag_set(p->diag, -EINVAL, "%s: domain XML line %ld: %s", p->vm_quoted,
			(long)xmlGetLineNo(node), msg);
}

/* A setting element that may appear once: bit in dom.given. */
static int setting_once(struct parse *p, const xmlNode *node, unsigned bit)
{
	char element[2 * QUOTE_MAX + 4];

	if (!(p->dom.given & bit))
		return 0;
	element_quote(element, sizeof(element), node);
	return setting_fail(p, node, "%s given twice", element);
}

/* Refuses every attribute of node that is not one of names (NULL-terminated). */
static int attributes_check_list(struct parse *p, const xmlNode *node, const char *const *names)
{
	for (const xmlAttr *attr = node->properties; attr; attr = attr->next) {
		bool known = false;

		for (size_t i = 0; names[i] && !attr->ns && !known; i++)
			known = xmlStrEqual(attr->name, BAD_CAST names[i]);
		if (!known)
			return unknown_attribute(p, node, attr);
	}
	return 0;
}

/*
 * The value= of an element that takes only that attribute, quoted into buf
 * (size > 1). Returns 0, or -EINVAL with diag when it is missing or longer
 * than buf.
 */
static int setting_value(struct parse *p, const xmlNode *node, char *buf, size_t size)
{
	_cleanup_xmlfree_ xmlChar *value = NULL;
	char element[2 * QUOTE_MAX + 4];
	int r = attributes_check(p, node, "value");

	if (r < 0)
		return r;
	element_quote(element, sizeof(element), node);
	value = xmlGetNoNsProp(node, BAD_CAST "value");
	if (!value)
		return setting_fail(p, node, "%s without value=", element);
	if (strlen((const char *)value) >= size) {
		quote(buf, size, (const char *)value);
		return setting_fail(p, node, "%s: value '%s…' too long", element, buf);
	}
	quote(buf, size, (const char *)value);
	return 0;
}

/* Adds the one key called name to *keys, with the messages of keylist_parse(). */
static int host_key_add(struct keylist *keys, const char *name, struct diag *diag)
{
	struct keylist one;
	int r = keylist_parse(name, strlen(name), &one, diag);

	if (r < 0)
		return r;
	if (one.n != 1)
		return diag_set(diag, -EINVAL, "host keys: unknown key name '%s'", name);
	r = keylist_add(keys, one.codes[0]);
	if (r == -EEXIST)
		return diag_set(diag, -EINVAL, "host keys: key '%s' given twice", name);
	if (r == -E2BIG)
		return diag_set(diag, r, "host keys: more than %d keys", KEYLIST_MAX);
	return r < 0 ? diag_set(diag, r, "host keys: '%s' is not a key", name) : 0;
}

/* <vfiokvm:host-keys><vfiokvm:key value='KEY_VOLUMEUP'/>…</vfiokvm:host-keys>; empty: none. */
static int host_keys_element_parse(struct parse *p, xmlNodePtr element)
{
	struct keylist keys = {0};
	struct diag inner = {{0}};
	int r = setting_once(p, element, DOMAIN_GIVEN_HOST_KEYS);

	if (r >= 0)
		r = attributes_check(p, element, NULL);
	if (r < 0)
		return r;
	for (xmlNodePtr key = element->children; key; key = key->next) {
		char name[HOTKEY_NAME_MAX + 1];

		if (key->type != XML_ELEMENT_NODE)
			continue;
		if (!node_is(key, VFIOKVM_XML_NS, "key"))
			return unknown_element(p, key, "<vfiokvm:host-keys>, want <vfiokvm:key>");
		r = setting_value(p, key, name, sizeof(name));
		if (r < 0)
			return r;
		r = host_key_add(&keys, name, &inner);
		if (r < 0)
			return setting_fail(p, key, "%s", inner.msg);
	}
	p->dom.host_keys = keys;
	p->dom.given |= DOMAIN_GIVEN_HOST_KEYS;
	return 0;
}

/* <vfiokvm:device name='<dev>' focus='always'/>: the source is pinned to this VM. */
static int device_element_parse(struct parse *p, xmlNodePtr element)
{
	static const char *const attributes[] = {"name", "focus", NULL};
	_cleanup_xmlfree_ xmlChar *name = NULL, *focus = NULL;
	char quoted[QUOTE_MAX + 1];
	struct pinned_device *pin;
	int r = attributes_check_list(p, element, attributes);

	if (r < 0)
		return r;
	name = xmlGetNoNsProp(element, BAD_CAST "name");
	focus = xmlGetNoNsProp(element, BAD_CAST "focus");
	if (!name || !name[0])
		return setting_fail(p, element, "<vfiokvm:device> without name=");
	quote(quoted, sizeof(quoted), (const char *)name);
	if (!focus)
		return setting_fail(p, element, "<vfiokvm:device name='%s'> without focus=",
				    quoted);
	if (!xmlStrEqual(focus, BAD_CAST "always")) {
		char value[QUOTE_MAX + 1];

		quote(value, sizeof(value), (const char *)focus);
		return setting_fail(p, element,
				    "<vfiokvm:device name='%s'>: focus='%s' is not 'always'",
				    quoted, value);
	}
	if (strlen((const char *)name) > DEVICE_NAME_MAX)
		return setting_fail(p, element, "<vfiokvm:device name='%s'>: longer than %d bytes",
				    quoted, DEVICE_NAME_MAX);
	for (size_t i = 0; i < p->n_pinned; i++)
		if (strcmp(p->pinned[i].name, (const char *)name) == 0)
			return setting_fail(p, element, "<vfiokvm:device name='%s'> given twice",
					    quoted);
	if (p->n_pinned >= DOMAIN_SOURCES_MAX)
		return setting_fail(p, element, "more than %d <vfiokvm:device>",
				    DOMAIN_SOURCES_MAX);
	pin = &p->pinned[p->n_pinned++];
	memcpy(pin->name, name, strlen((const char *)name) + 1);
	pin->line = (long)xmlGetLineNo(element);
	return 0;
}

/* After the whole document: every pinned device is one of our sources. */
static int pinned_resolve(struct parse *p)
{
	for (size_t i = 0; i < p->n_pinned; i++) {
		char quoted[QUOTE_MAX + 1];
		size_t j;

		for (j = 0; j < p->dom.n_sources; j++)
			if (strcmp(p->dom.sources[j].device, p->pinned[i].name) == 0)
				break;
		if (j < p->dom.n_sources) {
			p->dom.sources[j].pinned = true;
			continue;
		}
		quote(quoted, sizeof(quoted), p->pinned[i].name);
		return diag_set(p->diag, -EINVAL,
				"%s: domain XML line %ld: <vfiokvm:device name='%s'> is not one "
				"of the domain's input sources of ours (" BY_ID_DIR "/%s-%s)",
				p->vm_quoted, p->pinned[i].line, quoted, p->vm_quoted, quoted);
	}
	return 0;
}

/* <vfiokvm:focus-on-start value='yes|no'/> */
static int focus_on_start_parse(struct parse *p, xmlNodePtr element)
{
	char value[16];
	int r = setting_once(p, element, DOMAIN_GIVEN_FOCUS_ON_START);

	if (r >= 0)
		r = setting_value(p, element, value, sizeof(value));
	if (r < 0)
		return r;
	if (strcmp(value, "yes") == 0)
		p->dom.focus_on_start = true;
	else if (strcmp(value, "no") == 0)
		p->dom.focus_on_start = false;
	else
		return setting_fail(p, element,
				    "<vfiokvm:focus-on-start>: value '%s' is not yes or no", value);
	p->dom.given |= DOMAIN_GIVEN_FOCUS_ON_START;
	return 0;
}

/* <vfiokvm:on-stop value='host|next'/> */
static int on_stop_parse(struct parse *p, xmlNodePtr element)
{
	char value[16];
	int r = setting_once(p, element, DOMAIN_GIVEN_ON_STOP);

	if (r >= 0)
		r = setting_value(p, element, value, sizeof(value));
	if (r < 0)
		return r;
	if (focus_on_stop_from_string(value, &p->dom.on_stop) < 0)
		return setting_fail(p, element, "<vfiokvm:on-stop>: value '%s' is not host or next",
				    value);
	p->dom.given |= DOMAIN_GIVEN_ON_STOP;
	return 0;
}

/* <vfiokvm:settings>: one per domain; each setting once (see the top of the file). */
static int settings_parse(struct parse *p, xmlNodePtr settings)
{
	int r = attributes_check(p, settings, NULL);

	if (r < 0)
		return r;
	for (xmlNodePtr child = settings->children; child; child = child->next) {
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (node_is(child, VFIOKVM_XML_NS, "hotkey"))
			r = hotkey_parse(p, child);
		else if (node_is(child, VFIOKVM_XML_NS, "host-keys"))
			r = host_keys_element_parse(p, child);
		else if (node_is(child, VFIOKVM_XML_NS, "device"))
			r = device_element_parse(p, child);
		else if (node_is(child, VFIOKVM_XML_NS, "focus-on-start"))
			r = focus_on_start_parse(p, child);
		else if (node_is(child, VFIOKVM_XML_NS, "on-stop"))
			r = on_stop_parse(p, child);
		else
			r = unknown_element(p, child, "vfio-kvm settings");
		if (r < 0)
			return r;
	}
	return 0;
}

static bool in_our_ns(const xmlNs *ns)
{
	return ns && xmlStrEqual(ns->href, BAD_CAST VFIOKVM_XML_NS);
}

/*
 * Another namespace's metadata: none of ours may hide in it (a <vfiokvm:hotkey>
 * there would otherwise be silently ignored). Walks without recursion.
 */
static int foreign_metadata_check(struct parse *p, xmlNodePtr top)
{
	char where[2 * QUOTE_MAX + 4];
	xmlNodePtr node = top;

	while (node) {
		if (node->type == XML_ELEMENT_NODE) {
			if (in_our_ns(node->ns)) {
				element_quote(where, sizeof(where), top);
				return unknown_element(p, node, where);
			}
			for (const xmlAttr *attr = node->properties; attr; attr = attr->next)
				if (in_our_ns(attr->ns))
					return unknown_attribute(p, node, attr);
		}
		if (node->type == XML_ELEMENT_NODE && node->children) {
			node = node->children;
			continue;
		}
		while (node && node != top && !node->next)
			node = node->parent;
		if (!node || node == top)
			break;
		node = node->next;
	}
	return 0;
}

static int metadata_parse(struct parse *p, xmlNodePtr metadata)
{
	bool have_settings = false;

	for (xmlNodePtr child = metadata->children; child; child = child->next) {
		int r;

		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (!in_our_ns(child->ns)) {
			r = foreign_metadata_check(p, child);
		} else if (node_is(child, VFIOKVM_XML_NS, "settings")) {
			if (have_settings)
				return diag_set(p->diag, -EINVAL,
						"%s: domain XML line %ld: a second "
						"<vfiokvm:settings>; put all settings in one",
						p->vm_quoted, (long)xmlGetLineNo(child));
			have_settings = true;
			r = settings_parse(p, child);
		} else if (node_is(child, VFIOKVM_XML_NS, "hotkey")) {
			/* The bare form, from before <vfiokvm:settings>. */
			r = hotkey_parse(p, child);
		} else {
			r = unknown_element(p, child, "vfio-kvm settings");
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int domain_parse(struct parse *p, xmlNodePtr root)
{
	int r;

	for (xmlNodePtr child = root->children; child; child = child->next) {
		if (node_is(child, NULL, "devices")) {
			for (xmlNodePtr dev = child->children; dev; dev = dev->next) {
				if (!node_is(dev, NULL, "input"))
					continue;
				r = input_parse(p, dev);
				if (r < 0)
					return r;
			}
		} else if (node_is(child, QEMU_XML_NS, "commandline")) {
			r = commandline_parse(p, child);
			if (r < 0)
				return r;
		} else if (node_is(child, NULL, "metadata")) {
			r = metadata_parse(p, child);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int domain_xml_parse(const char *xml, size_t len, struct domain *ret, struct diag *diag)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_xmlfree_ xmlChar *name = NULL;
	_cleanup_(freep) struct parse *p = NULL;
	xmlNodePtr root, name_node = NULL;
	int r = 0;

	if (len > DOMAIN_XML_MAX)
		return diag_set(diag, -EFBIG, "domain XML: %zu bytes, more than %d", len,
				DOMAIN_XML_MAX);
	if (!xml || len == 0)
		return diag_set(diag, -EINVAL, "domain XML: empty document");

	doc = xml_read(xml, len, &r, diag);
	if (!doc)
		return r;
	root = xmlDocGetRootElement(doc);
	if (!root || !node_is(root, NULL, "domain"))
		return diag_set(diag, -EINVAL, "domain XML: the root element is not <domain>");
	r = tree_check_entities(root, diag);
	if (r < 0)
		return r;

	for (xmlNodePtr child = root->children; child && !name_node; child = child->next)
		if (node_is(child, NULL, "name"))
			name_node = child;
	if (name_node)
		name = xmlNodeGetContent(name_node);
	if (!name)
		return diag_set(diag, -EINVAL, "domain XML: no <name>");

	/* struct domain is ~7 KiB: keep it off the hook's stack. */
	p = calloc(1, sizeof(*p));
	if (!p)
		return diag_set(diag, -ENOMEM, "domain XML: out of memory");
	p->diag = diag;
	p->vm = (const char *)name;
	p->vm_len = strlen(p->vm);
	quote(p->vm_quoted, sizeof(p->vm_quoted), p->vm);

	r = domain_parse(p, root);
	if (r >= 0)
		r = pinned_resolve(p);
	if (r < 0)
		return r;

	/* Checked once a source is ours; a longer name is shown truncated otherwise. */
	snprintf(p->dom.name, sizeof(p->dom.name), "%s", p->vm);
	p->dom.name_cut = p->vm_len > VM_NAME_MAX;
	*ret = p->dom;
	return 0;
}

int domain_source_physical_path(const struct domain_source *source, char *buf, size_t size)
{
	int n = snprintf(buf, size, BY_ID_DIR "/%s", source->device);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int domain_source_clone_path(const struct domain *domain, const struct domain_source *source,
			     char *buf, size_t size)
{
	int n = snprintf(buf, size, BY_ID_DIR "/%s-%s", domain->name, source->device);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

const char *source_kind_to_string(enum source_kind kind)
{
	switch (kind) {
	case SOURCE_PASSTHROUGH:
		return "passthrough";
	case SOURCE_EVDEV:
		return "evdev";
	case SOURCE_INPUT_LINUX:
		return "input-linux";
	}
	return "unknown";
}
