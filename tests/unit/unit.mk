# unit: the VM's systemd unit (common/unit.c) against a stand-in systemd, and
# the built hook and CLI run as libvirtd and a user would run them.
check_PROGRAMS += test-unit test-hook-cli
TESTS += test-unit test-hook-cli

test_unit_SOURCES = tests/unit/test-unit.c tests/test.h
test_unit_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBSYSTEMD_CFLAGS) $(LIBXML_CFLAGS) \
	$(LIBEVDEV_CFLAGS)
test_unit_LDADD = $(VKCOMMON_LIBS)

test_hook_cli_SOURCES = tests/unit/test-hook-cli.c tests/test.h
test_hook_cli_CPPFLAGS = $(AM_CPPFLAGS) -DBUILDDIR=\"$(abs_top_builddir)\" \
	-DHELPER_PATH=\"$(libexecdir)/vfio-kvm-helper\" \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/unit/data\"
test_hook_cli_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests
EXTRA_test_hook_cli_DEPENDENCIES = vfio-kvm-hook$(EXEEXT) vfio-kvm$(EXEEXT)

# The status file the helpers write for `vfio-kvm status` (common/status-file.c).
check_PROGRAMS += test-status-file
TESTS += test-status-file
test_status_file_SOURCES = tests/unit/test-status-file.c tests/test.h
test_status_file_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests
test_status_file_LDADD = $(VKCOMMON_LIBS)

# The built vfio-kvm's ring verbs (status, focus, next, release) on a temporary
# run directory whose ring members the test joins itself.
check_PROGRAMS += test-cli-focus
TESTS += test-cli-focus
test_cli_focus_SOURCES = tests/unit/test-cli-focus.c tests/test.h
test_cli_focus_CPPFLAGS = $(AM_CPPFLAGS) -DBUILDDIR=\"$(abs_top_builddir)\"
test_cli_focus_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBEVDEV_CFLAGS)
test_cli_focus_LDADD = $(VKCOMMON_LIBS)
EXTRA_test_cli_focus_DEPENDENCIES = vfio-kvm$(EXEEXT)

# The helper's command line, written for the unit and parsed by the helper
# (common/helper-argv.c).
check_PROGRAMS += test-helper-argv
TESTS += test-helper-argv
test_helper_argv_SOURCES = tests/unit/test-helper-argv.c tests/test.h
test_helper_argv_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBEVDEV_CFLAGS)
test_helper_argv_LDADD = $(VKCOMMON_LIBS)

# The unit's ExecReload asking a helper to reload (helper/reload.c).
check_PROGRAMS += test-reload
TESTS += test-reload
test_reload_SOURCES = tests/unit/test-reload.c tests/test.h helper/reload.c helper/reload.h
test_reload_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/helper \
	$(LIBSYSTEMD_CFLAGS)
test_reload_LDADD = $(VKCOMMON_LIBS)
