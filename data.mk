# Data files: udev rules, tmpfiles.d, D-Bus policy, sample config, scripts.
EXTRA_DIST += scripts/test scripts/lib.sh .ci/run
