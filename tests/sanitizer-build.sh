#!/bin/sh
# Configures ./build-san, the project's one sanitizer build, if it is not configured yet:
# clang with AddressSanitizer and UndefinedBehaviorSanitizer, the libFuzzer targets
# (-Dfuzz=true: the engine carries coverage instrumentation, tests/fuzz), and -march=native
# (-Dnative=true), so that a result that depends on the instruction set the compiler targets
# (a multiply-add fused on one target and not another) fails here as well as in a portable
# build. tests/run.sh runs its suites 'sanitize' and 'fuzz'; tests/fuzz/run.sh its suite 'fuzz'.
# Exits 77 when clang or its libFuzzer runtime is missing.
set -e
cd "$(dirname "$0")/.."
if ! command -v clang++ >/dev/null 2>&1; then
  echo "SKIP sanitizer build: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)"
  exit 77
fi
runtime=$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if [ ! -f "$runtime" ]; then
  echo "SKIP sanitizer build: clang's libFuzzer runtime is missing (Debian: apt-get install libclang-rt-14-dev)"
  exit 77
fi
# b_lundef=false: the shared libraries (engine, plugin) leave the sanitizer runtimes to the
# executables that load them.
[ -f build-san/build.ninja ] || CC=clang CXX=clang++ meson setup build-san -Dcuda=disabled -Dfuzz=true \
  -Dnative=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
