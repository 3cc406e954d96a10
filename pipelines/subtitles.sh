#!/usr/bin/env bash
# A subtitle file through rwkv: subparse reads the cues (.srt, .vtt, .sub, ...), rwkv reads
# their text into its state and scores each cue, webvttenc writes the cues back out as WebVTT
# with their original timing. With RWKV_PROPS="mode=continue" (or respond, classify) the
# output cues are the model's answers instead, stamped at the cue they answer.
#
# Usage: subtitles.sh [options] INPUT [OUTPUT.vtt]
#   INPUT     a subtitle file subparse reads (default output: INPUT with .vtt, or
#             INPUT.rwkv.vtt when INPUT is already .vtt)
#   options   --model PATH --tokenizer SPEC --build DIR (see common.sh)
# Environment: RWKV_MODEL, RWKV_TOKENIZER, RWKV_PROPS, RWKV_BUILD.
#
# The pipeline:
#   filesrc location=INPUT ! subparse ! rwkv model=... ! webvttenc ! filesink location=OUTPUT

set -euo pipefail
. "$(dirname "$0")/common.sh"
parse_common_args "$@"
set -- "${ARGS[@]}"
[ $# -ge 1 ] && [ $# -le 2 ] || { usage >&2; exit 2; }
input=$1
[ -f "$input" ] || { echo "subtitles.sh: no file $input" >&2; exit 1; }
output=${2:-${input%.*}.vtt}
[ "$output" != "$input" ] || output=${input%.*}.rwkv.vtt
need_elements subparse webvttenc

echo "Cues of $input, read by rwkv, to $output:" >&2
gst-launch-1.0 -m filesrc location="$input" ! subparse ! "${RWKV[@]}" separator='\\n' ! webvttenc \
  ! filesink location="$output" | format_messages
