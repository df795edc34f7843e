# tests/unit/: unit tests of the pure parts; each area lists its tests in its own file.
include tests/unit/parsers.mk
include tests/unit/domain.mk
include tests/unit/engine.mk
include tests/unit/ring.mk
include tests/unit/unit.mk
include tests/unit/watch.mk

EXTRA_DIST += tests/unit/test-uinput-rig.h

# The built programs against the libsystemd version configure asks for.
TESTS += tests/unit/test-libsystemd-version
EXTRA_DIST += tests/unit/test-libsystemd-version

# make install/uninstall DESTDIR=… with the hook's rules (hook/local.mk).
TESTS += tests/unit/test-install-hook
EXTRA_DIST += tests/unit/test-install-hook

# The polkit action (config/vfio.kvm.policy) against polkit's DTD, and installed.
TESTS += tests/unit/test-polkit-policy
EXTRA_DIST += tests/unit/test-polkit-policy
