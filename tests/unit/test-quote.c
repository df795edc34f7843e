/* SPDX-License-Identifier: MIT */
/* common/quote.c: the printable rendering of hostile strings in messages. */
#include <string.h>

#include "quote.h"
#include "test.h"

TEST(printable_kept_others_replaced)
{
	char buf[64];

	ASSERT_STREQ(quote_printable(buf, sizeof(buf), "vm 1 ~!"), "vm 1 ~!");
	/* Control bytes (ESC, BEL, tab, CR, newline) and DEL: one '?' each. */
	ASSERT_STREQ(quote_printable(buf, sizeof(buf), "a\x1b]0;x\x07\t\r\n\x7f" "b"),
		     "a?]0;x?????b");
	/* Non-ASCII: each byte of "é" (UTF-8, two bytes) and a lone high byte. */
	ASSERT_STREQ(quote_printable(buf, sizeof(buf), "caf\xc3\xa9\xff"), "caf???");
}

TEST(bounded_and_terminated)
{
	char buf[4] = "xxx";

	ASSERT_STREQ(quote_printable(buf, sizeof(buf), "abcdef"), "abc");
	ASSERT_STREQ(quote_printable(buf, 1, "abc"), "");
	ASSERT_STREQ(quote_printable(buf, sizeof(buf), NULL), "");
	ASSERT_STREQ(quote_printable(buf, sizeof(buf), ""), "");
}

TEST(line_stops_at_newline)
{
	char buf[64];

	ASSERT_STREQ(quote_line(buf, sizeof(buf), "Start tag expected\nmore\n"),
		     "Start tag expected");
	ASSERT_STREQ(quote_line(buf, sizeof(buf), "\nx"), "");
	/* Other control bytes are still replaced, not a stop. */
	ASSERT_STREQ(quote_line(buf, sizeof(buf), "a\rb\x1b"), "a?b?");
	ASSERT_STREQ(quote_line(buf, 3, "abc\n"), "ab");
	ASSERT_STREQ(quote_line(buf, sizeof(buf), NULL), "");
}

TEST_MAIN()
