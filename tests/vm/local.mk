# tests/vm/: the guest tests. tests/vm/run boots a Debian guest under QEMU with
# the project installed and runs there the programs below (they skip anywhere
# else), the scripts in tests/vm/guest/ and every test-uinput-* program.
VMTEST_COMMON = tests/vm/vmtest.c tests/vm/vmtest.h tests/test.h
VMTEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/vm
VMTEST_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS)

check_PROGRAMS += \
	tests/vm/test-vm-clone \
	tests/vm/test-vm-forward \
	tests/vm/test-vm-hotkey \
	tests/vm/test-vm-signal \
	tests/vm/test-vm-touch \
	tests/vm/test-vm-routing \
	tests/vm/test-sys-cli \
	tests/vm/test-sys-libvirt \
	tests/vm/test-sys-timing

tests_vm_test_vm_clone_SOURCES = tests/vm/test-vm-clone.c $(VMTEST_COMMON)
tests_vm_test_vm_clone_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_vm_clone_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_vm_clone_LDADD = $(LIBEVDEV_LIBS)

tests_vm_test_vm_forward_SOURCES = tests/vm/test-vm-forward.c $(VMTEST_COMMON)
tests_vm_test_vm_forward_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_vm_forward_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_vm_forward_LDADD = $(LIBEVDEV_LIBS)

tests_vm_test_vm_hotkey_SOURCES = tests/vm/test-vm-hotkey.c $(VMTEST_COMMON)
tests_vm_test_vm_hotkey_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_vm_hotkey_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_vm_hotkey_LDADD = $(LIBEVDEV_LIBS)

tests_vm_test_vm_signal_SOURCES = tests/vm/test-vm-signal.c $(VMTEST_COMMON)
tests_vm_test_vm_signal_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_vm_signal_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_vm_signal_LDADD = $(LIBEVDEV_LIBS)

tests_vm_test_vm_touch_SOURCES = tests/vm/test-vm-touch.c $(VMTEST_COMMON)
tests_vm_test_vm_touch_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_vm_touch_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_vm_touch_LDADD = $(LIBEVDEV_LIBS)

tests_vm_test_vm_routing_SOURCES = tests/vm/test-vm-routing.c $(VMTEST_COMMON)
tests_vm_test_vm_routing_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_vm_routing_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_vm_routing_LDADD = $(LIBEVDEV_LIBS)

# The product path end to end: the hook under libvirtd, the CLI, udev, D-Bus.
tests_vm_test_sys_cli_SOURCES = tests/vm/test-sys-cli.c $(VMTEST_COMMON)
tests_vm_test_sys_cli_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_sys_cli_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_sys_cli_LDADD = $(LIBEVDEV_LIBS)

tests_vm_test_sys_libvirt_SOURCES = tests/vm/test-sys-libvirt.c $(VMTEST_COMMON)
tests_vm_test_sys_libvirt_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_sys_libvirt_CFLAGS = $(VMTEST_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_vm_test_sys_libvirt_LDADD = $(LIBEVDEV_LIBS) $(LIBSYSTEMD_LIBS)

tests_vm_test_sys_timing_SOURCES = tests/vm/test-sys-timing.c $(VMTEST_COMMON)
tests_vm_test_sys_timing_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_sys_timing_CFLAGS = $(VMTEST_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_vm_test_sys_timing_LDADD = $(LIBEVDEV_LIBS) $(LIBSYSTEMD_LIBS)

EXTRA_DIST += \
	tests/vm/README.md \
	tests/vm/run \
	tests/vm/packages \
	tests/vm/guest/run-guest-tests \
	tests/vm/guest/check-apparmor \
	tests/vm/guest/vfio-kvm-guest-tests.service \
	tests/vm/guest/test-vm-smoke \
	tests/vm/guest/test-vm-libvirt

# Hardening, hostile input and scale: the sandbox's exposure, every door fed
# hostile input, 16 VMs x 8 devices at once.
EXTRA_DIST += \
	tests/vm/guest/test-hard-sandbox \
	tests/vm/guest/test-hard-hostile \
	tests/vm/guest/test-hard-scale

# Switching focus as a user other than root: polkit's verdict, polkit missing.
EXTRA_DIST += tests/vm/guest/test-sys-polkit

# The Debian package installed, upgraded and purged with apt (tests/vm/run --debs).
EXTRA_DIST += tests/vm/guest/test-pkg-deb

# `vfio-kvm watch` as a user, the notify example, the D-Bus interface file
# against the running object, and a bus policy installed while the bus runs.
check_PROGRAMS += tests/vm/test-sys-watch
tests_vm_test_sys_watch_SOURCES = tests/vm/test-sys-watch.c $(VMTEST_COMMON)
tests_vm_test_sys_watch_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_sys_watch_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_sys_watch_LDADD = $(LIBEVDEV_LIBS)
EXTRA_DIST += tests/vm/guest/test-sys-dbus

# Host keys, a pinned device and a device with only a by-path link, in one
# domain started with `virsh create`.
check_PROGRAMS += tests/vm/test-sys-routing
tests_vm_test_sys_routing_SOURCES = tests/vm/test-sys-routing.c $(VMTEST_COMMON)
tests_vm_test_sys_routing_CPPFLAGS = $(VMTEST_CPPFLAGS)
tests_vm_test_sys_routing_CFLAGS = $(VMTEST_CFLAGS)
tests_vm_test_sys_routing_LDADD = $(LIBEVDEV_LIBS)
