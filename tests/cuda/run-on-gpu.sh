#!/bin/sh
# The CUDA backend's check on a GPU machine, in one call: build, the cuda suite (which must
# run: a skipped test or absent test data fails the run), compute-sanitizer (memcheck and
# racecheck on real shapes cut to one layer -- head size 64, v7 heads past the first, a second
# WKV tile, gather/scatter -- and the bf16 kernels; initcheck once), and one benchmark shape.
# Everything runs within one deadline, $RWKV_GPU_DEADLINE seconds from the start (default
# 480, under the device call's 540): each stage's timeout is what is left, and a stage the
# deadline leaves no time for is reported NOT RUN and fails the check. Needs only nvcc +
# cuBLAS (the CUDA toolkit), meson, ninja and python3; no GStreamer.
#
#   tests/cuda/run-on-gpu.sh prepare        here, before the device call: copies the tiny test
#                                           models (24 MB) into ./testdata (git-ignored) so that
#                                           they travel with the working tree
#   tests/cuda/run-on-gpu.sh check          on the device: all of the above, at most 8 minutes
#   tests/cuda/run-on-gpu.sh build|test|sanitize|bench [SHAPE...]   one stage
#
# The device call (the `device` tool's run), after `prepare`:
#   command: tests/cuda/run-on-gpu.sh check     carry: ["testdata"]     timeout_s: 540
# Full logs go to $OUT when set, else to build-gpu-logs: build.txt, tests.txt,
# cuda-testlog.txt, sanitize.txt, bench.txt (five files: a device call returns at most
# eight); the output shows the summary. The test data is looked for in ../shared/testdata, then
# $RWKV_TESTDATA, ./shared/testdata and ./testdata. The build targets the device's own
# architecture (nvidia-smi's compute capability; -Dgpu_archs otherwise) to build quickly.
set -u
cd "$(dirname "$0")/../.."
started=$(date +%s)
deadline=$((started + ${RWKV_GPU_DEADLINE:-480}))
# Seconds a step may take: at most $1, and never past the deadline less $2 kept for what
# follows; 0 when nothing is left.
budget() {
  left=$((deadline - $(date +%s) - ${2:-0}))
  [ "$left" -lt 0 ] && left=0
  [ "$left" -lt "$1" ] && echo "$left" || echo "$1"
}
stage=${1:-check}
[ $# -gt 0 ] && shift
shapes=${*:-rwkv7-0.1b}
out=${OUT:-}

if [ "$stage" = prepare ]; then
  src=../shared/testdata/rwkvcpp
  [ -f "$src/SOURCES.txt" ] || { echo "run-on-gpu: no $src to copy" >&2; exit 1; }
  mkdir -p testdata/rwkvcpp
  cp "$src"/SOURCES.txt "$src"/expected-logits-* "$src"/*-FP32.bin "$src"/*-FP16.bin "$src"/*-Q5_1.bin \
    testdata/rwkvcpp/
  git check-ignore -q testdata || { echo "run-on-gpu: ./testdata is not ignored by git" >&2; exit 1; }
  echo "testdata/rwkvcpp: $(du -sh testdata/rwkvcpp | cut -f1); now call the device with:"
  echo "  command: tests/cuda/run-on-gpu.sh check    carry: [\"testdata\"]    timeout_s: 540"
  exit 0
fi

if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  PATH=/usr/local/cuda/bin:$PATH
  export PATH
fi

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.memory,compute_cap --format=csv 2>&1
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
if [ ! -f ../shared/testdata/rwkvcpp/SOURCES.txt ]; then
  echo "FAILED: no test data (run 'tests/cuda/run-on-gpu.sh prepare' here and carry testdata)"
  exit 1
fi

status=0
fail() { echo "FAILED: $*"; status=1; }
# Full logs go to $OUT (or build-gpu-logs); the output shows what a report needs.
logs=${out:-build-gpu-logs}
mkdir -p "$logs"
rm -f "$logs/sanitize.txt" "$logs/bench.txt"

# Always builds (ninja is quick when nothing changed): a build directory left from an earlier
# call must not run old binaries.
build() {
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d ' .')
  archs=${RWKV_GPU_ARCHS:-${cap:-80,89,90}}
  echo "== build (gpu_archs=$archs)"
  t=$(budget 300 120)
  if { { [ -f build-gpu/build.ninja ] || meson setup build-gpu -Dplugin=disabled -Dcuda=enabled -Dgpu_archs="$archs"; } &&
       timeout "$t" ninja -C build-gpu; } >"$logs/build.txt" 2>&1; then
    tail -n 1 "$logs/build.txt"
  else
    tail -n 40 "$logs/build.txt"
    echo "FAILED: build (or it ran past its ${t} s)"
    return 1
  fi
}

# meson's closing count NAME (Ok, Fail, Skipped, Timeout) from the suite's log.
count() { sed -n "s/^$1: *\([0-9]*\).*/\1/p" build-gpu/meson-logs/testlog.txt | tail -n 1; }

# The module this build made, whatever device nodes the machine's runtime shows.
export RWKV_CUDA_MODULE="$PWD/build-gpu/engine/librwkv-cuda.so"

tests() {
  echo "== tests (suite cuda)"
  t=$(budget 240 150)
  [ "$t" -gt 0 ] || { fail "NOT RUN: the cuda suite (deadline)"; return; }
  timeout "$t" meson test -C build-gpu --suite cuda --print-errorlogs --timeout-multiplier 2 >"$logs/tests.txt" 2>&1
  cp build-gpu/meson-logs/testlog.txt "$logs/cuda-testlog.txt"
  grep -E '^ *[0-9]+/[0-9]+ ' "$logs/tests.txt" | grep -v ' OK ' || true
  ok=$(count Ok) failed=$(count Fail) skipped=$(count Skipped) timeouts=$(count Timeout)
  echo "cuda suite: ${ok:-?} passed, ${failed:-?} failed, ${timeouts:-?} timed out, ${skipped:-?} skipped"
  [ "${failed:-1}" = 0 ] && [ "${timeouts:-1}" = 0 ] || fail "cuda tests failed (see $logs/tests.txt)"
  [ "${skipped:-1}" = 0 ] || fail "${skipped:-?} cuda tests skipped: a skipped test is not a pass"
  [ "${ok:-0}" -gt 0 ] || fail "no cuda test ran"
  echo "== measured differences (the worst of each test's comparisons; all in $logs/cuda-testlog.txt)"
  awk '/^test:/ { name = $NF } /^-+ stdout -+$/ { p = 1; next } /^-+ stderr -+$/ || /^=+$/ { p = 0 }
       p && /max/ { print name ": " $0 }' build-gpu/meson-logs/testlog.txt | sort -t: -k1,1 -u
}

# compute-sanitizer jobs: TOOL PROGRAM ARGS. Real shapes cut to one layer (a 40-token
# sequence, steps, batches with gathered slots: test_cuda_shapes) reach head size 64, v7
# heads past the first and a second WKV tile; the tiny v7 model in bf16 reaches the bf16
# kernels; initcheck once.
sanitizer_jobs="memcheck shapes rwkv7-0.1b 1
memcheck shapes rwkv5-0.4b 1
memcheck vs_cpu 7v0 bf16 quick
racecheck shapes rwkv7-0.1b 1
racecheck shapes rwkv5-0.4b 1
racecheck vs_cpu 7v0 bf16 quick
initcheck shapes rwkv7-0.1b 1"

sanitize() {
  echo "== compute-sanitizer"
  if ! command -v compute-sanitizer >/dev/null 2>&1; then
    echo "NOT CHECKED: compute-sanitizer is not on PATH"
    sanitizer_missing=1
    return
  fi
  echo "$sanitizer_jobs" | while read -r tool prog a1 a2 a3; do
    name="$tool $prog $a1 $a2"
    f="build-gpu/sanitize-$tool-$prog-$a1-$a2.txt"
    t=$(budget 120 60)  # a minute kept for the benchmark
    if [ "$t" -lt 10 ]; then
      echo "$name: NOT RUN (deadline)"
      echo 1 >build-gpu/.sanitize-status
      continue
    fi
    if RWKV_TESTDATA=../shared/testdata timeout "$t" compute-sanitizer --tool "$tool" --error-exitcode 3 \
        "build-gpu/tests/cuda/test_cuda_$prog" "$a1" "$a2" ${a3:+"$a3"} >"$f" 2>&1; then
      echo "$name: clean"
    elif grep -q 'Device not supported' "$f"; then
      # Some machines' runtimes (gVisor) refuse the sanitizer: nothing was checked.
      echo "NOT CHECKED: compute-sanitizer cannot run on this machine ($(grep -m1 'Device not supported' "$f"))"
      echo missing >build-gpu/.sanitize-missing
      break
    else
      echo "$name: FAILED (or ran past ${t} s)"
      tail -n 30 "$f"
      echo 1 >build-gpu/.sanitize-status
    fi
    { echo "=== $name"; cat "$f"; } >>"$logs/sanitize.txt"
  done
  # (the loop ran in a subshell: its verdicts come back through files)
  [ -f build-gpu/.sanitize-status ] && status=1
  [ -f build-gpu/.sanitize-missing ] && sanitizer_missing=1
  rm -f build-gpu/.sanitize-status build-gpu/.sanitize-missing
}

bench() {
  echo "== benchmarks (fp16, random weights of real shapes)"
  for s in $shapes; do
    echo "-- $s"
    f=build-gpu/bench-$s.txt
    t=$(budget 150)
    [ "$t" -gt 10 ] || { fail "NOT RUN: bench $s (deadline)"; continue; }
    if timeout "$t" build-gpu/tools/rwkv-bench --device cuda --shape "$s" --dtype fp16 >"$f" 2>&1; then
      cat "$f"
    else
      tail -n 20 "$f"
      fail "bench $s"
    fi
    cat "$f" >>"$logs/bench.txt"
  done
}

case $stage in
  check) build || exit 1; tests; sanitize; bench ;;
  build) build || exit 1 ;;
  test) build || exit 1; tests ;;
  sanitize) build || exit 1; sanitize ;;
  bench) build || exit 1; bench ;;
  *) echo "run-on-gpu: unknown stage '$stage' (prepare, check, build, test, sanitize, bench)" >&2; exit 2 ;;
esac
not_checked=""
[ -n "${sanitizer_missing:-}" ] && not_checked=" (compute-sanitizer could not run: memory and race checks NOT done)"
took=$(($(date +%s) - started))
if [ $status -eq 0 ]; then echo "run-on-gpu: $stage passed in $took s$not_checked"
else echo "run-on-gpu: $stage FAILED in $took s$not_checked"; fi
exit $status
