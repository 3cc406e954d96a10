#!/bin/sh
# The project's test command: installs what is missing, configures and builds ./build, runs
# every Meson test suite, then the CPU suite again built with AddressSanitizer and
# UndefinedBehaviorSanitizer (./build-asan; RWKV_SKIP_SANITIZERS=1 skips it), and ends with
# one line "N passed, N failed, N skipped". Extra arguments go to the first `meson test`
# (e.g. --suite cpu).
set -e
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
set +e
meson test -C build --print-errorlogs "$@" | tee build/test-output.txt
status=$?
outputs=build/test-output.txt
if [ "${RWKV_SKIP_SANITIZERS:-0}" != 1 ]; then
  # The GStreamer parts are left out: gst-launch-1.0 cannot load a sanitized plugin.
  [ -f build-asan/build.ninja ] || meson setup build-asan -Dplugin=disabled -Dcuda=disabled \
    -Db_sanitize=address,undefined -Dbuildtype=debugoptimized >/dev/null
  ninja -C build-asan
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --suite cpu --timeout-multiplier 4 | tee build-asan/test-output.txt
  asan_status=$?
  [ $status -eq 0 ] && status=$asan_status
  outputs="$outputs build-asan/test-output.txt"
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
echo "$(( $(total Ok) + $(total 'Expected Fail') )) passed, $(( $(total Fail) + $(total 'Unexpected Pass') + $(total Timeout) )) failed, $(total Skipped) skipped"
exit $status
