#!/bin/sh
# The project's test command: installs what is missing, configures and builds ./build, runs
# every Meson test suite; then the CPU and plugin suites again built with AddressSanitizer and
# UndefinedBehaviorSanitizer (./build-asan), the many-streams scheduler and the sessions built
# with ThreadSanitizer (./build-tsan), and the libFuzzer targets for a bounded time
# (./build-fuzz, tests/fuzz/run.sh); RWKV_SKIP_SANITIZERS=1 skips those three. Ends with one
# line "N passed, N failed, N skipped" and exits non-zero when anything failed. Extra
# arguments go to the first `meson test` (e.g. --suite cpu).
set -e
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build

# run_suites DIR ARGS...: meson test in DIR, its output shown and kept in DIR/test-output.txt;
# returns meson's status (sh has no pipefail: it is passed through a file).
run_suites() {
  dir=$1
  shift
  { meson test -C "$dir" --print-errorlogs "$@"; echo $? >"$dir/test-status"; } | tee "$dir/test-output.txt"
  return "$(cat "$dir/test-status")"
}

set +e
run_suites build "$@"
status=$?
outputs=build/test-output.txt
if [ "${RWKV_SKIP_SANITIZERS:-0}" != 1 ]; then
  # The plugin is loaded into the sanitized GstHarness test programs; the pipelines suite is
  # left out, as gst-launch-1.0 (not sanitized) cannot load a sanitized plugin.
  [ -f build-asan/build.ninja ] || meson setup build-asan -Dcuda=disabled \
    -Db_sanitize=address,undefined -Dbuildtype=debugoptimized >/dev/null
  ninja -C build-asan
  (
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
    run_suites build-asan --suite cpu --suite plugin --timeout-multiplier 4
  )
  s=$?
  [ $status -eq 0 ] && status=$s
  outputs="$outputs build-asan/test-output.txt"

  # Threads sharing one model: the engine alone (GStreamer's own libraries are not built for
  # ThreadSanitizer, so the plugin stays out).
  [ -f build-tsan/build.ninja ] || meson setup build-tsan -Dcuda=disabled -Dplugin=disabled \
    -Db_sanitize=thread -Dbuildtype=debugoptimized >/dev/null
  ninja -C build-tsan
  (
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
    run_suites build-tsan --suite scheduler --suite text --timeout-multiplier 4
  )
  s=$?
  [ $status -eq 0 ] && status=$s
  outputs="$outputs build-tsan/test-output.txt"

  sh tests/fuzz/run.sh
  s=$?
  if [ $s -ne 77 ]; then
    [ $status -eq 0 ] && status=$s
    outputs="$outputs build-fuzz/test-output.txt"
  fi
fi
set -e
total() {  # total NAME: the sum of "NAME: N" over the test runs
  n=0
  for f in $outputs; do
    v=$(sed -n "s/^$1: *\([0-9]*\).*/\1/p" "$f" | tail -n 1)
    n=$((n + ${v:-0}))
  done
  echo $n
}
# Name what failed just above the summary, where a log cut to its tail still shows it.
for f in $outputs; do
  grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|UNEXPECTEDPASS|ERROR) ' "$f" | awk '!seen[$0]++' | sed "s|^ *|failed in ${f%%/*}: |"
done
echo "$(( $(total Ok) + $(total 'Expected Fail') )) passed, $(( $(total Fail) + $(total 'Unexpected Pass') + $(total Timeout) )) failed, $(total Skipped) skipped"
exit $status
