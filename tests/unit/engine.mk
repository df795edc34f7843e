# engine: the hotkey machine, the forwarding hot path (fed through pipes), the
# helper's pure ring decisions, its ring follower (on a temporary run
# directory) and its inotify reader, the capability cache's
# format, and the helper on real uinput devices (skipped without root and
# /dev/uinput; the D-Bus one also without a system bus; the fault one's
# systemd test and the sleep one outside the guest).
check_PROGRAMS += test-hotkey test-forward test-announce test-devcache test-inotify-read test-loop \
	test-follow test-uinput-helper test-uinput-ring test-uinput-bus test-uinput-fault test-uinput-sleep
TESTS += test-hotkey test-forward test-announce test-devcache test-inotify-read test-loop \
	test-follow test-uinput-helper test-uinput-ring test-uinput-bus test-uinput-fault test-uinput-sleep

test_hotkey_SOURCES = tests/unit/test-hotkey.c tests/test.h
test_hotkey_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
test_hotkey_LDADD = $(VKCOMMON_LIBS)

test_devcache_SOURCES = tests/unit/test-devcache.c tests/test.h
test_devcache_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
test_devcache_LDADD = $(VKCOMMON_LIBS)

test_forward_SOURCES = tests/unit/test-forward.c tests/test.h helper/forward.c helper/forward.h
test_forward_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper
test_forward_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
test_forward_LDADD = $(VKCOMMON_LIBS)

test_inotify_read_SOURCES = tests/unit/test-inotify-read.c tests/test.h tests/test-tmpdir.h \
	helper/inotify-read.c helper/inotify-read.h
test_inotify_read_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper -I$(top_srcdir)/tests
test_inotify_read_LDADD = $(VKCOMMON_LIBS)

test_loop_SOURCES = tests/unit/test-loop.c tests/test.h helper/loop.c helper/loop.h
test_loop_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper -I$(top_srcdir)/tests
test_loop_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS) $(LIBSYSTEMD_CFLAGS)
test_loop_LDADD = $(VKCOMMON_LIBS) $(LIBSYSTEMD_LIBS)

# The ring follower on a temporary run directory, with a real sd-event.
test_follow_SOURCES = tests/unit/test-follow.c tests/test.h tests/test-tmpdir.h \
	helper/ring-follow.c helper/ring-follow.h helper/announce.c helper/announce.h \
	helper/inotify-read.c helper/inotify-read.h
test_follow_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper -I$(top_srcdir)/tests
test_follow_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS) $(LIBSYSTEMD_CFLAGS)
test_follow_LDADD = $(VKCOMMON_LIBS) $(LIBSYSTEMD_LIBS)

test_announce_SOURCES = tests/unit/test-announce.c tests/test.h \
	helper/announce.c helper/announce.h helper/forward.c helper/forward.h
test_announce_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper
test_announce_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
test_announce_LDADD = $(VKCOMMON_LIBS)

# These run the built ./vfio-kvm-helper (or $VFIO_KVM_HELPER) from the top build directory.
test_uinput_helper_SOURCES = tests/unit/test-uinput-helper.c tests/unit/test-uinput-rig.h tests/test.h
test_uinput_helper_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
test_uinput_helper_LDADD = $(VKCOMMON_LIBS)

test_uinput_ring_SOURCES = tests/unit/test-uinput-ring.c tests/test.h
test_uinput_ring_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
test_uinput_ring_LDADD = $(VKCOMMON_LIBS)

test_uinput_bus_SOURCES = tests/unit/test-uinput-bus.c tests/unit/test-bus-step.h tests/test.h
test_uinput_bus_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS) $(LIBSYSTEMD_CFLAGS)
test_uinput_bus_LDADD = $(VKCOMMON_LIBS) $(LIBSYSTEMD_LIBS)

test_uinput_fault_SOURCES = tests/unit/test-uinput-fault.c tests/unit/test-uinput-rig.h tests/test.h
test_uinput_fault_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
test_uinput_fault_LDADD = $(VKCOMMON_LIBS)

test_uinput_sleep_SOURCES = tests/unit/test-uinput-sleep.c tests/unit/test-uinput-rig.h \
	tests/unit/test-bus-step.h tests/test.h
test_uinput_sleep_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS) $(LIBSYSTEMD_CFLAGS)
test_uinput_sleep_LDADD = $(VKCOMMON_LIBS) $(LIBSYSTEMD_LIBS)

# The helper's polkit client against a stand-in bus daemon and polkit on a socket pair.
check_PROGRAMS += test-polkit
TESTS += test-polkit
test_polkit_SOURCES = tests/unit/test-polkit.c tests/test.h helper/polkit.c helper/polkit.h
test_polkit_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper -I$(top_srcdir)/tests
test_polkit_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
test_polkit_LDADD = $(VKCOMMON_LIBS) $(LIBSYSTEMD_LIBS)
