/* SPDX-License-Identifier: MIT */
/* common/settings.c, the config file: defaults, every key, every error with its file:line. */
#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"
#include "test.h"

static int parse(const char *text, struct config *ret, struct diag *diag)
{
	return config_parse_string(text, "t.conf", ret, diag);
}

/* Asserts that text fails with error and exactly message. */
#define ASSERT_FAILS(text, error, message)                                                         \
	do {                                                                                       \
		struct config _c;                                                                  \
		struct diag _d = {""};                                                             \
		ASSERT_EQ(parse(text, &_c, &_d), error);                                           \
		ASSERT_STREQ(_d.msg, message);                                                     \
	} while (0)

/* Asserts that set is written as text (canonical order). */
#define ASSERT_KEYS(set, text)                                                                     \
	do {                                                                                       \
		char _buf[KEYSET_TEXT_MAX];                                                        \
		ASSERT_TRUE(keyset_format(&(set), _buf, sizeof(_buf)) >= 0);                       \
		ASSERT_STREQ(_buf, text);                                                          \
	} while (0)

/* Asserts that set holds the keys of text. */
#define ASSERT_SAME_KEYS(set, text)                                                                \
	do {                                                                                       \
		struct keyset _k;                                                                  \
		ASSERT_EQ(keyset_parse(text, strlen(text), &_k, NULL), 0);                         \
		ASSERT_TRUE(keyset_equal(&(set), &_k));                                            \
	} while (0)

static void assert_defaults(const struct config *c)
{
	ASSERT_SAME_KEYS(c->cycle, CONFIG_DEFAULT_CYCLE);
	ASSERT_SAME_KEYS(c->host, CONFIG_DEFAULT_HOST);
	ASSERT_SAME_KEYS(c->release, CONFIG_DEFAULT_RELEASE);
	ASSERT_TRUE(c->include_host);
	ASSERT_EQ(c->start_timeout_sec, 10);
	ASSERT_EQ(c->stop_timeout_sec, 10);
	ASSERT_EQ(c->n_vms, 0);
	ASSERT_FALSE(c->focus_on_start);
	ASSERT_EQ(c->on_stop, FOCUS_ON_STOP_NEXT);
	ASSERT_EQ(c->host_keys.n, 0);
	ASSERT_EQ(c->given, 0);
}

TEST(defaults)
{
	struct config c;

	config_defaults(&c);
	assert_defaults(&c);
}

TEST(empty_text_is_defaults)
{
	struct config c;
	struct diag d;

	ASSERT_EQ(parse("", &c, &d), 0);
	assert_defaults(&c);
	ASSERT_EQ(parse("; nothing\n\n# here\n   \n", &c, &d), 0);
	assert_defaults(&c);
	ASSERT_EQ(parse("[hotkeys]\n[ring]\n[timeouts]\n", &c, &d), 0);
	assert_defaults(&c);
}

TEST(every_key)
{
	struct config c;
	struct diag d;

	ASSERT_EQ(parse("[hotkeys]\n"
			"cycle = KEY_RIGHTALT+KEY_LEFTALT\n"
			"host = KEY_LEFTMETA+KEY_H\n"
			"release = KEY_PAUSE\n"
			"[ring]\n"
			"include_host = no\n"
			"[timeouts]\n"
			"start = 300\n"
			"stop = 1\n",
			&c, &d),
		  0);
	ASSERT_KEYS(c.cycle, "KEY_LEFTALT+KEY_RIGHTALT");
	ASSERT_KEYS(c.host, "KEY_LEFTMETA+KEY_H");
	ASSERT_KEYS(c.release, "KEY_PAUSE");
	ASSERT_FALSE(c.include_host);
	ASSERT_EQ(c.start_timeout_sec, 300);
	ASSERT_EQ(c.stop_timeout_sec, 1);
}

TEST(unset_keys_keep_defaults)
{
	struct config c;
	struct diag d;

	ASSERT_EQ(parse("[timeouts]\nstart = 20\n", &c, &d), 0);
	ASSERT_EQ(c.start_timeout_sec, 20);
	ASSERT_EQ(c.stop_timeout_sec, 10);
	ASSERT_SAME_KEYS(c.cycle, CONFIG_DEFAULT_CYCLE);
	ASSERT_TRUE(c.include_host);
}

TEST(host_empty_disables)
{
	struct config c;
	struct diag d;

	ASSERT_EQ(parse("[hotkeys]\nhost =\n", &c, &d), 0);
	ASSERT_EQ(c.host.n, 0);
}

TEST(cycle_and_release_never_empty)
{
	ASSERT_FAILS("[hotkeys]\ncycle =\n", -EINVAL, "t.conf:2: 'cycle' may not be empty");
	ASSERT_FAILS("[hotkeys]\n\nrelease = ; none\n", -EINVAL,
		     "t.conf:3: 'release' may not be empty");
}

TEST(bad_hotkey)
{
	ASSERT_FAILS("[hotkeys]\ncycle = KEY_NOSUCHKEY\n", -EINVAL,
		     "t.conf:2: bad 'cycle': hotkey: unknown key name 'KEY_NOSUCHKEY'");
	ASSERT_FAILS("[hotkeys]\nhost = KEY_A+KEY_A\n", -EINVAL,
		     "t.conf:2: bad 'host': hotkey: key 'KEY_A' given twice");
	ASSERT_FAILS("[vm \"w\"]\nhotkey = KEY_A+KEY_B+KEY_C+KEY_D+KEY_E+KEY_F+KEY_G+KEY_H+KEY_I\n",
		     -E2BIG,
		     "t.conf:2: bad 'hotkey': hotkey 'KEY_A+KEY_B+KEY_C+KEY_D+KEY_E+KEY_F+KEY_G+"
		     "KEY_H+KEY_I': more than 8 keys");
	/* '#' starts a comment only at the start of a line. */
	ASSERT_FAILS("[hotkeys]\ncycle = KEY_A # note\n", -EINVAL,
		     "t.conf:2: bad 'cycle': hotkey: unknown key name 'KEY_A # note'");
}

TEST(bools)
{
	static const struct {
		const char *text;
		bool value;
	} cases[] = {
		{"yes", true}, {"true", true}, {"1", true},
		{"no", false}, {"false", false}, {"0", false},
	};
	char text[64];
	struct config c;
	struct diag d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[ring]\ninclude_host = %s\n", cases[i].text);
		c.include_host = !cases[i].value;
		ASSERT_EQ(parse(text, &c, &d), 0);
		ASSERT_EQ(c.include_host, cases[i].value);
	}
}

TEST(bad_bools)
{
	ASSERT_FAILS("[ring]\ninclude_host = on\n", -EINVAL,
		     "t.conf:2: bad 'include_host': 'on' is not yes, no, true, false, 1 or 0");
	ASSERT_FAILS("[ring]\ninclude_host = Yes\n", -EINVAL,
		     "t.conf:2: bad 'include_host': 'Yes' is not yes, no, true, false, 1 or 0");
	ASSERT_FAILS("[ring]\ninclude_host =\n", -EINVAL,
		     "t.conf:2: bad 'include_host': '' is not yes, no, true, false, 1 or 0");
}

TEST(bad_timeouts)
{
	static const struct {
		const char *text;
		int error;
	} cases[] = {
		{"0", -ERANGE},   {"301", -ERANGE},  {"99999999999999999999", -ERANGE},
		{"-1", -EINVAL},  {"+5", -EINVAL},   {"1.5", -EINVAL},
		{"10s", -EINVAL}, {"0x10", -EINVAL}, {"", -EINVAL},
	};
	char text[64], msg[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[timeouts]\nstop = %s\n", cases[i].text);
		snprintf(msg, sizeof(msg),
			 "t.conf:2: bad 'stop': '%s' is not a number of seconds, 1 to 300",
			 cases[i].text);
		ASSERT_FAILS(text, cases[i].error, msg);
	}
}

TEST(unknown_section)
{
	ASSERT_FAILS("[hotkeys]\n\n[foo]\n", -EINVAL, "t.conf:3: unknown section [foo]");
	ASSERT_FAILS("[Hotkeys]\n", -EINVAL, "t.conf:1: unknown section [Hotkeys]");
	ASSERT_FAILS("[ hotkeys ]\n", -EINVAL, "t.conf:1: unknown section [ hotkeys ]");
	ASSERT_FAILS("[]\n", -EINVAL, "t.conf:1: unknown section []");
	ASSERT_FAILS("[vmx]\n", -EINVAL, "t.conf:1: unknown section [vmx]");
}

TEST(unknown_key)
{
	ASSERT_FAILS("[hotkeys]\ncycle = KEY_A+KEY_B\nfoo = 1\n", -EINVAL,
		     "t.conf:3: unknown key 'foo' in [hotkeys]");
	/* A key of another section. */
	ASSERT_FAILS("[ring]\ncycle = KEY_A\n", -EINVAL, "t.conf:2: unknown key 'cycle' in [ring]");
	ASSERT_FAILS("[timeouts]\nhotkey = KEY_A\n", -EINVAL,
		     "t.conf:2: unknown key 'hotkey' in [timeouts]");
	ASSERT_FAILS("[vm \"w\"]\ncycle = KEY_A\n", -EINVAL,
		     "t.conf:2: unknown key 'cycle' in [vm \"w\"]");
	ASSERT_FAILS("[hotkeys]\n= KEY_A\n", -EINVAL, "t.conf:2: unknown key '' in [hotkeys]");
}

TEST(key_outside_section)
{
	ASSERT_FAILS("cycle = KEY_A\n", -EINVAL, "t.conf:1: key 'cycle' before any [section]");
}

TEST(key_twice)
{
	ASSERT_FAILS("[hotkeys]\ncycle = KEY_A\ncycle = KEY_B\n", -EINVAL,
		     "t.conf:3: key 'cycle' given twice in [hotkeys]");
	ASSERT_FAILS("[vm \"w\"]\nhotkey = KEY_A\nhotkey = KEY_B\n", -EINVAL,
		     "t.conf:3: key 'hotkey' given twice in [vm \"w\"]");
}

TEST(section_twice)
{
	ASSERT_FAILS("[ring]\n[hotkeys]\n[ring]\n", -EINVAL,
		     "t.conf:3: section [ring] given twice");
}

TEST(syntax_errors)
{
	ASSERT_FAILS("[hotkeys]\ncycle KEY_A\n", -EINVAL, "t.conf:2: expected 'key = value'");
	/* The last line, without a newline. */
	ASSERT_FAILS("[hotkeys]\ncycle = KEY_A\nhost", -EINVAL, "t.conf:3: expected 'key = value'");
	ASSERT_FAILS("[hotkeys\n", -EINVAL, "t.conf:1: section header without ']'");
	ASSERT_FAILS("[hotkeys] cycle = KEY_A\n", -EINVAL,
		     "t.conf:1: unexpected text after section header");
}

TEST(line_numbers)
{
	/* Comments, blank lines and CRLF line ends all count as lines. */
	ASSERT_FAILS("; comment\r\n\r\n# comment\r\n[hotkeys]\r\n  cycle = KEY_A\r\nfoo = 1\r\n",
		     -EINVAL, "t.conf:6: unknown key 'foo' in [hotkeys]");
}

TEST(comments_and_blanks)
{
	struct config c;
	struct diag d;

	ASSERT_EQ(parse("\xef\xbb\xbf; a UTF-8 BOM and a comment \xe2\x80\x94 fine\n"
			"[hotkeys] ; trailing comment\n"
			"\tcycle = KEY_A+KEY_B ; why\n"
			"\t\t\n"
			"  release=KEY_PAUSE\n"
			"host : KEY_H+KEY_LEFTMETA\n",
			&c, &d),
		  0);
	ASSERT_KEYS(c.cycle, "KEY_A+KEY_B");
	ASSERT_KEYS(c.release, "KEY_PAUSE");
	ASSERT_KEYS(c.host, "KEY_LEFTMETA+KEY_H");
}

/* An indented line is not the continuation of the value above (as it is in inih). */
TEST(indented_line_is_not_a_continuation)
{
	ASSERT_FAILS("[hotkeys]\ncycle = KEY_A\n    KEY_B\n", -EINVAL,
		     "t.conf:3: expected 'key = value'");
}

TEST(control_characters)
{
	ASSERT_FAILS("[hotkeys]\ncycle = KEY_A\x01\n", -EINVAL, "t.conf:2: control character 0x01");
	ASSERT_FAILS("[ring]\n; \x1b[31m red\n", -EINVAL, "t.conf:2: control character 0x1b");
	ASSERT_FAILS("[ring]\ninclude_host = yes\x7f\n", -EINVAL,
		     "t.conf:2: control character 0x7f");
	ASSERT_FAILS("[ring]\r\rinclude_host = yes\n", -EINVAL,
		     "t.conf:1: control character 0x0d");
}

TEST(long_lines)
{
	char text[1200];
	struct config c;
	struct diag d;

	/* A comment of 150 bytes is fine... */
	snprintf(text, sizeof(text), "[ring]\n;%0150d\ninclude_host = no\n", 0);
	ASSERT_EQ(parse(text, &c, &d), 0);
	ASSERT_FALSE(c.include_host);

	/* ...a line longer than CONFIG_LINE_MAX is an error, never split in two lines. */
	snprintf(text, sizeof(text), "[ring]\n;%01000d\ninclude_host = no\n", 0);
	ASSERT_EQ(parse(text, &c, &d), -EINVAL);
	ASSERT_CONTAINS(d.msg, "t.conf:2: line longer than ");
	memset(text, ' ', 1000);
	snprintf(text + 1000, sizeof(text) - 1000, "[ring]\n");
	ASSERT_EQ(parse(text, &c, &d), -EINVAL);
	ASSERT_CONTAINS(d.msg, "t.conf:1: line longer than ");
}

TEST(vm_sections)
{
	struct config c;
	struct diag d;
	const struct config_vm *vm;

	ASSERT_EQ(parse("[vm \"win10\"]\n"
			"hotkey = KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_1\n"
			"[vm\"linux\"] ; no blank needed\n"
			"hotkey = KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_2\n"
			"[vm \t\"nohotkey\"]\n"
			"[vm \"empty\"]\n"
			"hotkey =\n",
			&c, &d),
		  0);
	ASSERT_EQ(c.n_vms, 4);
	vm = config_find_vm(&c, "win10");
	ASSERT_TRUE(vm != NULL);
	ASSERT_STREQ(vm->name, "win10");
	ASSERT_KEYS(vm->hotkey, "KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_1");
	vm = config_find_vm(&c, "linux");
	ASSERT_TRUE(vm != NULL);
	ASSERT_KEYS(vm->hotkey, "KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_2");
	vm = config_find_vm(&c, "nohotkey");
	ASSERT_TRUE(vm != NULL);
	ASSERT_EQ(vm->hotkey.n, 0);
	vm = config_find_vm(&c, "empty");
	ASSERT_TRUE(vm != NULL);
	ASSERT_EQ(vm->hotkey.n, 0);
	ASSERT_TRUE(config_find_vm(&c, "win") == NULL);
	ASSERT_TRUE(config_find_vm(&c, NULL) == NULL);
}

TEST(vm_long_name)
{
	char text[256];
	struct config c;
	struct diag d;

	/* 64 bytes: the header is longer than the 49 bytes inih keeps of a section name. */
	snprintf(text, sizeof(text), "[vm \"%064d\"]\nhotkey = KEY_F1\n", 7);
	ASSERT_EQ(parse(text, &c, &d), 0);
	ASSERT_EQ(c.n_vms, 1);
	ASSERT_EQ(strlen(c.vms[0].name), VM_NAME_MAX);
	ASSERT_KEYS(c.vms[0].hotkey, "KEY_F1");

	snprintf(text, sizeof(text), "[vm \"%065d\"]\n", 7);
	ASSERT_EQ(parse(text, &c, &d), -ENAMETOOLONG);
	ASSERT_CONTAINS(d.msg, "t.conf:1: ");
	ASSERT_CONTAINS(d.msg, ": VM name longer than 64 bytes");
}

TEST(vm_bad_names)
{
	ASSERT_FAILS("[vm \"a/b\"]\n", -EINVAL,
		     "t.conf:1: a/b: VM name has a forbidden character 0x2f at byte 1");
	ASSERT_FAILS("\n[vm \"..\"]\n", -EINVAL, "t.conf:2: ..: VM name may not start with '.'");
	ASSERT_FAILS("[vm \"-x\"]\n", -EINVAL, "t.conf:1: -x: VM name may not start with '-'");
	ASSERT_FAILS("[vm \"a b\"]\n", -EINVAL,
		     "t.conf:1: a b: VM name has a forbidden character 0x20 at byte 1");
	ASSERT_FAILS("[vm \"\"]\n", -EINVAL, "t.conf:1: empty VM name");
}

TEST(vm_bad_headers)
{
	static const char *const bad[] = {
		"[vm]\n", "[vm x]\n", "[vm \"x\"\n",
		"[vm \"x]\n", "[vm \"x\" ]\n", "[vm \"a\"b\"]\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_FAILS(bad[i], -EINVAL, "t.conf:1: expected [vm \"NAME\"]");
}

TEST(vm_twice)
{
	ASSERT_FAILS("[vm \"w\"]\nhotkey = KEY_F1\n[vm \"x\"]\n[vm \"w\"]\n", -EINVAL,
		     "t.conf:4: section [vm \"w\"] given twice (first on line 1)");
}

TEST(vm_limit)
{
	char text[RING_VMS_MAX * 16 + 32];
	size_t len = 0;
	struct config c;
	struct diag d;

	for (int i = 0; i < RING_VMS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "[vm \"vm%d\"]\n", i);
	ASSERT_EQ(parse(text, &c, &d), 0);
	ASSERT_EQ(c.n_vms, RING_VMS_MAX);
	ASSERT_STREQ(c.vms[RING_VMS_MAX - 1].name, "vm63");

	snprintf(text + len, sizeof(text) - len, "[vm \"one-more\"]\n");
	ASSERT_FAILS(text, -E2BIG, "t.conf:65: more than 64 [vm] sections");
}

TEST(hotkey_conflicts)
{
	struct config c;
	struct diag d;

	ASSERT_FAILS("[hotkeys]\nrelease = KEY_RIGHTCTRL+KEY_LEFTCTRL\n", -EINVAL,
		     "t.conf:2: 'release' is the same as 'cycle' (default)");
	ASSERT_FAILS("[hotkeys]\nhost = KEY_F12\ncycle = KEY_F12\n", -EINVAL,
		     "t.conf:3: 'cycle' is the same as 'host'");
	ASSERT_FAILS("[vm \"a\"]\nhotkey = KEY_F1\n[vm \"b\"]\nhotkey = KEY_F1\n", -EINVAL,
		     "t.conf:4: the hotkey of [vm \"b\"] is the same as the hotkey of [vm \"a\"]");
	ASSERT_FAILS("[vm \"a\"]\nhotkey = " CONFIG_DEFAULT_HOST "\n", -EINVAL,
		     "t.conf:2: the hotkey of [vm \"a\"] is the same as 'host' (default)");
	/* A disabled host hotkey frees its keys. */
	ASSERT_EQ(parse("[hotkeys]\nhost =\n"
			"[vm \"a\"]\nhotkey = " CONFIG_DEFAULT_HOST "\n",
			&c, &d),
		  0);
	/* Two VMs without hotkeys do not conflict. */
	ASSERT_EQ(parse("[vm \"a\"]\n[vm \"b\"]\n", &c, &d), 0);
}

/* Asserts that keys is written as text ("KEY_A,KEY_B"). */
#define ASSERT_HOST_KEYS(keys, text)                                                               \
	do {                                                                                       \
		char _buf[KEYLIST_TEXT_MAX];                                                     \
		ASSERT_TRUE(keylist_format(&(keys), _buf, sizeof(_buf)) >= 0);                   \
		ASSERT_STREQ(_buf, text);                                                          \
	} while (0)

TEST(routing_keys)
{
	struct config c;
	struct diag d;

	ASSERT_EQ(parse("[ring]\n"
			"focus_on_start = yes\n"
			"on_stop = host\n"
			"[keys]\n"
			"host_keys = KEY_VOLUMEUP, KEY_VOLUMEDOWN,KEY_MUTE ,\tKEY_PLAYPAUSE\n",
			&c, &d),
		  0);
	ASSERT_TRUE(c.focus_on_start);
	ASSERT_EQ(c.on_stop, FOCUS_ON_STOP_HOST);
	ASSERT_HOST_KEYS(c.host_keys, "KEY_MUTE,KEY_VOLUMEDOWN,KEY_VOLUMEUP,KEY_PLAYPAUSE");
	ASSERT_EQ(c.given,
		  CONFIG_GIVEN_FOCUS_ON_START | CONFIG_GIVEN_ON_STOP | CONFIG_GIVEN_HOST_KEYS);
	ASSERT_EQ(parse("[keys]\nhost_keys =\n[ring]\non_stop = next\n", &c, &d), 0);
	ASSERT_EQ(c.host_keys.n, 0);
	ASSERT_EQ(c.on_stop, FOCUS_ON_STOP_NEXT);
	ASSERT_EQ(c.given, CONFIG_GIVEN_ON_STOP | CONFIG_GIVEN_HOST_KEYS);
}

TEST(routing_keys_per_vm)
{
	struct config c;
	struct config_vm vm;
	struct diag d;

	ASSERT_EQ(parse("[ring]\non_stop = host\n"
			"[keys]\nhost_keys = KEY_MUTE\n"
			"[vm \"vm1\"]\nhost_keys = KEY_VOLUMEUP\nfocus_on_start = yes\n"
			"[vm \"vm2\"]\nhost_keys =\non_stop = next\n"
			"[vm \"vm3\"]\nhotkey = KEY_F3\n",
			&c, &d),
		  0);
	ASSERT_EQ(c.vms[0].given, CONFIG_GIVEN_HOST_KEYS | CONFIG_GIVEN_FOCUS_ON_START);
	ASSERT_EQ(c.vms[1].given, CONFIG_GIVEN_HOST_KEYS | CONFIG_GIVEN_ON_STOP);
	ASSERT_EQ(c.vms[2].given, CONFIG_GIVEN_HOTKEY);

	/* A [vm] section's keys over the global ones, key by key. */
	config_vm_resolve(&c, "vm1", &vm);
	ASSERT_HOST_KEYS(vm.host_keys, "KEY_VOLUMEUP");
	ASSERT_TRUE(vm.focus_on_start);
	ASSERT_EQ(vm.on_stop, FOCUS_ON_STOP_HOST);
	ASSERT_EQ(vm.hotkey.n, 0);
	config_vm_resolve(&c, "vm2", &vm);
	ASSERT_EQ(vm.host_keys.n, 0);
	ASSERT_FALSE(vm.focus_on_start);
	ASSERT_EQ(vm.on_stop, FOCUS_ON_STOP_NEXT);
	config_vm_resolve(&c, "vm3", &vm);
	ASSERT_HOST_KEYS(vm.host_keys, "KEY_MUTE");
	ASSERT_KEYS(vm.hotkey, "KEY_F3");
	config_vm_resolve(&c, "vm9", &vm);
	ASSERT_EQ(vm.given, 0);
	ASSERT_HOST_KEYS(vm.host_keys, "KEY_MUTE");
	ASSERT_EQ(vm.on_stop, FOCUS_ON_STOP_HOST);
	/* The [vm] hotkey conflict check still sees only hotkeys. */
	ASSERT_EQ(parse("[vm \"vm1\"]\nhost_keys = KEY_A\n[vm \"vm2\"]\nhost_keys = KEY_A\n", &c,
			&d),
		  0);
}

TEST(routing_keys_errors)
{
	ASSERT_FAILS("[ring]\nfocus_on_start = maybe\n", -EINVAL,
		     "t.conf:2: bad 'focus_on_start': 'maybe' is not yes, no, true, false, 1 or 0");
	ASSERT_FAILS("[ring]\non_stop = previous\n", -EINVAL,
		     "t.conf:2: bad 'on_stop': 'previous' is not host or next");
	ASSERT_FAILS("[ring]\non_stop =\n", -EINVAL,
		     "t.conf:2: bad 'on_stop': '' is not host or next");
	ASSERT_FAILS("[ring]\non_stop = host\non_stop = next\n", -EINVAL,
		     "t.conf:3: key 'on_stop' given twice in [ring]");
	ASSERT_FAILS("[keys]\nhost_keys = KEY_VOLUMEUP, KEY_NOPE\n", -EINVAL,
		     "t.conf:2: bad 'host_keys': host keys: unknown key name 'KEY_NOPE'");
	ASSERT_FAILS("[keys]\nhost_keys = KEY_MUTE,,KEY_A\n", -EINVAL,
		     "t.conf:2: bad 'host_keys': host keys 'KEY_MUTE,,KEY_A': empty key name");
	ASSERT_FAILS("[keys]\nhost_keys = KEY_MUTE,\n", -EINVAL,
		     "t.conf:2: bad 'host_keys': host keys 'KEY_MUTE,': empty key name");
	ASSERT_FAILS("[keys]\nhost_keys = KEY_MUTE KEY_A\n", -EINVAL,
		     "t.conf:2: bad 'host_keys': host keys: unknown key name 'KEY_MUTE KEY_A'");
	ASSERT_FAILS("[keys]\nhost_keys = KEY_MUTE, KEY_MUTE\n", -EINVAL,
		     "t.conf:2: bad 'host_keys': host keys: key 'KEY_MUTE' given twice");
	ASSERT_FAILS("[keys]\nhost_keys = KEY_A+KEY_B\n", -EINVAL,
		     "t.conf:2: bad 'host_keys': host keys: unknown key name 'KEY_A+KEY_B'");
	ASSERT_FAILS("[keys]\nhost_key = KEY_MUTE\n", -EINVAL,
		     "t.conf:2: unknown key 'host_key' in [keys]");
	ASSERT_FAILS("[keys]\ncycle = KEY_F1\n", -EINVAL,
		     "t.conf:2: unknown key 'cycle' in [keys]");
	ASSERT_FAILS("[ring]\nhost_keys = KEY_MUTE\n", -EINVAL,
		     "t.conf:2: unknown key 'host_keys' in [ring]");
	ASSERT_FAILS("[keys]\n[keys]\n", -EINVAL, "t.conf:2: section [keys] given twice");
	ASSERT_FAILS("[vm \"vm1\"]\non_stop = away\n", -EINVAL,
		     "t.conf:2: bad 'on_stop': 'away' is not host or next");
	ASSERT_FAILS("[vm \"vm1\"]\nfocus_on_start = 2\n", -EINVAL,
		     "t.conf:2: bad 'focus_on_start': '2' is not yes, no, true, false, 1 or 0");
	ASSERT_FAILS("[vm \"vm1\"]\nhost_keys = KEY_A\nhost_keys = KEY_B\n", -EINVAL,
		     "t.conf:3: key 'host_keys' given twice in [vm \"vm1\"]");
	ASSERT_FAILS("[vm \"vm1\"]\ninclude_host = no\n", -EINVAL,
		     "t.conf:2: unknown key 'include_host' in [vm \"vm1\"]");
}

/*
 * host_keys is bounded twice: by KEYLIST_MAX (host-keys.h, checked by its
 * own tests and the XML's) and, in the config, by the line length first.
 */
TEST(routing_host_keys_long_line)
{
	char text[4096];
	struct config c;
	struct diag d;
	size_t n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "[keys]\nhost_keys=KEY_A");
	for (char k = 'B'; k <= 'Z'; k++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",KEY_%c", k);
	n += (size_t)snprintf(text + n, sizeof(text) - n, ",KEY_1,KEY_2,KEY_3,KEY_4\n");
	ASSERT_EQ(parse(text, &c, &d), 0);
	ASSERT_EQ(c.host_keys.n, 30);
	snprintf(text + n - 1, sizeof(text) - n + 1, ",KEY_5,KEY_6,KEY_7\n");
	ASSERT_FAILS(text, -EINVAL, "t.conf:2: line longer than 197 bytes");
}

TEST(ret_untouched_on_error)
{
	struct config c;
	struct diag d;

	memset(&c, 0x5a, sizeof(c));
	ASSERT_EQ(parse("[vm \"a\"]\n[vm \"b\"]\n[ring]\ninclude_host = maybe\n", &c, &d), -EINVAL);
	for (size_t i = 0; i < sizeof(c); i++)
		if (((unsigned char *)&c)[i] != 0x5a)
			TEST_FAIL("byte %zu of the config changed", i);
}

TEST(diag_may_be_null)
{
	struct config c;

	ASSERT_EQ(config_parse_string("[foo]\n", "t.conf", &c, NULL), -EINVAL);
	ASSERT_EQ(config_parse_string("[hotkeys]\ncycle = KEY_NOSUCHKEY\n", "t.conf", &c, NULL),
		  -EINVAL);
}

/* A scratch directory holding one file, removed when the test ends, failed or not. */
struct scratch {
	char dir[256];
	char path[512];
};

static void scratch_done(struct scratch *s)
{
	if (s->path[0])
		unlink(s->path);
	if (s->dir[0])
		rmdir(s->dir);
}

/* Creates the directory (once) and sets s->path to a file in it that does not exist yet. */
static int scratch_init(struct scratch *s)
{
	const char *base = getenv("TMPDIR");

	if (s->dir[0])
		return 0;
	snprintf(s->dir, sizeof(s->dir), "%s/test-config.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		return -errno;
	}
	snprintf(s->path, sizeof(s->path), "%s/test.conf", s->dir);
	return 0;
}

/* Writes len bytes of data to s->path. */
static int scratch_write(struct scratch *s, const void *data, size_t len)
{
	int fd, r = scratch_init(s);
	bool ok;

	if (r < 0)
		return r;
	fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -EIO;
}

TEST(load_file)
{
	_cleanup_(scratch_done) struct scratch s = {0};
	static const char text[] = "[timeouts]\nstop = 42\n";
	struct config c;
	struct diag d;

	ASSERT_EQ(scratch_write(&s, text, strlen(text)), 0);
	ASSERT_EQ(config_load(s.path, false, &c, &d), 0);
	ASSERT_EQ(c.stop_timeout_sec, 42);
}

TEST(load_error_names_file)
{
	_cleanup_(scratch_done) struct scratch s = {0};
	static const char text[] = "[ring]\n\nfoo = 1\n";
	char expect[600];
	struct config c;
	struct diag d;

	ASSERT_EQ(scratch_write(&s, text, strlen(text)), 0);
	ASSERT_EQ(config_load(s.path, false, &c, &d), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:3: unknown key 'foo' in [ring]", s.path);
	ASSERT_STREQ(d.msg, expect);
}

TEST(load_nul_byte)
{
	_cleanup_(scratch_done) struct scratch s = {0};
	static const char text[] = "[ring]\ninclude_host = yes\0\n";
	char expect[600];
	struct config c;
	struct diag d;

	ASSERT_EQ(scratch_write(&s, text, sizeof(text) - 1), 0);
	ASSERT_EQ(config_load(s.path, false, &c, &d), -EINVAL);
	snprintf(expect, sizeof(expect), "%s:2: control character 0x00", s.path);
	ASSERT_STREQ(d.msg, expect);
}

TEST(load_missing)
{
	_cleanup_(scratch_done) struct scratch s = {0};
	char expect[600];
	struct config c;
	struct diag d;

	ASSERT_EQ(scratch_init(&s), 0);
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(config_load(s.path, true, &c, &d), 0);
	assert_defaults(&c);

	memset(&c, 0x5a, sizeof(c));
	ASSERT_EQ(config_load(s.path, false, &c, &d), -ENOENT);
	snprintf(expect, sizeof(expect), "%s: No such file or directory", s.path);
	ASSERT_STREQ(d.msg, expect);
	ASSERT_EQ(((unsigned char *)&c)[0], 0x5a);
}

TEST(load_not_a_file)
{
	_cleanup_(scratch_done) struct scratch s = {0};
	char expect[600];
	struct config c;
	struct diag d;

	ASSERT_EQ(scratch_init(&s), 0);
	ASSERT_EQ(config_load(s.dir, true, &c, &d), -EINVAL);
	snprintf(expect, sizeof(expect), "%s: not a regular file", s.dir);
	ASSERT_STREQ(d.msg, expect);
}

TEST(size_limit)
{
	_cleanup_(scratch_done) struct scratch s = {0};
	static char text[64 * 1024 + 2];
	char expect[600];
	struct config c;
	struct diag d;

	/* Exactly 64 KiB of comment lines is fine; one byte more is not. */
	for (size_t i = 0; i < 64 * 1024; i += 64) {
		memset(text + i, '#', 63);
		text[i + 63] = '\n';
	}
	ASSERT_EQ(scratch_write(&s, text, 64 * 1024), 0);
	ASSERT_EQ(config_load(s.path, false, &c, &d), 0);
	ASSERT_EQ(config_parse_string(text, "t.conf", &c, &d), 0);

	text[64 * 1024] = '\n';
	ASSERT_EQ(scratch_write(&s, text, 64 * 1024 + 1), 0);
	ASSERT_EQ(config_load(s.path, false, &c, &d), -EFBIG);
	snprintf(expect, sizeof(expect), "%s: larger than 65536 bytes", s.path);
	ASSERT_STREQ(d.msg, expect);
	ASSERT_FAILS(text, -EFBIG, "t.conf: larger than 65536 bytes");
}

TEST_MAIN()
