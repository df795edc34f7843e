# ring: the focus ring in the run directory (common/ring.c, common/focus-file.c)
# and the small files it is made of (common/small-file.c), tested on a
# temporary directory.
check_PROGRAMS += test-ring test-focus-file test-small-file
TESTS += test-ring test-focus-file test-small-file

test_ring_SOURCES = tests/unit/test-ring.c tests/test.h tests/test-tmpdir.h
test_ring_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBEVDEV_CFLAGS)
test_ring_LDADD = $(VKCOMMON_LIBS)

test_focus_file_SOURCES = tests/unit/test-focus-file.c tests/test.h tests/test-tmpdir.h
test_focus_file_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBEVDEV_CFLAGS)
test_focus_file_LDADD = $(VKCOMMON_LIBS)

test_small_file_SOURCES = tests/unit/test-small-file.c tests/test.h tests/test-tmpdir.h
test_small_file_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests
test_small_file_LDADD = $(VKCOMMON_LIBS)
