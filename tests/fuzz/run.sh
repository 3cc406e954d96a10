#!/bin/sh
# Runs the Meson suite 'fuzz' in ./build-san, the project's sanitizer build (clang,
# AddressSanitizer and UndefinedBehaviorSanitizer; configured by tests/sanitizer-build.sh):
# every seed and regression input replayed, then each target fuzzed for $RWKV_FUZZ_SECONDS
# seconds (default 20). Output goes to build-san/fuzz-output.txt too; exits with meson's
# status, or 77 (skip) when clang or its libFuzzer runtime is missing.
set -e
cd "$(dirname "$0")/../.."
sh tests/sanitizer-build.sh || exit $?
# Only the fuzz programs (meson test would build every test program of the tree).
ninja -C build-san fuzz-targets
set +e
# (sh has no pipefail: meson's status is passed through a file)
{ meson test -C build-san --no-rebuild --suite fuzz --print-errorlogs "$@"; echo $? >build-san/.fuzz-status; } |
  tee build-san/fuzz-output.txt
exit "$(cat build-san/.fuzz-status)"
