# shellcheck shell=bash disable=SC2034  # sourced: the scripts use what it sets
# Shared settings and helpers for the pipelines in this directory; each script sources it.
#
# Environment (each also settable with the options below):
#   RWKV_MODEL      checkpoint for the rwkv element (default: the model in models/, else the
#                   tiny byte-level test model in ../shared/testdata)
#   RWKV_TOKENIZER  its tokenizer: "auto", "bytes" or a file (default: auto for the model in
#                   models/, bytes for the test model)
#   RWKV_PROPS      more rwkv properties, e.g. "mode=continue max-tokens=20 temperature=0"
#   RWKV_BUILD      build directory whose plugin/ holds libgstrwkv.so (default: build)
# Options every script takes before its own arguments:
#   --model PATH  --tokenizer SPEC  --build DIR  --help

RWKV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The model the project ships; any other checkpoint in models/ is taken when this name is absent.
RWKV_DEFAULT_MODEL="$RWKV_ROOT/models/rwkv4-tiny-en.pth"
# Without one: the tiny rwkv.cpp model of the test data (256 tokens, one per byte).
RWKV_FALLBACK_MODEL="$RWKV_ROOT/../shared/testdata/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin"

default_model() {
  if [ -f "$RWKV_DEFAULT_MODEL" ]; then echo "$RWKV_DEFAULT_MODEL"; return; fi
  local f
  for f in "$RWKV_ROOT"/models/*.pth "$RWKV_ROOT"/models/*.safetensors "$RWKV_ROOT"/models/*.gguf \
           "$RWKV_ROOT"/models/*.bin; do
    if [ -f "$f" ]; then echo "$f"; return; fi
  done
  echo "$RWKV_FALLBACK_MODEL"
}

usage() {
  # The script's header comment is its help.
  sed -n '2,/^$/{/^#/s/^# \{0,1\}//p}' "$0"
}

# Reads the common options; what is left is in ARGS.
parse_common_args() {
  ARGS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --model) RWKV_MODEL=$2; shift 2 ;;
      --model=*) RWKV_MODEL=${1#*=}; shift ;;
      --tokenizer) RWKV_TOKENIZER=$2; shift 2 ;;
      --tokenizer=*) RWKV_TOKENIZER=${1#*=}; shift ;;
      --build) RWKV_BUILD=$2; shift 2 ;;
      --build=*) RWKV_BUILD=${1#*=}; shift ;;
      -h|--help) usage; exit 0 ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
  RWKV_MODEL=${RWKV_MODEL:-$(default_model)}
  if [ -z "${RWKV_TOKENIZER:-}" ]; then
    if [ "$RWKV_MODEL" = "$RWKV_FALLBACK_MODEL" ]; then RWKV_TOKENIZER=bytes; else RWKV_TOKENIZER=auto; fi
  fi
  RWKV_BUILD=${RWKV_BUILD:-$RWKV_ROOT/build}
  if [ ! -e "$RWKV_BUILD/plugin/libgstrwkv.so" ]; then
    echo "$(basename "$0"): no plugin in $RWKV_BUILD/plugin; build it first (meson setup build && ninja -C build)" >&2
    exit 1
  fi
  if [ ! -f "$RWKV_MODEL" ]; then
    echo "$(basename "$0"): model $RWKV_MODEL not found; pass --model PATH or set RWKV_MODEL" >&2
    exit 1
  fi
  export GST_PLUGIN_PATH="$RWKV_BUILD/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  # The rwkv element with the chosen model, as gst-launch arguments (paths may hold spaces).
  # shellcheck disable=SC2206  # RWKV_PROPS is split into properties on purpose
  RWKV=(rwkv "model=$RWKV_MODEL" "tokenizer=$RWKV_TOKENIZER" ${RWKV_PROPS:-})
}

# Exits with a hint when a GStreamer element or a program is missing.
need_elements() {
  local e
  for e in "$@"; do
    gst-inspect-1.0 "$e" >/dev/null 2>&1 && continue
    echo "$(basename "$0"): GStreamer element '$e' is missing; tools/install-deps.sh installs it" >&2
    exit 1
  done
}
need_programs() {
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null && continue
    echo "$(basename "$0"): '$p' is missing; tools/install-deps.sh installs it" >&2
    exit 1
  done
}

# pocketsphinx prints its whole configuration on stderr at start; this drops it and keeps
# the rest (gst-launch's warnings and errors).
quiet_pocketsphinx() {
  grep -v -E '^(-[a-z_]+[[:space:]]|\[NAME\]|Current configuration:|$)' >&2 || true
}

# Turns gst-launch-1.0 -m output (stdout) into one line per rwkv result: scores, summaries,
# labels. gst-launch writes warnings and errors to stderr, which this leaves alone.
format_messages() {
  local awk=(awk)
  # mawk reads a pipe in blocks unless told otherwise; live results should show at once.
  if awk -W version 2>&1 | grep -q mawk; then awk=(awk -W interactive); fi
  "${awk[@]}" '
    function field(s, name,   re, v) {
      re = name "=\\([a-z0-9]+\\)(\"([^\"\\\\]|\\\\.)*\"|[^,;]*)"
      if (!match(s, re)) return ""
      v = substr(s, RSTART + length(name) + 1, RLENGTH - length(name) - 1)
      sub(/^\([a-z0-9]+\)/, "", v)
      if (v ~ /^"/) v = substr(v, 2, length(v) - 2)
      gsub(/\\/, "", v)
      return v
    }
    /rwkv-score,/ {
      printf "score: %s tokens, %.2f bits/byte, least likely word: %s\n",
        field($0, "tokens"), field($0, "bits-per-byte"), field($0, "least-likely-word"); fflush(); next }
    /rwkv-summary,/ {
      printf "summary: %s tokens, %s bytes, %.3f bits/byte\n",
        field($0, "tokens"), field($0, "bytes"), field($0, "bits-per-byte"); fflush(); next }
    /rwkv-classify,/ { printf "label: %s\n", field($0, "label"); fflush(); next }
  '
}
