# shellcheck shell=bash disable=SC2034  # sourced: the tests use what it sets
# Shared by the pipeline tests: test data, skips (exit 77), scratch space and the readers of
# gst-launch-1.0 -m output. Sourced; the tests run under meson with RWKV_TESTDATA,
# RWKV_BUNDLED_MODEL and GST_PLUGIN_PATH set (see meson.build). Without ../shared they run on
# the bundled model (OTHER_MODEL is then empty).
set -u

if [ -n "${RWKV_TESTDATA:-}" ] && [ -f "$RWKV_TESTDATA/rwkvcpp/SOURCES.txt" ]; then
  MODEL=$RWKV_TESTDATA/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin
  OTHER_MODEL=$RWKV_TESTDATA/rwkvcpp/tiny-rwkv-4v0-660K-FP16.bin
elif [ -f "${RWKV_BUNDLED_MODEL:-}" ]; then
  MODEL=$RWKV_BUNDLED_MODEL
  OTHER_MODEL=
else
  echo "SKIP: neither ../shared/testdata nor the bundled model"
  exit 77
fi
RWKV=(rwkv "model=$MODEL" tokenizer=bytes)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rwkv-pipeline-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

FAILURES=0
fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}
finish() {
  [ "$FAILURES" -eq 0 ] && echo "PASS" && exit 0
  echo "$FAILURES check(s) failed" >&2
  exit 1
}

require_elements() {
  local e
  for e in "$@"; do
    gst-inspect-1.0 "$e" >/dev/null 2>&1 && continue
    echo "SKIP: GStreamer element $e is not installed"
    exit 77
  done
}
require_programs() {
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null && continue
    echo "SKIP: $p is not installed"
    exit 77
  done
}
# This build's plugin must load: its absence is a failure, not a skip.
if ! gst-inspect-1.0 rwkv >/dev/null 2>&1; then
  echo "FAIL: the rwkv element does not load from GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-}" >&2
  exit 1
fi

# field NAME STRUCT FILE: the values of NAME in every STRUCT message of a gst-launch -m log,
# one a line, in order (strings unquoted and unescaped).
field() {
  grep -F " $2, " "$3" | sed -n -E "s/.* $2,.*[ ,]$1=\\([a-z0-9]+\\)(\"([^\"\\\\]|\\\\.)*\"|[^,;]*).*/\\1/p" \
    | sed -E 's/^"(.*)"$/\1/; s/\\(.)/\1/g'
}

# close A B [REL]: whether two numbers agree to REL (default 1e-9) of their size.
close() {
  awk -v a="$1" -v b="$2" -v r="${3:-1e-9}" 'BEGIN {
    if (a == "" || b == "") exit 1
    d = a - b; if (d < 0) d = -d
    m = a < 0 ? -a : a
    exit !(d <= r * m) }'
}

# expect_vtt FILE TIMING...: FILE is WebVTT with exactly these cue timing lines, in order
# ("hh:mm:ss.ttt --> hh:mm:ss.ttt"), each after a blank line.
expect_vtt() {
  local vtt=$1 i=0 timings
  shift
  [ "$(head -n 1 "$vtt")" = WEBVTT ] || fail "the first line is not WEBVTT"
  mapfile -t timings < <(grep -E -- '-->' "$vtt")
  [ ${#timings[@]} -eq $# ] || fail "${#timings[@]} cue timing lines, want $#"
  for want in "$@"; do
    [[ ${timings[$i]:-} =~ ^[0-9]{2}:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}\ --\>\ [0-9]{2}:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}$ ]] \
      || fail "malformed cue timing line '${timings[$i]:-}'"
    [ "${timings[$i]:-}" = "$want" ] || fail "cue $i timing '${timings[$i]:-}', want '$want'"
    i=$((i + 1))
  done
  [ "$(grep -c -E -- '-->' "$vtt")" -eq "$(grep -B1 -E -- '-->' "$vtt" | grep -c '^$')" ] \
    || fail "a cue does not follow a blank line"
}
