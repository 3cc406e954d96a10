#!/usr/bin/env bash
# A text stream from standard input through rwkv: whatever arrives (typed lines, a program's
# output, a file) is read into the model's state as it comes. The element's output goes to
# standard output, its results (scores, summary) to standard error.
#
# Usage: stdin-text.sh [options]
#   options   --model PATH --tokenizer SPEC --build DIR (see common.sh)
# Environment: RWKV_MODEL, RWKV_TOKENIZER, RWKV_PROPS, RWKV_BUILD.
# Examples:
#   echo "The quick brown fox jumps over the lazy dog." | pipelines/stdin-text.sh
#   RWKV_PROPS="mode=continue trigger=sentence max-tokens=30" pipelines/stdin-text.sh
#     (type a sentence and press Enter; Ctrl-D ends)
#
# The pipeline:
#   fdsrc fd=0 ! rwkv model=... ! fdsink fd=1

set -euo pipefail
. "$(dirname "$0")/common.sh"
parse_common_args "$@"
[ ${#ARGS[@]} -eq 0 ] || { usage >&2; exit 2; }

# The element's text on fd 3 (our stdout); gst-launch's messages, condensed, on stderr.
exec 3>&1
stdbuf -oL gst-launch-1.0 -m fdsrc fd=0 ! "${RWKV[@]}" ! fdsink fd=3 sync=false | format_messages >&2
