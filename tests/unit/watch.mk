# `vfio-kvm watch`'s lines (cli/watch-line.c), and the desktop examples built on it.
check_PROGRAMS += test-watch-line
TESTS += test-watch-line
test_watch_line_SOURCES = tests/unit/test-watch-line.c cli/watch-line.c cli/watch-line.h \
	tests/test.h
test_watch_line_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/cli

# The example scripts parse, the user units have what they need.
TESTS += tests/unit/test-examples
EXTRA_DIST += tests/unit/test-examples
