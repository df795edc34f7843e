/* SPDX-License-Identifier: MIT */
/* Hotkey text: "KEY_A+KEY_B" in, sorted unique codes out, and back. */
#include <errno.h>
#include <libevdev/libevdev.h>

#include "keyset.h"
#include "test.h"

/* Parses a NUL-terminated string. */
static int parse(const char *text, struct keyset *ret, struct diag *diag)
{
	return keyset_parse(text, strlen(text), ret, diag);
}

TEST(one_key)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("KEY_A", &set, &diag), 0);
	ASSERT_EQ(set.n, 1);
	ASSERT_EQ(set.codes[0], KEY_A);
}

TEST(codes_sorted)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("KEY_RIGHTCTRL+KEY_H+KEY_LEFTCTRL", &set, &diag), 0);
	ASSERT_EQ(set.n, 3);
	ASSERT_EQ(set.codes[0], KEY_LEFTCTRL);
	ASSERT_EQ(set.codes[1], KEY_H);
	ASSERT_EQ(set.codes[2], KEY_RIGHTCTRL);
}

TEST(buttons_accepted)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("BTN_LEFT+BTN_SIDE", &set, &diag), 0);
	ASSERT_EQ(set.n, 2);
	ASSERT_EQ(set.codes[0], BTN_LEFT);
	ASSERT_EQ(set.codes[1], BTN_SIDE);
}

TEST(eight_keys_accepted)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("KEY_A+KEY_B+KEY_C+KEY_D+KEY_E+KEY_F+KEY_G+KEY_H", &set, &diag), 0);
	ASSERT_EQ(set.n, KEYSET_MAX);
}

TEST(nine_keys_rejected)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("KEY_A+KEY_B+KEY_C+KEY_D+KEY_E+KEY_F+KEY_G+KEY_H+KEY_I", &set, &diag),
		  -E2BIG);
	ASSERT_CONTAINS(diag.msg, "more than 8 keys");
}

TEST(duplicate_rejected)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("KEY_A+KEY_A", &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "hotkey: key 'KEY_A' given twice");
	ASSERT_EQ(parse("KEY_A+KEY_B+KEY_A", &set, &diag), -EINVAL);
}

TEST(empty_rejected)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("", &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "empty hotkey");
}

TEST(empty_parts_rejected)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("KEY_A+", &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "hotkey 'KEY_A+': ends with '+'");
	ASSERT_EQ(parse("+KEY_A", &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "hotkey '+KEY_A': empty key name");
	ASSERT_EQ(parse("KEY_A++KEY_B", &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "hotkey 'KEY_A++KEY_B': empty key name");
	ASSERT_EQ(parse("+", &set, &diag), -EINVAL);
}

TEST(unknown_names_rejected)
{
	static const char *const bad[] = {
		"KEY_NOSUCHKEY", "key_a", "REL_X", "LED_CAPSL", "EV_KEY", "30", "KEY_A ",
		" KEY_A", "KEY_CNT",
	};
	struct keyset set;
	struct diag diag;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &set, &diag) != -EINVAL)
			TEST_FAIL("'%s' accepted", bad[i]);
	ASSERT_EQ(parse("KEY_A+KEY_NOSUCHKEY", &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "hotkey: unknown key name 'KEY_NOSUCHKEY'");
}

TEST(long_name_rejected)
{
	char text[200];
	struct keyset set;
	struct diag diag;

	memset(text, 'A', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text, "KEY_", 4);
	ASSERT_EQ(parse(text, &set, &diag), -EINVAL);
	ASSERT_CONTAINS(diag.msg, "key name too long");
}

TEST(length_bounds_the_text)
{
	struct keyset set;
	struct diag diag;

	/* Not NUL-terminated after len bytes: only "KEY_A" is read. */
	ASSERT_EQ(keyset_parse("KEY_A+KEY_B", 5, &set, &diag), 0);
	ASSERT_EQ(set.n, 1);
	ASSERT_EQ(set.codes[0], KEY_A);
}

TEST(nul_byte_rejected)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(keyset_parse("KEY_A\0B+KEY_C", 13, &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "hotkey: NUL byte in key name");
}

TEST(ret_untouched_on_error)
{
	struct keyset set = {.n = 1, .codes = {KEY_Z}};
	struct diag diag;

	ASSERT_EQ(parse("KEY_A+KEY_A", &set, &diag), -EINVAL);
	ASSERT_EQ(set.n, 1);
	ASSERT_EQ(set.codes[0], KEY_Z);
}

TEST(diag_may_be_null)
{
	struct keyset set;

	ASSERT_EQ(parse("KEY_NOSUCHKEY", &set, NULL), -EINVAL);
}

TEST(format_canonical)
{
	struct keyset set;
	struct diag diag;
	char buf[KEYSET_TEXT_MAX];

	ASSERT_EQ(parse("KEY_RIGHTCTRL+KEY_LEFTCTRL", &set, &diag), 0);
	ASSERT_EQ(keyset_format(&set, buf, sizeof(buf)), (int)strlen("KEY_LEFTCTRL+KEY_RIGHTCTRL"));
	ASSERT_STREQ(buf, "KEY_LEFTCTRL+KEY_RIGHTCTRL");
}

/* As people write a combo: modifiers first, whatever order the config used. */
TEST(format_modifiers_first)
{
	struct keyset set;
	struct diag diag;
	char buf[KEYSET_TEXT_MAX];

	ASSERT_EQ(parse("KEY_1+KEY_RIGHTMETA+KEY_LEFTALT+KEY_ESC+KEY_LEFTSHIFT", &set, &diag), 0);
	ASSERT_TRUE(keyset_format(&set, buf, sizeof(buf)) > 0);
	ASSERT_STREQ(buf, "KEY_LEFTSHIFT+KEY_LEFTALT+KEY_RIGHTMETA+KEY_ESC+KEY_1");
	/* The room check counts the separator of a key that comes after the first. */
	ASSERT_EQ(parse("KEY_A+KEY_LEFTCTRL", &set, &diag), 0);
	ASSERT_EQ(keyset_format(&set, buf, strlen("KEY_LEFTCTRL+KEY_A")), -ENOBUFS);
	ASSERT_EQ(keyset_format(&set, buf, sizeof(buf)), (int)strlen("KEY_LEFTCTRL+KEY_A"));
	ASSERT_STREQ(buf, "KEY_LEFTCTRL+KEY_A");
}

TEST(format_empty_set)
{
	struct keyset set = {0};
	char buf[8] = "junk";

	ASSERT_EQ(keyset_format(&set, buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "");
}

TEST(format_enobufs)
{
	struct keyset set;
	struct diag diag;
	char buf[KEYSET_TEXT_MAX];
	size_t len = strlen("KEY_A+KEY_B");

	ASSERT_EQ(parse("KEY_B+KEY_A", &set, &diag), 0);
	/* No room for the NUL. */
	ASSERT_EQ(keyset_format(&set, buf, len), -ENOBUFS);
	ASSERT_STREQ(buf, "");
	ASSERT_EQ(keyset_format(&set, buf, 3), -ENOBUFS);
	ASSERT_STREQ(buf, "");
	ASSERT_EQ(keyset_format(&set, buf, 0), -ENOBUFS);
	ASSERT_EQ(keyset_format(&set, buf, len + 1), (int)len);
	ASSERT_STREQ(buf, "KEY_A+KEY_B");
}

/* KEYSET_TEXT_MAX must hold KEYSET_MAX of the longest names libevdev knows. */
TEST(text_max_fits_longest_names)
{
	size_t longest = 0;

	for (unsigned code = 0; code <= KEY_MAX; code++) {
		const char *name = libevdev_event_code_get_name(EV_KEY, code);
		if (name && strlen(name) > longest)
			longest = strlen(name);
	}
	ASSERT_TRUE(KEYSET_MAX * (longest + 1) <= KEYSET_TEXT_MAX);
}

TEST(format_parse_round_trip)
{
	struct keyset set, again;
	struct diag diag;
	char buf[KEYSET_TEXT_MAX];

	ASSERT_EQ(parse("BTN_TRIGGER_HAPPY40+KEY_ESC+KEY_LEFTMETA+BTN_LEFT", &set, &diag), 0);
	ASSERT_TRUE(keyset_format(&set, buf, sizeof(buf)) > 0);
	ASSERT_EQ(parse(buf, &again, &diag), 0);
	ASSERT_TRUE(keyset_equal(&set, &again));
}

TEST(equal_ignores_order)
{
	struct keyset a, b, c;
	struct diag diag;

	ASSERT_EQ(parse("KEY_A+KEY_B", &a, &diag), 0);
	ASSERT_EQ(parse("KEY_B+KEY_A", &b, &diag), 0);
	ASSERT_EQ(parse("KEY_A+KEY_B+KEY_C", &c, &diag), 0);
	ASSERT_TRUE(keyset_equal(&a, &b));
	ASSERT_FALSE(keyset_equal(&a, &c));
	ASSERT_FALSE(keyset_equal(&c, &a));
}

TEST(contains)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("KEY_LEFTCTRL+KEY_RIGHTCTRL", &set, &diag), 0);
	ASSERT_TRUE(keyset_contains(&set, KEY_LEFTCTRL));
	ASSERT_TRUE(keyset_contains(&set, KEY_RIGHTCTRL));
	ASSERT_FALSE(keyset_contains(&set, KEY_A));
}


TEST(markers_are_not_keys)
{
	struct keyset set;
	struct diag diag;

	ASSERT_EQ(parse("KEY_RESERVED", &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "hotkey: 'KEY_RESERVED' is not a key");
	ASSERT_EQ(parse("KEY_A+KEY_MAX", &set, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "hotkey: 'KEY_MAX' is not a key");
}

TEST_MAIN()
