#!/bin/sh
# The project's test command. Installs what is missing, builds ./build and runs every Meson
# suite there but 'soak-long'; then the project's one sanitizer build (./build-san: clang,
# AddressSanitizer + UndefinedBehaviorSanitizer, -march=native, tests/sanitizer-build.sh)
# runs the suite 'sanitize' (the tests that take untrusted input, touch raw memory or run
# threads) and the suite 'fuzz' (every seed and regression replayed, each libFuzzer target
# fuzzed for $RWKV_FUZZ_SECONDS, default 20); then a ThreadSanitizer build of the engine
# (./build-tsan) runs the suite 'threads'. Ends with one line "N passed, N failed, N skipped"
# and exits non-zero when anything failed.
#   sh tests/run.sh [--soak-long] [--no-sanitizers] [MESON TEST ARGUMENTS...]
#   --soak-long      also the suite 'soak-long' (a million tokens per model, ~11 minutes)
#   --no-sanitizers  ./build only (RWKV_SKIP_SANITIZERS=1 does the same)
# Other arguments go to the first `meson test` (e.g. --suite cpu).
set -e
cd "$(dirname "$0")/.."
soak_long=0
skip_san=${RWKV_SKIP_SANITIZERS:-0}
while [ $# -gt 0 ]; do
  case "$1" in
    --soak-long) soak_long=1 ;;
    --no-sanitizers) skip_san=1 ;;
    *) break ;;
  esac
  shift
done
sh tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build

# run_suites DIR OUTPUT ARGS...: meson test in DIR, its output shown and kept in DIR/OUTPUT
# (each such file is named in $outputs for the summary); returns meson's status (sh has no
# pipefail: it is passed through a file).
outputs=""
run_suites() {
  dir=$1 out=$1/$2
  shift 2
  { meson test -C "$dir" --print-errorlogs "$@"; echo $? >"$out.status"; } | tee "$out"
  return "$(cat "$out.status")"
}
set +e
status=0
note() { [ "$1" -eq 0 ] || [ $status -ne 0 ] || status=$1; }
run_suites build test-output.txt --no-suite soak-long "$@"
note $?
outputs="build/test-output.txt"
if [ $soak_long = 1 ]; then
  run_suites build soak-long-output.txt --suite soak-long
  note $?
  outputs="$outputs build/soak-long-output.txt"
fi

if [ "$skip_san" != 1 ]; then
  sh tests/sanitizer-build.sh
  s=$?
  if [ $s -eq 0 ]; then
    ninja -C build-san
    note $?
    # The plugin is loaded into the sanitized GstHarness programs; gst-launch-1.0 (not
    # sanitized) cannot load a sanitized plugin, so the pipelines stay out of 'sanitize'.
    (
      export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
      run_suites build-san test-output.txt --no-rebuild --suite sanitize --timeout-multiplier 4
    )
    note $?
    outputs="$outputs build-san/test-output.txt"
    sh tests/fuzz/run.sh
    note $?
    outputs="$outputs build-san/fuzz-output.txt"
  elif [ $s -ne 77 ]; then
    note $s
  fi

  # Threads sharing one model: the engine alone (GStreamer's own libraries are not built for
  # ThreadSanitizer, so the plugin stays out); only the suite's programs are compiled.
  [ -f build-tsan/build.ninja ] || meson setup build-tsan -Dcuda=disabled -Dplugin=disabled \
    -Db_sanitize=thread -Dbuildtype=debugoptimized >/dev/null
  # shellcheck disable=SC2046
  ninja -C build-tsan $(sh tests/suite-programs.sh build-tsan threads)
  note $?
  (
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
    run_suites build-tsan test-output.txt --no-rebuild --suite threads --timeout-multiplier 4
  )
  note $?
  outputs="$outputs build-tsan/test-output.txt"
fi
set -e
total() {  # total NAME: the sum of "NAME: N" over the test runs
  n=0
  for f in $outputs; do
    v=$(sed -n "s/^$1: *\([0-9]*\).*/\1/p" "$f" 2>/dev/null | tail -n 1)
    n=$((n + ${v:-0}))
  done
  echo $n
}
# Name what failed just above the summary, where a log cut to its tail still shows it.
for f in $outputs; do
  [ -f "$f" ] || continue
  grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR) ' "$f" | awk '!seen[$0]++' | sed "s|^ *|failed in ${f%%/*}: |"
done
echo "$(( $(total Ok) + $(total 'Expected Fail') )) passed, $(( $(total Fail) + $(total 'Unexpected Pass') + $(total Timeout) )) failed, $(total Skipped) skipped"
exit $status
