#!/bin/sh
# Runs one libFuzzer target for the Meson suite 'fuzz'.
#   fuzz.sh replay EXE DIR...             every file of the DIRs once (seeds, regressions)
#   fuzz.sh run EXE BUILDDIR NAME DIR...  fuzzes for $RWKV_FUZZ_SECONDS (default 20) from a
#                                         scratch corpus BUILDDIR/corpus/NAME holding the DIRs'
#                                         files; crash inputs go to BUILDDIR/artifacts/NAME/
# Limits: 10 s per input, 2 GiB resident, 512 MiB in one allocation (far more than any
# seed-sized file may make a loader allocate). libFuzzer's own exit code for a finding is
# 77, which Meson reads as a skip: findings exit 1 here.
set -u
mode=$1 exe=$2
shift 2
limits="-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -error_exitcode=1 -timeout_exitcode=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
case $mode in
  replay)
    files=$(for d in "$@"; do [ -d "$d" ] && find "$d" -type f ! -name '.*' ! -name '*.md'; done | sort)
    [ -n "$files" ] || { echo "no inputs to replay"; exit 0; }
    # shellcheck disable=SC2086
    exec "$exe" $limits $files
    ;;
  run)
    build=$1 name=$2
    shift 2
    corpus=$build/corpus/$name artifacts=$build/artifacts/$name
    mkdir -p "$corpus" "$artifacts"
    for d in "$@"; do
      [ -d "$d" ] && find "$d" -type f ! -name '.*' ! -name '*.md' -exec cp -f {} "$corpus/" \;
    done
    # shellcheck disable=SC2086
    "$exe" $limits -max_total_time="${RWKV_FUZZ_SECONDS:-20}" -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus"
    status=$?
    if [ $status -ne 0 ]; then
      echo "fuzz-$name FAILED: inputs kept in $artifacts/:"
      ls -l "$artifacts"
      echo "reproduce: $exe FILE; once fixed, keep FILE in tests/fuzz/regressions/$name/"
    fi
    exit $status
    ;;
  *) echo "usage: fuzz.sh replay EXE DIR... | run EXE BUILDDIR NAME DIR..." >&2; exit 2 ;;
esac
