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
	tests/vm/test-vm-signal

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

EXTRA_DIST += \
	tests/vm/README.md \
	tests/vm/run \
	tests/vm/packages \
	tests/vm/guest/run-guest-tests \
	tests/vm/guest/vfio-kvm-guest-tests.service \
	tests/vm/guest/test-vm-smoke \
	tests/vm/guest/test-vm-libvirt
