/* SPDX-License-Identifier: MIT */
/* common/keylist.c: the host keys' list, as the config, the XML and the helper's argv write it. */
#include <errno.h>
#include <libevdev/libevdev.h>

#include "keylist.h"
#include "macro.h"
#include "test.h"

static int parse(const char *text, struct keylist *ret, struct diag *diag)
{
	return keylist_parse(text, strlen(text), ret, diag);
}

TEST(parse_sorts_and_formats_canonically)
{
	struct keylist l;
	char buf[KEYLIST_TEXT_MAX];

	ASSERT_EQ(parse(" KEY_VOLUMEUP ,KEY_MUTE,\tKEY_VOLUMEDOWN, KEY_PLAYPAUSE ", &l, NULL), 0);
	ASSERT_EQ(l.n, 4);
	ASSERT_EQ(l.codes[0], KEY_MUTE);
	ASSERT_EQ(l.codes[3], KEY_PLAYPAUSE);
	ASSERT_TRUE(keylist_contains(&l, KEY_VOLUMEUP));
	ASSERT_TRUE(!keylist_contains(&l, KEY_A));
	ASSERT_EQ(keylist_format(&l, buf, sizeof(buf)), (int)strlen(buf));
	ASSERT_STREQ(buf, "KEY_MUTE,KEY_VOLUMEDOWN,KEY_VOLUMEUP,KEY_PLAYPAUSE");
	/* BTN_* are keys too (a mouse's side button may stay with the host). */
	ASSERT_EQ(parse("BTN_SIDE", &l, NULL), 0);
	ASSERT_EQ(l.codes[0], BTN_SIDE);
}

TEST(empty_text_is_the_empty_list)
{
	struct keylist l = {.n = 3};
	char buf[4];

	ASSERT_EQ(parse("", &l, NULL), 0);
	ASSERT_EQ(l.n, 0);
	l.n = 3;
	ASSERT_EQ(parse(" \t ", &l, NULL), 0);
	ASSERT_EQ(l.n, 0);
	ASSERT_EQ(keylist_format(&l, buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "");
}

TEST(refusals_name_the_part_and_leave_ret_alone)
{
	static const struct {
		const char *text;
		int error;
		const char *msg;
	} cases[] = {
		{"KEY_MUTE,KEY_NOPE", -EINVAL, "host keys: unknown key name 'KEY_NOPE'"},
		{"KEY_MUTE,,KEY_A", -EINVAL, "host keys 'KEY_MUTE,,KEY_A': empty key name"},
		{"KEY_MUTE,", -EINVAL, "empty key name"},
		{",KEY_MUTE", -EINVAL, "empty key name"},
		{"KEY_MUTE , KEY_MUTE", -EINVAL, "host keys: key 'KEY_MUTE' given twice"},
		{"KEY_RESERVED", -EINVAL, "host keys: 'KEY_RESERVED' is not a key"},
		{"KEY_MAX", -EINVAL, "host keys: 'KEY_MAX' is not a key"},
		{"KEY_A+KEY_B", -EINVAL, "unknown key name 'KEY_A+KEY_B'"},
		{"KEY_A KEY_B", -EINVAL, "unknown key name 'KEY_A KEY_B'"},
		{"REL_X", -EINVAL, "unknown key name 'REL_X'"},
		/* Hostile bytes are shown as '?': the message stays one printable line. */
		{"KEY_A,,\n\x1b[2J", -EINVAL, "host keys 'KEY_A,,??[2J': empty key name"},
		{"KEY_\x1b[2J", -EINVAL, "unknown key name 'KEY_?[2J'"},
	};
	struct keylist l = {.n = 1, .codes = {KEY_Z}};
	struct diag d;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = parse(cases[i].text, &l, &d);

		if (r != cases[i].error || !strstr(d.msg, cases[i].msg))
			TEST_FAIL("'%s': %d '%s', expected %d '%s'", cases[i].text, r, d.msg,
				  cases[i].error, cases[i].msg);
		ASSERT_EQ(l.n, 1);
		ASSERT_EQ(l.codes[0], KEY_Z);
	}
	/* A NUL inside the given length is no key name. */
	ASSERT_EQ(keylist_parse("KEY_A\0B", 7, &l, &d), -EINVAL);
}

TEST(bounded_to_keylist_max)
{
	char text[KEYLIST_TEXT_MAX * 2] = "";
	struct keylist l;
	struct diag d;
	size_t n = 0;

	/* KEY_1 .. : KEYLIST_MAX + 1 distinct keys. */
	for (unsigned code = KEY_ESC; code <= KEY_ESC + KEYLIST_MAX; code++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", n ? "," : "",
				      libevdev_event_code_get_name(EV_KEY, code));
	ASSERT_EQ(parse(text, &l, &d), -E2BIG);
	ASSERT_CONTAINS(d.msg, "more than 32 keys");
	*strrchr(text, ',') = '\0';
	ASSERT_EQ(parse(text, &l, &d), 0);
	ASSERT_EQ(l.n, KEYLIST_MAX);
}

TEST(add_one_at_a_time)
{
	struct keylist l = {0}, m;
	char buf[8];

	ASSERT_EQ(keylist_add(&l, KEY_VOLUMEUP), 0);
	ASSERT_EQ(keylist_add(&l, KEY_MUTE), 0);
	ASSERT_EQ(keylist_add(&l, KEY_MUTE), -EEXIST);
	ASSERT_EQ(keylist_add(&l, KEY_RESERVED), -EINVAL);
	ASSERT_EQ(keylist_add(&l, KEY_MAX), -EINVAL);
	ASSERT_EQ(keylist_add(&l, KEY_CNT + 5), -EINVAL);
	ASSERT_EQ(parse("KEY_VOLUMEUP,KEY_MUTE", &m, NULL), 0);
	ASSERT_TRUE(keylist_equal(&l, &m));
	ASSERT_EQ(keylist_format(&l, buf, sizeof(buf)), -ENOBUFS);
	ASSERT_STREQ(buf, "");
	for (unsigned code = KEY_ESC; l.n < KEYLIST_MAX; code++)
		(void)keylist_add(&l, code);
	ASSERT_EQ(keylist_add(&l, KEY_F24), -E2BIG);
}

TEST_MAIN()
