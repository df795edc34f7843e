# parsers: libFuzzer targets for the config, hotkey and host-key parsers. Built by
# `make check` in a fuzzing build, never run by it: run them by hand, e.g.
#   ./fuzz-config -max_total_time=60 NEW_DIR $(srcdir)/tests/fuzz/corpus/config
if ENABLE_FUZZING
check_PROGRAMS += fuzz-config fuzz-keyset fuzz-keylist
endif

fuzz_config_SOURCES = tests/fuzz/fuzz-config.c
fuzz_config_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_FLAGS)
fuzz_config_LDADD = $(VKCOMMON_LIBS)

fuzz_keyset_SOURCES = tests/fuzz/fuzz-keyset.c
fuzz_keyset_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
fuzz_keyset_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_FLAGS)
fuzz_keyset_LDADD = $(VKCOMMON_LIBS)

fuzz_keylist_SOURCES = tests/fuzz/fuzz-keylist.c
fuzz_keylist_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
fuzz_keylist_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_FLAGS)
fuzz_keylist_LDADD = $(VKCOMMON_LIBS)

# The focus file, ring entries and status files under the run directory.
if ENABLE_FUZZING
check_PROGRAMS += fuzz-run-files
endif
fuzz_run_files_SOURCES = tests/fuzz/fuzz-run-files.c
fuzz_run_files_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)
fuzz_run_files_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_FLAGS)
fuzz_run_files_LDADD = $(VKCOMMON_LIBS)
