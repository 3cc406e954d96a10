#!/bin/sh
# Builds the libFuzzer targets in ./build-fuzz (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs the Meson suite 'fuzz': every seed and regression
# input replayed, then each target fuzzed for $RWKV_FUZZ_SECONDS seconds (default 20).
# Output goes to build-fuzz/test-output.txt too; exits with meson's status, or 77 (skip)
# when clang or its libFuzzer runtime is missing.
set -e
cd "$(dirname "$0")/../.."
if ! command -v clang++ >/dev/null 2>&1; then
  echo "SKIP fuzz: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)"
  exit 77
fi
runtime=$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if [ ! -f "$runtime" ]; then
  echo "SKIP fuzz: clang's libFuzzer runtime is missing (Debian: apt-get install libclang-rt-14-dev)"
  exit 77
fi
# b_lundef=false: the engine library leaves the sanitizer runtimes to the executables.
[ -f build-fuzz/build.ninja ] || CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true \
  -Dplugin=disabled -Dcuda=disabled -Db_sanitize=address,undefined -Db_lundef=false \
  -Dbuildtype=debugoptimized >/dev/null
# Only the fuzz programs (meson test would build every test program of the tree).
ninja -C build-fuzz fuzz-targets
set +e
# (sh has no pipefail: meson's status is passed through a file)
{ meson test -C build-fuzz --no-rebuild --suite fuzz --print-errorlogs "$@"; echo $? >build-fuzz/.fuzz-status; } |
  tee build-fuzz/test-output.txt
exit "$(cat build-fuzz/.fuzz-status)"
