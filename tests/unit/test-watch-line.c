/* SPDX-License-Identifier: MIT */
/* The lines `vfio-kvm watch` prints (cli/watch-line.h), plain and JSON. */
#include <errno.h>

#include "test.h"
#include "watch-line.h"

static const char *line(bool running, const char *target, bool json)
{
	static char buf[WATCH_LINE_MAX];
	struct watch_state st = {.running = running};

	snprintf(st.target, sizeof(st.target), "%s", target);
	if (watch_line_format(&st, json, buf, sizeof(buf)) < 0)
		return "(error)";
	return buf;
}

TEST(plain_is_one_word_per_line)
{
	ASSERT_STREQ(line(true, "vm1", false), "vm1\n");
	ASSERT_STREQ(line(true, "host", false), "host\n");
	/* No VM runs: nobody grabs, the host has the devices. */
	ASSERT_STREQ(line(false, "vm1", false), "host\n");
}

TEST(json_for_waybar)
{
	ASSERT_STREQ(line(true, "win10", true),
	             "{\"text\":\"win10\",\"alt\":\"vm\",\"class\":\"vm\","
	             "\"tooltip\":\"Keyboard and mouse: win10\",\"target\":\"win10\"}\n");
	ASSERT_STREQ(line(true, "host", true),
	             "{\"text\":\"host\",\"alt\":\"host\",\"class\":\"host\","
	             "\"tooltip\":\"Keyboard and mouse: host\",\"target\":\"host\"}\n");
	ASSERT_STREQ(
	    line(false, "", true),
	    "{\"text\":\"host\",\"alt\":\"idle\",\"class\":\"idle\","
	    "\"tooltip\":\"Keyboard and mouse: host (no VM runs)\",\"target\":\"host\"}\n");
}

TEST(json_escapes_what_a_name_cannot_hold_anyway)
{
	char buf[64];

	ASSERT_EQ(watch_json_string("a\"b\\c", buf, sizeof(buf)), 9);
	ASSERT_STREQ(buf, "\"a\\\"b\\\\c\"");
	watch_json_string("tab\there\nnl\r\b\f", buf, sizeof(buf));
	ASSERT_STREQ(buf, "\"tab\\there\\nnl\\r\\b\\f\"");
	watch_json_string("\x01\x1f\x7f", buf, sizeof(buf));
	ASSERT_STREQ(buf, "\"\\u0001\\u001f\\u007f\"");
	watch_json_string("caf\xc3\xa9", buf, sizeof(buf));
	ASSERT_STREQ(buf, "\"caf??\"");
	ASSERT_EQ(watch_json_string("", buf, sizeof(buf)), 2);
	ASSERT_STREQ(buf, "\"\"");
	/* The line carries the escaped name in text and target. */
	ASSERT_CONTAINS(line(true, "x\"y", true), "\"text\":\"x\\\"y\"");
	ASSERT_CONTAINS(line(true, "x\"y", true), "\"target\":\"x\\\"y\"}\n");
}

TEST(too_small_buffers_are_errors_not_half_strings)
{
	char buf[8];
	struct watch_state st = {.running = true, .target = "vm1"};

	ASSERT_EQ(watch_json_string("abcdef", buf, 8), -ENOBUFS);
	ASSERT_STREQ(buf, "");
	ASSERT_EQ(watch_json_string("abcde", buf, 8), 7);
	ASSERT_EQ(watch_json_string("\x01", buf, 8), -ENOBUFS);
	ASSERT_EQ(watch_line_format(&st, false, buf, 4), -ENOBUFS);
	ASSERT_EQ(watch_line_format(&st, false, buf, 5), 4);
	ASSERT_EQ(watch_line_format(&st, true, buf, sizeof(buf)), -ENOBUFS);
}

TEST_MAIN()
