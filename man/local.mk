# man/: the manual pages beside vfio-kvm(1), which cli/local.mk installs with
# its program; tests/docs/test-man-lint renders every page in man/.
dist_man5_MANS = man/vfio-kvm.conf.5
dist_man7_MANS = man/vfio-kvm-dbus.7
dist_man8_MANS = man/vfio-kvm-hook.8

TESTS += tests/docs/test-man-lint
EXTRA_DIST += tests/docs/test-man-lint
