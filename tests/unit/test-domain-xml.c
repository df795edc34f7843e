/* SPDX-License-Identifier: MIT */
/* Unit tests of common/domain-xml.c: every form, rule and error path. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/xmlerror.h>

#include "domain-read.h"
#include "domain-xml.h"
#include "test.h"

#define QEMU_NS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
#define VK_NS "xmlns:vfiokvm='" VFIOKVM_XML_NS "'"

static struct domain dom;
static struct diag diag;

static int parse(const char *xml)
{
	memset(&dom, 0, sizeof(dom));
	diag.msg[0] = '\0';
	return domain_xml_parse(xml, strlen(xml), &dom, &diag);
}

/* Builds a document in a static buffer; the name and body are spliced in as is. */
static const char *doc(const char *name, const char *body)
{
	static char buf[64 * 1024];

	snprintf(buf, sizeof(buf), "<domain type='kvm' " QEMU_NS "><name>%s</name>%s</domain>",
		 name, body);
	return buf;
}

static const char *passthrough(const char *path)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "<devices><input type='passthrough' bus='virtio'><source evdev='%s'/></input>"
		 "</devices>",
		 path);
	return buf;
}

static const char *evdev(const char *path, const char *toggle)
{
	static char buf[4096];
	char attr[128] = "";

	if (toggle)
		snprintf(attr, sizeof(attr), " grabToggle='%s'", toggle);
	snprintf(buf, sizeof(buf),
		 "<devices><input type='evdev'><source dev='%s' grab='all' repeat='on'%s/>"
		 "</input></devices>",
		 path, attr);
	return buf;
}

static const char *input_linux(const char *opts)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "<qemu:commandline><qemu:arg value='-object'/><qemu:arg value='%s'/>"
		 "</qemu:commandline>",
		 opts);
	return buf;
}

static const char *toggle_text(const struct keyset *set)
{
	static char buf[KEYSET_TEXT_MAX];

	return keyset_format(set, buf, sizeof(buf)) >= 0 ? buf : "(error)";
}

static char *read_data(const char *name, size_t *ret_len)
{
	char path[1024];
	FILE *f;
	char *buf;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	buf = malloc(256 * 1024);
	n = buf ? fread(buf, 1, 256 * 1024 - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*ret_len = n;
	return buf;
}

/* A document of exactly len bytes: short comments (libxml2 refuses one over 10 MB). */
static void fill_document(char *xml, size_t len)
{
	static const char head[] = "<domain><name>vm1</name>", tail[] = "</domain>";
	static const char comment[] = "<!-- 64 bytes of nothing at all, to make the document larger -->";
	size_t n = strlen(head);

	_Static_assert(sizeof(comment) - 1 == 64, "one comment is 64 bytes");
	memcpy(xml, head, n);
	while (n + 64 + strlen(tail) <= len) {
		memcpy(xml + n, comment, 64);
		n += 64;
	}
	memset(xml + n, ' ', len - strlen(tail) - n);
	memcpy(xml + len - strlen(tail), tail, strlen(tail));
}

TEST(passthrough)
{
	ASSERT_EQ(parse(doc("vm1", passthrough("/dev/input/by-id/vm1-usb-kbd-event-kbd"))), 0);
	ASSERT_STREQ(dom.name, "vm1");
	ASSERT_EQ(dom.n_sources, 1);
	ASSERT_EQ(dom.sources[0].kind, SOURCE_PASSTHROUGH);
	ASSERT_STREQ(dom.sources[0].device, "usb-kbd-event-kbd");
	ASSERT_EQ(dom.sources[0].grab_toggle.n, 0);
	ASSERT_EQ(dom.hotkey.n, 0);
}

TEST(evdev_grab_toggles)
{
	static const struct {
		const char *libvirt, *keys;
	} table[] = {
		{NULL, "KEY_LEFTCTRL+KEY_RIGHTCTRL"},
		{"ctrl-ctrl", "KEY_LEFTCTRL+KEY_RIGHTCTRL"},
		{"alt-alt", "KEY_LEFTALT+KEY_RIGHTALT"},
		{"shift-shift", "KEY_LEFTSHIFT+KEY_RIGHTSHIFT"},
		{"meta-meta", "KEY_LEFTMETA+KEY_RIGHTMETA"},
		{"scrolllock", "KEY_SCROLLLOCK"},
		{"ctrl-scrolllock", "KEY_LEFTCTRL+KEY_SCROLLLOCK"},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		ASSERT_EQ(parse(doc("vm1", evdev("/dev/input/by-id/vm1-kbd", table[i].libvirt))),
			  0);
		ASSERT_EQ(dom.n_sources, 1);
		ASSERT_EQ(dom.sources[0].kind, SOURCE_EVDEV);
		ASSERT_STREQ(dom.sources[0].device, "kbd");
		ASSERT_STREQ(toggle_text(&dom.sources[0].grab_toggle), table[i].keys);
	}
}

TEST(evdev_unknown_grab_toggle)
{
	ASSERT_EQ(parse(doc("vm1", evdev("/dev/input/by-id/vm1-kbd", "ctrl-alt"))), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "vm1: source '/dev/input/by-id/vm1-kbd': unknown grab toggle");
	ASSERT_CONTAINS(diag.msg, "'ctrl-alt'");
	/* Not ours: libvirt's business, not ours. */
	ASSERT_EQ(parse(doc("vm1", evdev("/dev/input/by-id/kbd", "ctrl-alt"))), 0);
	ASSERT_EQ(dom.n_sources, 0);
}

TEST(input_linux)
{
	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,id=kbd0,evdev=/dev/input/by-id/vm1-kbd,"
					       "grab_all=on,repeat=on"))),
		  0);
	ASSERT_EQ(dom.n_sources, 1);
	ASSERT_EQ(dom.sources[0].kind, SOURCE_INPUT_LINUX);
	ASSERT_STREQ(dom.sources[0].device, "kbd");
	ASSERT_STREQ(toggle_text(&dom.sources[0].grab_toggle), "KEY_LEFTCTRL+KEY_RIGHTCTRL");

	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,evdev=/dev/input/by-id/vm1-kbd,"
					       "grab-toggle=shift-shift,id=k"))),
		  0);
	ASSERT_STREQ(toggle_text(&dom.sources[0].grab_toggle), "KEY_LEFTSHIFT+KEY_RIGHTSHIFT");
	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,grab-toggle=meta-meta,"
					       "evdev=/dev/input/by-id/vm1-kbd"))),
		  0);
	ASSERT_STREQ(toggle_text(&dom.sources[0].grab_toggle), "KEY_LEFTMETA+KEY_RIGHTMETA");

	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,evdev=/dev/input/by-id/vm1-kbd,"
					       "grab-toggle=bogus"))),
		  -EINVAL);
	ASSERT_CONTAINS(diag.msg, "unknown grab toggle 'bogus'");
	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,evdev=/dev/input/by-id/vm1-a,"
					       "evdev=/dev/input/by-id/vm1-b"))),
		  -EINVAL);
	ASSERT_CONTAINS(diag.msg, "'evdev' given twice");
	/* No evdev= at all: QEMU's problem, not a source of ours. */
	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,id=x,grab_all"))), 0);
	ASSERT_EQ(dom.n_sources, 0);
}

TEST(input_linux_escaped_commas)
{
	/* ",," keeps evdev= inside id's value. */
	ASSERT_EQ(
	    parse(doc("vm1", input_linux("input-linux,id=a,,evdev=/dev/input/by-id/vm1-kbd"))), 0);
	ASSERT_EQ(dom.n_sources, 0);
	ASSERT_EQ(
	    parse(doc("vm1", input_linux("input-linux,id=a,,,,b,evdev=/dev/input/by-id/vm1-kbd,"
					 "grab-toggle=alt-alt"))),
	    0);
	ASSERT_EQ(dom.n_sources, 1);
	ASSERT_STREQ(dom.sources[0].device, "kbd");
	ASSERT_STREQ(toggle_text(&dom.sources[0].grab_toggle), "KEY_LEFTALT+KEY_RIGHTALT");
	/* An escaped comma in the path is a literal comma in <dev>: refused. */
	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,evdev=/dev/input/by-id/vm1-a,,b"))),
		  -EINVAL);
	ASSERT_CONTAINS(diag.msg, "vm1: source '/dev/input/by-id/vm1-a,b'");
	ASSERT_CONTAINS(diag.msg, "0x2c");
	/* The type itself with an escaped comma is another type. */
	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,,evdev=/dev/input/by-id/vm1-kbd"))), 0);
	ASSERT_EQ(dom.n_sources, 0);
	/* A trailing comma ends the list. */
	ASSERT_EQ(parse(doc("vm1", input_linux("input-linux,evdev=/dev/input/by-id/vm1-kbd,"))), 0);
	ASSERT_EQ(dom.n_sources, 1);
}

TEST(input_linux_argument_forms)
{
	static const char *const ignored[] = {
		/* single-argument form */
		"<qemu:commandline><qemu:arg value='-object input-linux,evdev=/dev/input/by-id/"
		"vm1-kbd'/></qemu:commandline>",
		/* no -object before it */
		"<qemu:commandline><qemu:arg value='input-linux,evdev=/dev/input/by-id/vm1-kbd'/>"
		"</qemu:commandline>",
		/* "-object" is the value of the first -object */
		"<qemu:commandline><qemu:arg value='-object'/><qemu:arg value='-object'/>"
		"<qemu:arg value='input-linux,evdev=/dev/input/by-id/vm1-kbd'/></qemu:commandline>",
		/* another object type */
		"<qemu:commandline><qemu:arg value='-object'/><qemu:arg value='iothread,id=io1'/>"
		"<qemu:arg value='-object'/></qemu:commandline>",
		/* arguments in another namespace */
		"<x:commandline xmlns:x='urn:x'><x:arg value='-object'/>"
		"<x:arg value='input-linux,evdev=/dev/input/by-id/vm1-kbd'/></x:commandline>",
	};

	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		ASSERT_EQ(parse(doc("vm1", ignored[i])), 0);
		ASSERT_EQ(dom.n_sources, 0);
	}
	/* --object, an env in between, two objects after another -object type. */
	ASSERT_EQ(parse(doc("vm1", "<qemu:commandline><qemu:arg value='-object'/>"
				   "<qemu:arg value='iothread,id=io1'/><qemu:arg value='--object'/>"
				   "<qemu:env name='A' value='b'/>"
				   "<qemu:arg value='input-linux,evdev=/dev/input/by-id/vm1-a'/>"
				   "<qemu:arg value='-object'/>"
				   "<qemu:arg value='input-linux,evdev=/dev/input/by-id/vm1-b'/>"
				   "</qemu:commandline>")),
		  0);
	ASSERT_EQ(dom.n_sources, 2);
	ASSERT_STREQ(dom.sources[0].device, "a");
	ASSERT_STREQ(dom.sources[1].device, "b");
}

TEST(metadata_hotkey)
{
	ASSERT_EQ(parse(doc("vm1", "<metadata><other xmlns='urn:other'><key value='x'/></other>"
				   "<vfiokvm:hotkey " VK_NS "><vfiokvm:key value='KEY_RIGHTCTRL'/>"
				   "<!-- comment --><vfiokvm:key value='KEY_1'/>"
				   "</vfiokvm:hotkey></metadata>")),
		  0);
	ASSERT_EQ(dom.n_sources, 0);
	ASSERT_STREQ(toggle_text(&dom.hotkey), "KEY_RIGHTCTRL+KEY_1");
	/* Default namespace declaration works the same. */
	ASSERT_EQ(parse(doc("vm1", "<metadata><hotkey xmlns='" VFIOKVM_XML_NS "'>"
				   "<key value='KEY_F12'/></hotkey></metadata>")),
		  0);
	ASSERT_STREQ(toggle_text(&dom.hotkey), "KEY_F12");
	/* A hotkey outside our namespace is someone else's. */
	ASSERT_EQ(parse(doc("vm1", "<metadata><hotkey><key value='nope'/></hotkey></metadata>")),
		  0);
	ASSERT_EQ(dom.hotkey.n, 0);
}

TEST(metadata_hotkey_errors)
{
	static const struct {
		const char *keys, *message;
		int error;
	} table[] = {
		{"<vfiokvm:key value='KEY_NOPE'/>", "unknown key name 'KEY_NOPE'", -EINVAL},
		{"", "has no <key>", -EINVAL},
		{"<!-- only a comment -->", "has no <key>", -EINVAL},
		{"<vfiokvm:key/>", "without value", -EINVAL},
		{"<vfiokvm:key value=''/>", "not one key name", -EINVAL},
		{"<vfiokvm:key value='KEY_A+KEY_B'/>", "not one key name", -EINVAL},
		{"<vfiokvm:key value='KEY_A'/><vfiokvm:key value='KEY_A'/>", "twice", -EINVAL},
		{"<vfiokvm:key value='KEY_A'/><vfiokvm:key value='KEY_B'/><vfiokvm:key value='KEY_C'/>"
	     "<vfiokvm:key value='KEY_D'/><vfiokvm:key value='KEY_E'/><vfiokvm:key value='KEY_F'/>"
	     "<vfiokvm:key value='KEY_G'/><vfiokvm:key value='KEY_H'/><vfiokvm:key value='KEY_I'/>",
	     "more than 8 keys", -E2BIG},
	};
	char body[2048];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		snprintf(body, sizeof(body),
			 "<metadata><vfiokvm:hotkey " VK_NS ">%s</vfiokvm:hotkey></metadata>",
			 table[i].keys);
		ASSERT_EQ(parse(doc("vm1", body)), table[i].error);
		ASSERT_CONTAINS(diag.msg, "vm1: metadata");
		ASSERT_CONTAINS(diag.msg, table[i].message);
	}
	/* Eight keys is the limit, not an error. */
	ASSERT_EQ(parse(doc("vm1", "<metadata><vfiokvm:hotkey " VK_NS ">"
				   "<vfiokvm:key value='KEY_A'/><vfiokvm:key value='KEY_B'/>"
				   "<vfiokvm:key value='KEY_C'/><vfiokvm:key value='KEY_D'/>"
				   "<vfiokvm:key value='KEY_E'/><vfiokvm:key value='KEY_F'/>"
				   "<vfiokvm:key value='KEY_G'/><vfiokvm:key value='KEY_H'/>"
				   "</vfiokvm:hotkey></metadata>")),
		  0);
	ASSERT_EQ(dom.hotkey.n, 8);
	ASSERT_EQ(
	    parse(doc("vm1", "<metadata><vfiokvm:hotkey " VK_NS "><vfiokvm:key value='KEY_A'/>"
			     "</vfiokvm:hotkey><vfiokvm:hotkey " VK_NS ">"
			     "<vfiokvm:key value='KEY_B'/></vfiokvm:hotkey></metadata>")),
	    -EINVAL);
	ASSERT_CONTAINS(diag.msg, "more than one <hotkey>");
}

/* The original vfio-kvm's form, as its documentation writes it. */
static const char settings_verbatim[] =
	"<metadata>\n"
	"  <vfiokvm:settings xmlns:vfiokvm=\"https://kvm.vfio/xmlns/libvirt/domain/1.0\">\n"
	"    <vfiokvm:hotkey>\n"
	"      <vfiokvm:key value=\"KEY_LEFTCTRL\"/>\n"
	"      <vfiokvm:key value=\"KEY_LEFTALT\"/>\n"
	"      <vfiokvm:key value=\"KEY_KP1\"/>\n"
	"    </vfiokvm:hotkey>\n"
	"  </vfiokvm:settings>\n"
	"</metadata>";

TEST(metadata_settings)
{
	ASSERT_EQ(parse(doc("vm1", settings_verbatim)), 0);
	ASSERT_STREQ(toggle_text(&dom.hotkey), "KEY_LEFTCTRL+KEY_LEFTALT+KEY_KP1");
	/* Any prefix, or the default namespace; other namespaces around it. */
	ASSERT_EQ(parse(doc("vm1", "<metadata><libosinfo:libosinfo xmlns:libosinfo='http://"
				   "libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='x'/>"
				   "</libosinfo:libosinfo><vk:settings xmlns:vk='" VFIOKVM_XML_NS
				   "'><vk:hotkey><vk:key value='KEY_F12'/></vk:hotkey></vk:settings>"
				   "</metadata>")),
		  0);
	ASSERT_STREQ(toggle_text(&dom.hotkey), "KEY_F12");
	ASSERT_EQ(parse(doc("vm1", "<metadata><settings xmlns='" VFIOKVM_XML_NS "'><hotkey>"
				   "<key value='KEY_F11'/></hotkey></settings></metadata>")),
		  0);
	ASSERT_STREQ(toggle_text(&dom.hotkey), "KEY_F11");
	/* Settings without a hotkey: none. */
	ASSERT_EQ(parse(doc("vm1", "<metadata><vfiokvm:settings " VK_NS "/></metadata>")), 0);
	ASSERT_EQ(dom.hotkey.n, 0);
	ASSERT_EQ(parse(doc("vm1", "<metadata><vfiokvm:settings " VK_NS ">\n  <!-- none -->\n"
				   "</vfiokvm:settings></metadata>")),
		  0);
	ASSERT_EQ(dom.hotkey.n, 0);
	/* The bare hotkey beside settings without one. */
	ASSERT_EQ(parse(doc("vm1", "<metadata><vfiokvm:settings " VK_NS "/><vfiokvm:hotkey " VK_NS
				   "><vfiokvm:key value='KEY_F10'/></vfiokvm:hotkey></metadata>")),
		  0);
	ASSERT_STREQ(toggle_text(&dom.hotkey), "KEY_F10");
}

/* Everything of our namespace that we do not know: an error naming it and its line. */
TEST(metadata_settings_unknown)
{
	static const struct {
		const char *metadata, *message;
	} table[] = {
		{ "<vfiokvm:settings " VK_NS ">\n<vfiokvm:foo/></vfiokvm:settings>",
		  "vm1: domain XML line 2: unknown element <vfiokvm:foo> in vfio-kvm settings" },
		{ "<vfiokvm:settings " VK_NS ">\n<vfiokvm:hotkey>\n<vfiokvm:key value='KEY_A'/>"
		  "</vfiokvm:hotkey>\n<vfiokvm:cycle/></vfiokvm:settings>",
		  "vm1: domain XML line 4: unknown element <vfiokvm:cycle> in vfio-kvm settings" },
		{ "<vfiokvm:settings " VK_NS "><hotkey xmlns=''><key value='KEY_A'/></hotkey>"
		  "</vfiokvm:settings>",
		  "vm1: domain XML line 1: unknown element <hotkey> in vfio-kvm settings" },
		{ "<vfiokvm:settings " VK_NS "><o:x xmlns:o='urn:o'/></vfiokvm:settings>",
		  "vm1: domain XML line 1: unknown element <o:x> in vfio-kvm settings" },
		{ "<vfiokvm:settings " VK_NS "><vfiokvm:hotkey>\n\n<vfiokvm:button value='KEY_A'/>"
		  "</vfiokvm:hotkey></vfiokvm:settings>",
		  "vm1: domain XML line 3: unknown element <vfiokvm:button> in <vfiokvm:hotkey>" },
		{ "<vfiokvm:hotkey " VK_NS "><key value='KEY_A'/></vfiokvm:hotkey>",
		  "vm1: domain XML line 1: unknown element <key> in <vfiokvm:hotkey>" },
		{ "<vfiokvm:settings " VK_NS "/>\n<vfiokvm:settings " VK_NS "/>",
		  "vm1: domain XML line 2: a second <vfiokvm:settings>" },
		{ "<vfiokvm:settings " VK_NS " version='2'/>",
		  "vm1: domain XML line 1: unknown attribute 'version' on <vfiokvm:settings>" },
		{ "<vfiokvm:settings " VK_NS "><vfiokvm:hotkey when='always'><vfiokvm:key "
		  "value='KEY_A'/></vfiokvm:hotkey></vfiokvm:settings>",
		  "vm1: domain XML line 1: unknown attribute 'when' on <vfiokvm:hotkey>" },
		{ "<vfiokvm:settings " VK_NS "><vfiokvm:hotkey>\n<vfiokvm:key value='KEY_A' "
		  "code='30'/></vfiokvm:hotkey></vfiokvm:settings>",
		  "vm1: domain XML line 2: unknown attribute 'code' on <vfiokvm:key>" },
		{ "<vfiokvm:settings " VK_NS "><vfiokvm:hotkey><vfiokvm:key vfiokvm:value='KEY_A'/>"
		  "</vfiokvm:hotkey></vfiokvm:settings>",
		  "vm1: domain XML line 1: unknown attribute 'vfiokvm:value' on <vfiokvm:key>" },
		{ "<vfiokvm:hotkeys " VK_NS "/>",
		  "vm1: domain XML line 1: unknown element <vfiokvm:hotkeys> in vfio-kvm settings" },
		{ "<o:data xmlns:o='urn:o'>\n<o:x><vfiokvm:hotkey " VK_NS "/></o:x></o:data>",
		  "vm1: domain XML line 2: unknown element <vfiokvm:hotkey> in <o:data>" },
		{ "<o:data xmlns:o='urn:o' " VK_NS "><o:x vfiokvm:hotkey='KEY_A'/></o:data>",
		  "vm1: domain XML line 1: unknown attribute 'vfiokvm:hotkey' on <o:x>" },
		{ "<vfiokvm:settings " VK_NS "><vfiokvm:hotkey><vfiokvm:key value='KEY_A'/>"
		  "</vfiokvm:hotkey><vfiokvm:hotkey><vfiokvm:key value='KEY_B'/></vfiokvm:hotkey>"
		  "</vfiokvm:settings>",
		  "vm1: metadata: more than one <hotkey>" },
		{ "<vfiokvm:settings " VK_NS "><vfiokvm:hotkey><vfiokvm:key value='KEY_A'/>"
		  "</vfiokvm:hotkey></vfiokvm:settings><vfiokvm:hotkey " VK_NS "><vfiokvm:key "
		  "value='KEY_B'/></vfiokvm:hotkey>",
		  "vm1: metadata: more than one <hotkey>" },
		{ "<vfiokvm:settings " VK_NS "><vfiokvm:hotkey><vfiokvm:key value='KEY_NOPE'/>"
		  "</vfiokvm:hotkey></vfiokvm:settings>",
		  "unknown key name 'KEY_NOPE'" },
	};
	char body[2048];

	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		snprintf(body, sizeof(body), "<metadata>%s</metadata>", table[i].metadata);
		if (parse(doc("vm1", body)) != -EINVAL || !strstr(diag.msg, table[i].message))
			TEST_FAIL("case %zu: '%s', want '%s'", i, diag.msg, table[i].message);
		ASSERT_EQ(dom.hotkey.n, 0);
	}
	/* What is not ours stays someone else's, attributes without a namespace too. */
	ASSERT_EQ(parse(doc("vm1", "<metadata><o:data xmlns:o='urn:o' value='x' hotkey='y'>"
				   "<o:settings><o:hotkey/></o:settings></o:data></metadata>")),
		  0);
	/* Our namespace outside <metadata> is not looked at. */
	ASSERT_EQ(parse(doc("vm1", "<description>x</description><vfiokvm:foo " VK_NS "/>")), 0);
}

/* Two sources of ours, kbd and pad, and SETTINGS inside <vfiokvm:settings>. */
static const char *with_settings(const char *settings)
{
	static char body[16384];

	snprintf(body, sizeof(body),
		 "<metadata>\n<vfiokvm:settings " VK_NS ">\n%s\n</vfiokvm:settings>\n</metadata>"
		 "<devices><input type='passthrough' bus='virtio'><source "
		 "evdev='/dev/input/by-id/vm1-kbd'/></input><input type='passthrough' "
		 "bus='virtio'><source evdev='/dev/input/by-id/vm1-pad'/></input></devices>",
		 settings);
	return doc("vm1", body);
}

TEST(routing_settings)
{
	char text[KEYLIST_TEXT_MAX];

	/* None given: nothing set, nothing pinned. */
	ASSERT_EQ(parse(with_settings("")), 0);
	ASSERT_EQ(dom.given, 0);
	ASSERT_FALSE(dom.sources[0].pinned);

	ASSERT_EQ(parse(with_settings(
		      "<vfiokvm:host-keys><vfiokvm:key value='KEY_VOLUMEUP'/>\n"
		      "<vfiokvm:key value='KEY_MUTE'/></vfiokvm:host-keys>\n"
		      "<vfiokvm:device name='pad' focus='always'/>\n"
		      "<vfiokvm:focus-on-start value='yes'/><vfiokvm:on-stop value='host'/>")),
		  0);
	ASSERT_EQ(dom.given, DOMAIN_GIVEN_HOST_KEYS | DOMAIN_GIVEN_FOCUS_ON_START |
				     DOMAIN_GIVEN_ON_STOP);
	ASSERT_TRUE(keylist_format(&dom.host_keys, text, sizeof(text)) > 0);
	ASSERT_STREQ(text, "KEY_MUTE,KEY_VOLUMEUP");
	ASSERT_FALSE(dom.sources[0].pinned);
	ASSERT_TRUE(dom.sources[1].pinned);
	ASSERT_TRUE(dom.focus_on_start);
	ASSERT_EQ(dom.on_stop, FOCUS_ON_STOP_HOST);

	/* The other values; an empty host-keys is "none", and set. */
	ASSERT_EQ(parse(with_settings("<vfiokvm:host-keys/><vfiokvm:focus-on-start value='no'/>"
				      "<vfiokvm:on-stop value='next'/>")),
		  0);
	ASSERT_EQ(dom.given, DOMAIN_GIVEN_HOST_KEYS | DOMAIN_GIVEN_FOCUS_ON_START |
				     DOMAIN_GIVEN_ON_STOP);
	ASSERT_EQ(dom.host_keys.n, 0);
	ASSERT_FALSE(dom.focus_on_start);
	ASSERT_EQ(dom.on_stop, FOCUS_ON_STOP_NEXT);

	/* <metadata> before or after <devices>: the device is found either way. */
	ASSERT_EQ(parse(doc("vm1", "<devices><input type='passthrough' bus='virtio'><source "
				   "evdev='/dev/input/by-id/vm1-pad'/></input></devices><metadata>"
				   "<vfiokvm:settings " VK_NS "><vfiokvm:device name='pad' "
				   "focus='always'/></vfiokvm:settings></metadata>")),
		  0);
	ASSERT_TRUE(dom.sources[0].pinned);
}

/* Each routing setting's errors: the element and its line named. */
TEST(routing_settings_errors)
{
	static const struct {
		const char *settings, *message;
	} table[] = {
		{ "<vfiokvm:host-keys><vfiokvm:key value='KEY_NOPE'/></vfiokvm:host-keys>",
		  "vm1: domain XML line 3: host keys: unknown key name 'KEY_NOPE'" },
		{ "<vfiokvm:host-keys><vfiokvm:key value='KEY_A'/>\n<vfiokvm:key value='KEY_A'/>"
		  "</vfiokvm:host-keys>",
		  "vm1: domain XML line 4: host keys: key 'KEY_A' given twice" },
		{ "<vfiokvm:host-keys><vfiokvm:key value='KEY_A+KEY_B'/></vfiokvm:host-keys>",
		  "vm1: domain XML line 3: host keys: unknown key name 'KEY_A+KEY_B'" },
		{ "<vfiokvm:host-keys><vfiokvm:key/></vfiokvm:host-keys>",
		  "vm1: domain XML line 3: <vfiokvm:key> without value=" },
		{ "<vfiokvm:host-keys><vfiokvm:button value='KEY_A'/></vfiokvm:host-keys>",
		  "vm1: domain XML line 3: unknown element <vfiokvm:button> in "
		  "<vfiokvm:host-keys>, want <vfiokvm:key>" },
		{ "<vfiokvm:host-keys mode='x'/>",
		  "vm1: domain XML line 3: unknown attribute 'mode' on <vfiokvm:host-keys>" },
		{ "<vfiokvm:host-keys/>\n<vfiokvm:host-keys/>",
		  "vm1: domain XML line 4: <vfiokvm:host-keys> given twice" },
		{ "<vfiokvm:device name='mouse' focus='always'/>",
		  "vm1: domain XML line 3: <vfiokvm:device name='mouse'> is not one of the "
		  "domain's input sources of ours (/dev/input/by-id/vm1-mouse)" },
		{ "<vfiokvm:device name='pad' focus='follow'/>",
		  "vm1: domain XML line 3: <vfiokvm:device name='pad'>: focus='follow' is not "
		  "'always'" },
		{ "<vfiokvm:device name='pad'/>",
		  "vm1: domain XML line 3: <vfiokvm:device name='pad'> without focus=" },
		{ "<vfiokvm:device focus='always'/>",
		  "vm1: domain XML line 3: <vfiokvm:device> without name=" },
		{ "<vfiokvm:device name='pad' focus='always' grab='yes'/>",
		  "vm1: domain XML line 3: unknown attribute 'grab' on <vfiokvm:device>" },
		{ "<vfiokvm:device name='pad' focus='always'/>\n"
		  "<vfiokvm:device name='pad' focus='always'/>",
		  "vm1: domain XML line 4: <vfiokvm:device name='pad'> given twice" },
		{ "<vfiokvm:focus-on-start value='maybe'/>",
		  "vm1: domain XML line 3: <vfiokvm:focus-on-start>: value 'maybe' is not yes or "
		  "no" },
		{ "<vfiokvm:focus-on-start/>",
		  "vm1: domain XML line 3: <vfiokvm:focus-on-start> without value=" },
		{ "<vfiokvm:focus-on-start value='yes'/>\n<vfiokvm:focus-on-start value='no'/>",
		  "vm1: domain XML line 4: <vfiokvm:focus-on-start> given twice" },
		{ "<vfiokvm:on-stop value='previous'/>",
		  "vm1: domain XML line 3: <vfiokvm:on-stop>: value 'previous' is not host or "
		  "next" },
		{ "<vfiokvm:on-stop value='host' when='x'/>",
		  "vm1: domain XML line 3: unknown attribute 'when' on <vfiokvm:on-stop>" },
		{ "<vfiokvm:on-stop value='host'/><vfiokvm:on-stop value='next'/>",
		  "vm1: domain XML line 3: <vfiokvm:on-stop> given twice" },
		{ "<vfiokvm:on-stop><vfiokvm:x/></vfiokvm:on-stop>",
		  "vm1: domain XML line 3: <vfiokvm:on-stop> without value=" },
		{ "<vfiokvm:focus_on_start value='yes'/>",
		  "vm1: domain XML line 3: unknown element <vfiokvm:focus_on_start> in vfio-kvm "
		  "settings" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (parse(with_settings(table[i].settings)) != -EINVAL ||
		    strcmp(diag.msg, table[i].message) != 0)
			TEST_FAIL("case %zu: '%s', want '%s'", i, diag.msg, table[i].message);
	/* The bare form is for the hotkey only. */
	ASSERT_EQ(parse(doc("vm1", "<metadata><vfiokvm:on-stop " VK_NS
				   " value='host'/></metadata>")),
		  -EINVAL);
	ASSERT_STREQ(diag.msg, "vm1: domain XML line 1: unknown element <vfiokvm:on-stop> in "
			       "vfio-kvm settings");
}

/* host_keys are bounded: KEYLIST_MAX keys, no more. */
TEST(routing_host_keys_limit)
{
	char settings[8192];
	size_t n = 0;

	n += (size_t)snprintf(settings + n, sizeof(settings) - n, "<vfiokvm:host-keys>");
	/* KEY_F1 … KEY_F24, then KEY_A … */
	for (int i = 0; i < KEYLIST_MAX; i++)
		n += (size_t)snprintf(settings + n, sizeof(settings) - n,
				      i < 24 ? "<vfiokvm:key value='KEY_F%d'/>"
					     : "<vfiokvm:key value='KEY_%c'/>",
				      i < 24 ? i + 1 : 'A' + i - 24);
	snprintf(settings + n, sizeof(settings) - n, "</vfiokvm:host-keys>");
	ASSERT_EQ(parse(with_settings(settings)), 0);
	ASSERT_EQ(dom.host_keys.n, KEYLIST_MAX);
	snprintf(settings + n, sizeof(settings) - n,
		 "<vfiokvm:key value='KEY_MUTE'/></vfiokvm:host-keys>");
	ASSERT_EQ(parse(with_settings(settings)), -EINVAL);
	ASSERT_STREQ(diag.msg, "vm1: domain XML line 3: host keys: more than 32 keys");
}

/* The documented example parses as it says. */
TEST(example_win10)
{
	_cleanup_(freep) char *xml = NULL;
	size_t len;

	xml = read_data("../../../examples/win10.xml", &len);
	ASSERT_TRUE(xml != NULL);
	ASSERT_EQ(domain_xml_parse(xml, len, &dom, &diag), 0);
	ASSERT_STREQ(dom.name, "win10");
	ASSERT_EQ(dom.n_sources, 2);
	ASSERT_STREQ(toggle_text(&dom.hotkey), "KEY_LEFTCTRL+KEY_LEFTALT+KEY_KP1");
}

/* ---- the "is it ours" scan (common/domain-read.c) ---- */

/* The scan over every split of text into two chunks agrees with the whole. */
static int scan_split(const char *text, const char *vm)
{
	size_t len = strlen(text);
	int whole = domain_xml_names_ours(text, len, vm);

	for (size_t cut = 0; cut <= len; cut++) {
		_cleanup_(domain_scan_freep) struct domain_scan *scan = NULL;
		bool found;

		if (domain_scan_new(vm, &scan) < 0)
			return -ENOMEM;
		found = domain_scan_feed(scan, text, cut);
		found = domain_scan_feed(scan, text + cut, len - cut) || found;
		if (found != (whole == 1)) {
			printf("# '%s' cut at %zu: %d, whole: %d\n", text, cut, found, whole);
			return -EBADMSG;
		}
	}
	return whole;
}

TEST(scan_finds_the_path)
{
	ASSERT_EQ(scan_split("<source evdev='/dev/input/by-id/vm1-kbd'/>", "vm1"), 1);
	ASSERT_EQ(scan_split("<source evdev='/dev/input/by-id/vm1-kbd'/>", "vm"), 0);
	ASSERT_EQ(scan_split("<source evdev='/dev/input/by-id/vm1-kbd'/>", "vm1-k"), 0);
	ASSERT_EQ(scan_split("<source evdev='/dev/input/by-id/vm10-kbd'/>", "vm1"), 0);
	ASSERT_EQ(scan_split("<source evdev='/dev/input/by-id/vm1'/>", "vm1"), 0);
	ASSERT_EQ(scan_split("/dev/input/by-id//vm1-kbd /dev/input/by-id/./vm1-kbd", "vm1"), 0);
	ASSERT_EQ(scan_split("/dev/input/event3 /dev/input/by-path/vm1-kbd", "vm1"), 0);
	/* Anywhere: a comment, text, a qemu:arg. */
	ASSERT_EQ(scan_split("<!--/dev/input/by-id/vm1-->", "vm1"), 1);
	ASSERT_EQ(scan_split("<qemu:arg value='input-linux,id=k,evdev=/dev/input/by-id/vm1-k'/>",
			     "vm1"),
		  1);
	/* A partial match restarts where the text allows it (KMP borders). */
	ASSERT_EQ(scan_split("/dev/input/by-id/a/dev/input/by-id/a/dev/input/by-id/a-x",
			     "a/dev/input/by-id/a"),
		  1);
	ASSERT_EQ(scan_split("/dev/input/by-id/aa/dev/input/by-id/aaa-", "aa"), 0);
	ASSERT_EQ(scan_split("/dev/input/by-id/aa/dev/input/by-id/aa-", "aa"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/ababab-", "abab"), 0);
	ASSERT_EQ(scan_split("/dev/input/by-id/abab/dev/input/by-id/abab-", "abab"), 1);
	/* Names with spaces, UTF-8, 200 bytes. */
	ASSERT_EQ(scan_split("/dev/input/by-id/My VM-kbd", "My VM"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/Développement-kbd", "Développement"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/D&#xe9;veloppement-kbd", "Développement"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/D&#233;veloppement-kbd", "Développement"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/&#x958B;&#30330;-kbd", "開発"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/&#x1F600;-kbd", "\xf0\x9f\x98\x80"), 1);
}

/* libvirt escapes & < > ' " in attribute values; any reference is decoded. */
TEST(scan_decodes_references)
{
	ASSERT_EQ(scan_split("/dev/input/by-id/a&amp;b-kbd", "a&b"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&b-kbd", "a&b"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&amp;b-kbd", "a&amp;b"), 0);
	ASSERT_EQ(scan_split("/dev/input/by-id/&lt;&gt;&apos;&quot;-kbd", "<>'\""), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/&#60;&#x3e;&#39;&#X22;-kbd", "<>'\""), 0);
	ASSERT_EQ(scan_split("/dev/input/by-id/&#60;&#x3e;&#39;&#x22;-kbd", "<>'\""), 1);
	ASSERT_EQ(scan_split("&#x2f;dev&#47;input/by-id/vm1&#45;kbd", "vm1"), 1);
	/* Not references: their bytes as written. */
	ASSERT_EQ(scan_split("/dev/input/by-id/a&;-", "a&;"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&nbsp;-", "a&nbsp;"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&#xZZ;-", "a&#xZZ;"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&&amp;-", "a&&"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&b c-", "a&b c"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&#x110000;-", "a&#x110000;"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&#x0000000000041;-", "a&#x0000000000041;"), 1);
	ASSERT_EQ(scan_split("/dev/input/by-id/a&amp", "a&amp"), 0);
}

/* Reading from a pipe: what the hook does with its stdin. */
static int read_if_ours_from(const char *text, size_t len, const char *vm)
{
	int p[2], r;
	pid_t pid;

	memset(&dom, 0, sizeof(dom));
	diag.msg[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		size_t n = 0;

		close(p[0]);
		while (n < len) {
			ssize_t k = write(p[1], text + n, len - n);
			if (k <= 0)
				_exit(1);
			n += (size_t)k;
		}
		_exit(0);
	}
	close(p[1]);
	r = domain_read_if_ours(p[0], "stdin", vm, &dom, &diag);
	close(p[0]);
	waitpid(pid, NULL, 0);
	return r;
}

TEST(read_if_ours)
{
	static const char ours[] = "<domain><name>vm1</name><devices><input type='passthrough'>"
				   "<source evdev='/dev/input/by-id/vm1-kbd'/></input></devices>"
				   "</domain>";
	_cleanup_(freep) char *big = malloc(DOMAIN_XML_MAX + 2);

	ASSERT_EQ(read_if_ours_from(ours, strlen(ours), "vm1"), 1);
	ASSERT_EQ(dom.n_sources, 1);
	ASSERT_STREQ(dom.sources[0].device, "kbd");
	ASSERT_EQ(read_if_ours_from(ours, strlen(ours), "vm2"), 0);
	ASSERT_STREQ(diag.msg, "");
	ASSERT_EQ(read_if_ours_from("", 0, "vm1"), 0);
	ASSERT_EQ(read_if_ours_from("<<<&&&", 6, "vm1"), 0);
	/* Named, but by no input: ours to read, nothing to clone. */
	ASSERT_EQ(read_if_ours_from("<domain><name>vm1</name><description>/dev/input/by-id/vm1-"
				    "x</description></domain>",
				    strlen("<domain><name>vm1</name><description>/dev/input/by-id/"
					   "vm1-x</description></domain>"),
				    "vm1"),
		  1);
	ASSERT_EQ(dom.n_sources, 0);

	/* Exactly the limit is read; one byte more of a domain of ours is refused. */
	ASSERT_TRUE(big != NULL);
	fill_document(big, DOMAIN_XML_MAX);
	memcpy(big + DOMAIN_XML_MAX - 40, "<!--/dev/input/by-id/vm1-x-->", 29);
	ASSERT_EQ(read_if_ours_from(big, DOMAIN_XML_MAX, "vm1"), 1);
	fill_document(big, DOMAIN_XML_MAX + 1);
	ASSERT_EQ(read_if_ours_from(big, DOMAIN_XML_MAX + 1, "vm1"), 0);
	memcpy(big + DOMAIN_XML_MAX - 40, "<!--/dev/input/by-id/vm1-x-->", 29);
	ASSERT_EQ(read_if_ours_from(big, DOMAIN_XML_MAX + 1, "vm1"), -EFBIG);
	ASSERT_STREQ(diag.msg, "vm1: the domain XML from stdin is larger than 16777216 bytes");

	/* A <name> longer than ours that starts like it is not ours. */
	ASSERT_EQ(read_if_ours_from("<domain><name>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaab</name><!--/dev/input/by-id/aaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x--></domain>",
				    strlen("<domain><name>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					   "aaaaaaaaaaaaaaaaaaab</name><!--/dev/input/by-id/aaaaaa"
					   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
					   "aaaa-x--></domain>"),
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		  -EINVAL);
	ASSERT_CONTAINS(diag.msg, "the domain XML from stdin is for 'aaaa");
	ASSERT_CONTAINS(diag.msg, "aaaa...'");
}

TEST(full_domain_ours)
{
	_cleanup_(freep) char *xml = NULL;
	size_t len;

	xml = read_data("domain-ours.xml", &len);
	ASSERT_TRUE(xml);
	ASSERT_EQ(domain_xml_parse(xml, len, &dom, &diag), 0);
	ASSERT_STREQ(dom.name, "win11");
	ASSERT_EQ(dom.n_sources, 3);
	ASSERT_EQ(dom.sources[0].kind, SOURCE_PASSTHROUGH);
	ASSERT_STREQ(dom.sources[0].device, "usb-Logitech_USB_Receiver-if02-event-mouse");
	ASSERT_EQ(dom.sources[1].kind, SOURCE_EVDEV);
	ASSERT_STREQ(dom.sources[1].device, "usb-Corsair_K70_RGB-event-kbd");
	ASSERT_STREQ(toggle_text(&dom.sources[1].grab_toggle), "KEY_SCROLLLOCK");
	ASSERT_EQ(dom.sources[2].kind, SOURCE_INPUT_LINUX);
	ASSERT_STREQ(dom.sources[2].device, "usb-Sony_Wireless_Controller-event-joystick");
	ASSERT_STREQ(toggle_text(&dom.sources[2].grab_toggle), "KEY_LEFTCTRL+KEY_SCROLLLOCK");
	ASSERT_STREQ(toggle_text(&dom.hotkey), "KEY_LEFTCTRL+KEY_F1");
}

TEST(full_domain_not_ours)
{
	_cleanup_(freep) char *xml = NULL;
	size_t len;

	xml = read_data("domain-not-ours.xml", &len);
	ASSERT_TRUE(xml);
	ASSERT_EQ(domain_xml_parse(xml, len, &dom, &diag), 0);
	ASSERT_STREQ(dom.name, "linux-desktop");
	ASSERT_EQ(dom.n_sources, 0);
	ASSERT_EQ(dom.hotkey.n, 0);
}

TEST(not_ours_is_ignored)
{
	static const char *const paths[] = {
		"/dev/input/event3",
		"/dev/input/by-id/usb-kbd",
		"/dev/input/by-id/vm10-kbd",
		"/dev/input/by-id/vm1kbd",
		"/dev/input/by-path/pci-0000:00:14.0-usb-0:1:1.0-event-kbd",
		"/dev/input/by-id/sub/vm1-kbd",
		"dev/input/by-id/vm1-kbd",
		"/dev/input/by-id/VM1-kbd",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ASSERT_EQ(parse(doc("vm1", passthrough(paths[i]))), 0);
		ASSERT_EQ(dom.n_sources, 0);
	}
	/* Inputs without a source, or with a source of another kind. */
	ASSERT_EQ(
	    parse(doc("vm1", "<devices><input type='tablet' bus='usb'/>"
			     "<input type='passthrough' bus='virtio'><source/></input>"
			     "<input type='passthrough'><source dev='/dev/input/by-id/vm1-a'/>"
			     "</input><input type='evdev'><source evdev='/dev/input/by-id/vm1-b'/>"
			     "</input><input><source evdev='/dev/input/by-id/vm1-c'/></input>"
			     "<input type='passthrough'><target evdev='/dev/input/by-id/vm1-d'/>"
			     "</input></devices>")),
	    0);
	ASSERT_EQ(dom.n_sources, 0);
}

TEST(no_sources_odd_name)
{
	char name[301];

	ASSERT_EQ(parse(doc("my vm/../x", "<devices><input type='tablet' bus='usb'/></devices>")),
		  0);
	ASSERT_EQ(dom.n_sources, 0);
	ASSERT_STREQ(dom.name, "my vm/../x");
	ASSERT_EQ(parse(doc("", "")), 0);
	ASSERT_STREQ(dom.name, "");
	memset(name, 'a', 300);
	name[300] = '\0';
	ASSERT_EQ(parse(doc(name, "")), 0);
	ASSERT_EQ(strlen(dom.name), VM_NAME_MAX);
}

TEST(disguised_paths)
{
	static const char *const paths[] = {
		"/dev/input/by-id/../by-id/vm1-kbd",
		"/dev/input//by-id/vm1-kbd",
		"/dev/input/./by-id/vm1-kbd",
		"/dev/input/by-id/.",
		"/dev/input/by-id/..",
		"/dev/input/../input/event3",
		"/dev//input/by-id/vm1-kbd",
		"/dev/input/by-id/vm1-kbd/..",
	};
	char opts[256];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ASSERT_EQ(parse(doc("vm1", passthrough(paths[i]))), -EINVAL);
		ASSERT_CONTAINS(diag.msg, "not a canonical path");
		ASSERT_CONTAINS(diag.msg, paths[i]);
		ASSERT_CONTAINS(diag.msg, "vm1: ");
		ASSERT_EQ(parse(doc("vm1", evdev(paths[i], NULL))), -EINVAL);
		ASSERT_CONTAINS(diag.msg, "not a canonical path");
		snprintf(opts, sizeof(opts), "input-linux,evdev=%s", paths[i]);
		ASSERT_EQ(parse(doc("vm1", input_linux(opts))), -EINVAL);
		ASSERT_CONTAINS(diag.msg, "not a canonical path");
	}
}

TEST(bad_device_names)
{
	static const struct {
		const char *path, *message;
		int error;
	} table[] = {
		{"/dev/input/by-id/vm1-..", "may not start with '.'", -EINVAL},
		{"/dev/input/by-id/vm1-../x", "may not start with '.'", -EINVAL},
		{"/dev/input/by-id/vm1-a/b", "forbidden character 0x2f", -EINVAL},
		{"/dev/input/by-id/vm1-a&#9;b", "forbidden character 0x09", -EINVAL},
		{"/dev/input/by-id/vm1-a&#x7f;b", "forbidden character 0x7f", -EINVAL},
		{"/dev/input/by-id/vm1-k\xc3\xa9", "forbidden character 0xc3", -EINVAL},
		{"/dev/input/by-id/vm1-a b", "forbidden character 0x20", -EINVAL},
		{"/dev/input/by-id/vm1-a=b", "forbidden character 0x3d", -EINVAL},
		{"/dev/input/by-id/vm1-", "empty device name", -EINVAL},
		{"/dev/input/by-id/vm1--kbd", "may not start with '-'", -EINVAL},
	};
	char path[400];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		ASSERT_EQ(parse(doc("vm1", passthrough(table[i].path))), table[i].error);
		ASSERT_CONTAINS(diag.msg, "vm1: source '/dev/input/by-id/vm1-");
		ASSERT_CONTAINS(diag.msg, table[i].message);
	}
	snprintf(path, sizeof(path), "/dev/input/by-id/vm1-%0300d", 7);
	ASSERT_EQ(parse(doc("vm1", passthrough(path))), -ENAMETOOLONG);
	ASSERT_CONTAINS(diag.msg, "longer than 190");
	/* 190 bytes is the limit, not an error. */
	snprintf(path, sizeof(path), "/dev/input/by-id/vm1-%0190d", 7);
	ASSERT_EQ(parse(doc("vm1", passthrough(path))), 0);
	ASSERT_EQ(strlen(dom.sources[0].device), DEVICE_NAME_MAX);
}

TEST(bad_vm_names)
{
	static const struct {
		const char *name, *path, *message;
		int error;
	} table[] = {
		{"vm 1", "/dev/input/by-id/vm 1-kbd", "forbidden character 0x20", -EINVAL},
		{"vm1 ", "/dev/input/by-id/vm1 -kbd", "forbidden character 0x20", -EINVAL},
		{" vm1", "/dev/input/by-id/ vm1-kbd", "forbidden character 0x20", -EINVAL},
		{"vm&#9;1", "/dev/input/by-id/vm&#9;1-kbd", "forbidden character 0x09", -EINVAL},
		{"..", "/dev/input/by-id/..-kbd", "may not start with '.'", -EINVAL},
		{"a/b", "/dev/input/by-id/a/b-kbd", "forbidden character 0x2f", -EINVAL},
		{"a,b", "/dev/input/by-id/a,b-kbd", "forbidden character 0x2c", -EINVAL},
		{"", "/dev/input/by-id/-kbd", "empty VM name", -EINVAL},
	};
	char name[301], path[400];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		ASSERT_EQ(parse(doc(table[i].name, passthrough(table[i].path))), table[i].error);
		ASSERT_CONTAINS(diag.msg, table[i].message);
	}
	/* Whitespace in the name but not in the path: not ours, so fine. */
	ASSERT_EQ(parse(doc("vm1 ", passthrough("/dev/input/by-id/vm1-kbd"))), 0);
	ASSERT_EQ(dom.n_sources, 0);

	memset(name, 'a', 300);
	name[300] = '\0';
	snprintf(path, sizeof(path), "/dev/input/by-id/%s-kbd", name);
	ASSERT_EQ(parse(doc(name, passthrough(path))), -ENAMETOOLONG);
	ASSERT_CONTAINS(diag.msg, "longer than 64");
}

TEST(duplicate_device)
{
	char body[8192];

	snprintf(body, sizeof(body), "%s%s", passthrough("/dev/input/by-id/vm1-kbd"),
		 input_linux("input-linux,evdev=/dev/input/by-id/vm1-kbd"));
	ASSERT_EQ(parse(doc("vm1", body)), -EINVAL);
	ASSERT_STREQ(diag.msg, "vm1: '/dev/input/by-id/vm1-kbd' listed twice");

	ASSERT_EQ(
	    parse(doc("vm1", "<devices><input type='evdev'><source dev='/dev/input/by-id/vm1-k'/>"
			     "</input></devices><devices><input type='passthrough'>"
			     "<source evdev='/dev/input/by-id/vm1-k'/></input></devices>")),
	    -EINVAL);
	ASSERT_CONTAINS(diag.msg, "listed twice");
}

static const char *many_sources(unsigned n)
{
	static char buf[16 * 1024];
	size_t used;

	used = (size_t)snprintf(buf, sizeof(buf), "<domain><name>vm1</name><devices>");
	for (unsigned i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
					 "<input type='passthrough' bus='virtio'>"
					 "<source evdev='/dev/input/by-id/vm1-dev%u'/></input>",
					 i);
	snprintf(buf + used, sizeof(buf) - used, "</devices></domain>");
	return buf;
}

TEST(too_many_sources)
{
	ASSERT_EQ(parse(many_sources(DOMAIN_SOURCES_MAX)), 0);
	ASSERT_EQ(dom.n_sources, DOMAIN_SOURCES_MAX);
	ASSERT_STREQ(dom.sources[31].device, "dev31");
	ASSERT_EQ(parse(many_sources(DOMAIN_SOURCES_MAX + 1)), -E2BIG);
	ASSERT_CONTAINS(diag.msg, "vm1: more than 32 input sources");
}

TEST(doctype_refused)
{
	static const char *const docs[] = {
		/* billion laughs */
		("<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY a 'lollollollollollollol'>"
		"<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c "
		"'&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
		"<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'><!ENTITY e "
		"'&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
		"<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'><!ENTITY g "
		"'&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>"
		"<!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'><!ENTITY i "
		"'&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;'>"
		"]><domain><name>&i;</name><metadata x='&i;'/></domain>"),
		/* external entity */
		("<!DOCTYPE domain [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>"
		 "<domain><name>&xxe;</name></domain>"),
		/* external DTD */
		"<!DOCTYPE domain SYSTEM 'http://127.0.0.1:1/x.dtd'><domain><name>a</name></domain>",
		/* harmless-looking DOCTYPE */
		"<!DOCTYPE domain><domain><name>a</name></domain>",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		ASSERT_EQ(parse(docs[i]), -EINVAL);
		ASSERT_STREQ(diag.msg, "domain XML: a DOCTYPE is not allowed");
	}
}

TEST(entities_refused)
{
	ASSERT_EQ(parse("<domain><name>&xxe;</name></domain>"), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "domain XML line 1: Entity 'xxe' not defined");
	ASSERT_EQ(parse("<domain><name>a</name><devices><input type='passthrough'>"
			"<source evdev='/dev/input/by-id/a-&x;'/></input></devices></domain>"),
		  -EINVAL);
	/* Predefined and character references are plain text. */
	ASSERT_EQ(parse("<domain><name>a&amp;b&#x41;</name></domain>"), 0);
	ASSERT_STREQ(dom.name, "a&bA");
	ASSERT_EQ(parse(doc("vm1", "<devices><input type='passthrough'><source evdev='/dev/input/"
				   "by-id/vm1-k&#x62;d'/></input></devices>")),
		  0);
	ASSERT_STREQ(dom.sources[0].device, "kbd");
}

TEST(not_well_formed)
{
	static const char with_nul[] = "<domain><name>a\0</name></domain>";

	ASSERT_EQ(parse("<domain>\n<name>vm1</name>\n<devices></device>\n</domain>"), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "domain XML line 3: ");
	ASSERT_TRUE(strchr(diag.msg, '\n') == NULL);
	ASSERT_EQ(parse("<domain><name>vm1</name>"), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "domain XML line 1: ");
	ASSERT_EQ(parse("not xml at all"), -EINVAL);
	ASSERT_EQ(parse("<domain><name>vm1</name></domain><domain/>"), -EINVAL);
	ASSERT_EQ(domain_xml_parse(with_nul, sizeof(with_nul) - 1, &dom, &diag), -EINVAL);
	ASSERT_EQ(parse("<domain><name>\xff\xfe</name></domain>"), -EINVAL);
	ASSERT_EQ(parse(""), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "empty");
	ASSERT_EQ(domain_xml_parse(NULL, 0, &dom, &diag), -EINVAL);
	/* Undeclared namespace prefix: could hide qemu:arg elements. */
	ASSERT_EQ(parse("<domain><name>vm1</name><qemu:commandline/></domain>"), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "Namespace prefix qemu");
}

TEST(deep_nesting)
{
	enum { DEPTH = 5000 };
	_cleanup_(freep) char *xml = malloc(DEPTH * 7 + 64);
	size_t used;

	ASSERT_TRUE(xml);
	used = (size_t)sprintf(xml, "<domain><name>a</name>");
	for (unsigned i = 0; i < DEPTH; i++)
		used += (size_t)sprintf(xml + used, "<a>");
	for (unsigned i = 0; i < DEPTH; i++)
		used += (size_t)sprintf(xml + used, "</a>");
	sprintf(xml + used, "</domain>");
	ASSERT_EQ(parse(xml), -EINVAL);
}

TEST(root_and_name)
{
	ASSERT_EQ(parse("<domainx><name>a</name></domainx>"), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "not <domain>");
	ASSERT_EQ(parse("<x:domain xmlns:x='urn:x'><name>a</name></x:domain>"), -EINVAL);
	ASSERT_EQ(parse("<domain><uuid>1</uuid></domain>"), -EINVAL);
	ASSERT_STREQ(diag.msg, "domain XML: no <name>");
	ASSERT_EQ(parse("<domain><devices><name>a</name></devices></domain>"), -EINVAL);
	ASSERT_EQ(parse("<domain><title><![CDATA[t]]></title><name><![CDATA[vm1]]></name>"
			"<name>vm2</name></domain>"),
		  0);
	ASSERT_STREQ(dom.name, "vm1");
}

TEST(size_limit)
{
	_cleanup_(freep) char *xml = malloc(DOMAIN_XML_MAX + 2);

	ASSERT_TRUE(xml);
	fill_document(xml, DOMAIN_XML_MAX);
	ASSERT_EQ(domain_xml_parse(xml, DOMAIN_XML_MAX, &dom, &diag), 0);
	ASSERT_STREQ(dom.name, "vm1");
	fill_document(xml, DOMAIN_XML_MAX + 1);
	ASSERT_EQ(domain_xml_parse(xml, DOMAIN_XML_MAX + 1, &dom, &diag), -EFBIG);
	ASSERT_CONTAINS(diag.msg, "domain XML");
}

TEST(ret_untouched_on_failure)
{
	static const char *const bad[] = {
		"<domain><name>vm1</name>",
		"<domain/>",
		"<domain><name>vm1</name><devices><input type='passthrough'><source evdev="
		"'/dev/input/by-id/vm1-a'/></input><input type='passthrough'><source evdev="
		"'/dev/input/by-id/vm1-a'/></input></devices></domain>",
		"<domain><name>vm1</name><metadata><h:hotkey xmlns:h='" VFIOKVM_XML_NS "'/>"
		"</metadata></domain>",
	};
	struct domain before;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&dom, 0xa5, sizeof(dom));
		before = dom;
		ASSERT_NE(domain_xml_parse(bad[i], strlen(bad[i]), &dom, &diag), 0);
		ASSERT_EQ(memcmp(&dom, &before, sizeof(dom)), 0);
	}
	/* A NULL diag is allowed. */
	ASSERT_EQ(domain_xml_parse(bad[0], strlen(bad[0]), &dom, NULL), -EINVAL);
}

static unsigned generic_calls;

static void test_generic_error(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
	generic_calls++;
}

TEST(libxml_prints_nothing)
{
	static const char *const bad[] = {
		"<domain><name>vm1</name>",
		"<domain><name>\xff</name></domain>",
		"<?xml version='1.0' encoding='bogus-enc'?><domain><name>a</name></domain>",
		"<?xml version='1.0' encoding='SHIFT_JIS'?><domain><name>\x81\x20\xff</name></domain>",
		"<?xml version='1.0' encoding='UTF-16'?><domain><name>a</name></domain>",
		"<domain xmlns:x='not an uri'><name>a</name><q:x/></domain>",
		"<!DOCTYPE domain [<!ENTITY a 'b'>]><domain><name>&a;</name></domain>",
		"<domain><name>&nope;</name></domain>",
	};
	FILE *capture = tmpfile();
	int saved_stderr;
	long size;

	ASSERT_TRUE(capture);
	xmlSetGenericErrorFunc(NULL, test_generic_error);
	fflush(stderr);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	ASSERT_TRUE(saved_stderr >= 0);
	dup2(fileno(capture), STDERR_FILENO);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		domain_xml_parse(bad[i], strlen(bad[i]), &dom, &diag);
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fseek(capture, 0, SEEK_END);
	size = ftell(capture);
	fclose(capture);
	ASSERT_EQ(size, 0);
	/* The caller's handlers are restored and were never called. */
	ASSERT_TRUE(xmlGenericError == test_generic_error);
	ASSERT_EQ(generic_calls, 0);
	xmlSetGenericErrorFunc(NULL, NULL);
}

TEST(paths)
{
	char buf[VK_PATH_MAX];

	ASSERT_EQ(parse(doc("vm1", passthrough("/dev/input/by-id/vm1-usb-kbd"))), 0);
	ASSERT_EQ(domain_source_physical_path(&dom.sources[0], buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "/dev/input/by-id/usb-kbd");
	ASSERT_EQ(domain_source_clone_path(&dom, &dom.sources[0], buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "/dev/input/by-id/vm1-usb-kbd");
	ASSERT_EQ(
	    domain_source_physical_path(&dom.sources[0], buf, strlen("/dev/input/by-id/usb-kbd")),
	    -ENAMETOOLONG);
	ASSERT_EQ(domain_source_physical_path(&dom.sources[0], buf,
					      strlen("/dev/input/by-id/usb-kbd") + 1),
		  0);
	ASSERT_EQ(domain_source_clone_path(&dom, &dom.sources[0], buf, 10), -ENAMETOOLONG);
	ASSERT_EQ(domain_source_clone_path(&dom, &dom.sources[0], buf, 0), -ENAMETOOLONG);
}

TEST(kind_names)
{
	ASSERT_STREQ(source_kind_to_string(SOURCE_PASSTHROUGH), "passthrough");
	ASSERT_STREQ(source_kind_to_string(SOURCE_EVDEV), "evdev");
	ASSERT_STREQ(source_kind_to_string(SOURCE_INPUT_LINUX), "input-linux");
}

TEST_MAIN()
