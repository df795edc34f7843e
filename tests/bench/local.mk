# tests/bench/: the forwarding benchmark (scripts/bench). Built by `make check`
# so that a build directory holds them for the guest; they are not tests and
# are not in TESTS: they need /dev/uinput and run inside the test guest.
BENCH_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/bench
BENCH_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)

check_PROGRAMS += \
	tests/bench/bench-run \
	tests/bench/bench-scale \
	tests/bench/fwd-bare \
	tests/bench/fwd-libevdev

tests_bench_bench_run_SOURCES = tests/bench/bench-run.c tests/bench/bench-common.c \
	tests/bench/bench.h
tests_bench_bench_run_CPPFLAGS = $(BENCH_CPPFLAGS)
tests_bench_bench_run_CFLAGS = $(BENCH_CFLAGS) -pthread
tests_bench_bench_run_LDADD = $(LIBEVDEV_LIBS) -lpthread

tests_bench_bench_scale_SOURCES = tests/bench/bench-scale.c tests/bench/bench-common.c \
	tests/bench/bench.h
tests_bench_bench_scale_CPPFLAGS = $(BENCH_CPPFLAGS)
tests_bench_bench_scale_CFLAGS = $(BENCH_CFLAGS) -pthread
tests_bench_bench_scale_LDADD = $(LIBEVDEV_LIBS) -lpthread

tests_bench_fwd_bare_SOURCES = tests/bench/fwd-bare.c
tests_bench_fwd_bare_CFLAGS = $(BENCH_CFLAGS)
tests_bench_fwd_bare_LDADD = $(LIBEVDEV_LIBS)

tests_bench_fwd_libevdev_SOURCES = tests/bench/fwd-libevdev.c
tests_bench_fwd_libevdev_CFLAGS = $(BENCH_CFLAGS)
tests_bench_fwd_libevdev_LDADD = $(LIBEVDEV_LIBS)

EXTRA_DIST += \
	tests/bench/bench-guest \
	tests/bench/fwd-evdev.py \
	scripts/bench

# The helper again with helper/loop.c's plain sd-event variant: the benchmark's
# "vfio-kvm (plain sd-event)" row, against which the epoll layer is measured.
check_PROGRAMS += tests/bench/vfio-kvm-helper-plain
tests_bench_vfio_kvm_helper_plain_SOURCES = $(vfio_kvm_helper_SOURCES)
tests_bench_vfio_kvm_helper_plain_CPPFLAGS = $(AM_CPPFLAGS) -DLOOP_PLAIN_SD_EVENT
tests_bench_vfio_kvm_helper_plain_CFLAGS = $(vfio_kvm_helper_CFLAGS)
tests_bench_vfio_kvm_helper_plain_LDADD = $(vfio_kvm_helper_LDADD)

# The loop's unit test against the plain sd-event variant: both keep loop.h's contract.
check_PROGRAMS += tests/bench/test-loop-plain
TESTS += tests/bench/test-loop-plain
tests_bench_test_loop_plain_SOURCES = tests/unit/test-loop.c tests/test.h helper/loop.c \
	helper/loop.h
tests_bench_test_loop_plain_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/helper \
	-I$(top_srcdir)/tests -DLOOP_PLAIN_SD_EVENT
tests_bench_test_loop_plain_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_bench_test_loop_plain_LDADD = $(VKCOMMON_LIBS) $(LIBSYSTEMD_LIBS)
