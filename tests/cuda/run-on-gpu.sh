#!/bin/sh
# Builds the CUDA backend, runs its tests and the GPU benchmarks, printing what a report
# needs: the machine, every test's measured differences, and the benchmark figures.
# Needs only nvcc + cuBLAS (the CUDA toolkit), meson, ninja and python3; no GStreamer.
#
#   tests/cuda/run-on-gpu.sh [all|build|test|bench] [SHAPE...]
#
# Stages can run separately (a build in build-gpu is reused). With $OUT set, the test log
# and the benchmark output are also copied there. The tiny test models are looked for in
# ../shared/testdata, then $RWKV_TESTDATA, ./shared/testdata and ./testdata.
set -u
cd "$(dirname "$0")/../.."
stage=${1:-all}
[ $# -gt 0 ] && shift
shapes=${*:-"rwkv4-169m rwkv4-1.5b rwkv4-7b rwkv7-0.1b rwkv7-1.5b rwkv7-7.2b"}
out=${OUT:-}

if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  PATH=/usr/local/cuda/bin:$PATH
  export PATH
fi

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.memory --format=csv 2>&1 || true
nvcc --version | tail -n 2
echo "meson $(meson --version), ninja $(ninja --version), $(nproc) cores"

if [ ! -f ../shared/testdata/rwkvcpp/SOURCES.txt ]; then
  for d in "${RWKV_TESTDATA:-}" shared/testdata testdata; do
    if [ -n "$d" ] && [ -f "$d/rwkvcpp/SOURCES.txt" ]; then
      mkdir -p ../shared && ln -sfn "$(cd "$d" && pwd)" ../shared/testdata
      echo "test data: $d (linked as ../shared/testdata)"
      break
    fi
  done
fi
[ -f ../shared/testdata/rwkvcpp/SOURCES.txt ] || echo "WARNING: no test data: the model tests will be skipped"

status=0
if [ "$stage" = all ] || [ "$stage" = build ] || [ ! -f build-gpu/build.ninja ]; then
  echo "== build"
  [ -f build-gpu/build.ninja ] || meson setup build-gpu -Dplugin=disabled -Dcuda=enabled || exit 1
  ninja -C build-gpu || exit 1
fi

if [ "$stage" = all ] || [ "$stage" = test ]; then
  echo "== tests (suite cuda, then the CPU engine suite)"
  meson test -C build-gpu --suite cuda --print-errorlogs --timeout-multiplier 3 || status=1
  echo "== measured differences (from build-gpu/meson-logs/testlog.txt)"
  # Each test's name, result and own output: the model, then one line per comparison.
  awk '/^test:/ { print ""; print } /^result:/ { print } /^-+ stdout -+$/ { p = 1; next }
       /^-+ stderr -+$/ || /^=+$/ { p = 0 } p' build-gpu/meson-logs/testlog.txt
  [ -n "$out" ] && cp build-gpu/meson-logs/testlog.txt "$out/cuda-testlog.txt"
  meson test -C build-gpu --suite engine --print-errorlogs || status=1
fi

if [ "$stage" = all ] || [ "$stage" = bench ]; then
  echo "== benchmarks (fp16, random weights of real shapes)"
  for s in $shapes; do
    echo "-- $s"
    build-gpu/tools/rwkv-bench --device cuda --shape "$s" --dtype fp16 > "build-gpu/bench-$s.txt" 2>&1 || status=1
    cat "build-gpu/bench-$s.txt"
    [ -n "$out" ] && cat "build-gpu/bench-$s.txt" >> "$out/bench.txt"
  done
fi
exit $status
