#!/bin/sh
# The project's test command: installs what is missing, configures and builds ./build, runs
# every Meson test suite and ends with one line "N passed, N failed, N skipped".
# Extra arguments go to `meson test` (e.g. --suite cpu).
set -e
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
set +e
meson test -C build --print-errorlogs "$@" | tee build/test-output.txt
status=$?
set -e
count() { sed -n "s/^$1: *\([0-9]*\).*/\1/p" build/test-output.txt | tail -n 1; }
ok=$(count Ok); xfail=$(count "Expected Fail"); fail=$(count Fail)
xpass=$(count "Unexpected Pass"); skip=$(count Skipped); timeout=$(count Timeout)
echo "$(( ${ok:-0} + ${xfail:-0} )) passed, $(( ${fail:-0} + ${xpass:-0} + ${timeout:-0} )) failed, ${skip:-0} skipped"
exit $status
