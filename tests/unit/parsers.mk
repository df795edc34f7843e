# parsers: unit tests of the hotkey, name and config parsers, and of the
# quoting of hostile strings in their messages.
check_PROGRAMS += test-keyset test-keylist test-names test-config test-quote
TESTS += test-keyset test-keylist test-names test-config test-quote

test_keyset_SOURCES = tests/unit/test-keyset.c tests/test.h
test_keyset_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBEVDEV_CFLAGS)
test_keyset_LDADD = $(VKCOMMON_LIBS)

test_keylist_SOURCES = tests/unit/test-keylist.c tests/test.h
test_keylist_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBEVDEV_CFLAGS)
test_keylist_LDADD = $(VKCOMMON_LIBS)

test_names_SOURCES = tests/unit/test-names.c tests/test.h
test_names_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests
test_names_LDADD = $(VKCOMMON_LIBS)

test_config_SOURCES = tests/unit/test-config.c tests/test.h
test_config_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBEVDEV_CFLAGS)
test_config_LDADD = $(VKCOMMON_LIBS)

test_quote_SOURCES = tests/unit/test-quote.c tests/test.h
test_quote_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests
test_quote_LDADD = $(VKCOMMON_LIBS)
