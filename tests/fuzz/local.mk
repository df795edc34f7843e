# tests/fuzz/: libFuzzer targets, built with clang and --enable-fuzzing.
# The whole build is then compiled with -fsanitize=fuzzer-no-link (scripts/test
# sets CFLAGS), and each target links with FUZZER_FLAGS.
FUZZER_FLAGS = -fsanitize=fuzzer
EXTRA_DIST += tests/fuzz/corpus
include tests/fuzz/parsers.mk
include tests/fuzz/domain.mk
