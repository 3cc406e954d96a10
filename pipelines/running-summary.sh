#!/usr/bin/env bash
# A running summary of a long transcript: rwkv reads the whole transcript into its state and,
# every INTERVAL seconds of transcript time, answers a summary prompt about the part since the
# last one (mode=respond trigger=interval, on a fork of the state, so the main state reads
# only the transcript). The summaries come out as WebVTT cues on standard output, each from
# the end of the stretch it sums up, for as long as that stretch lasted; save them as a .vtt
# track beside the recording.
#
# Usage: running-summary.sh [options] TRANSCRIPT [INTERVAL]
#   TRANSCRIPT  a timed transcript subparse reads (.srt, .vtt, ...), or - for plain text on
#               standard input timed by its arrival (a live transcript: tail -f, pocketsphinx)
#   INTERVAL    seconds of transcript between summaries (default 30)
#   options     --model PATH --tokenizer SPEC --build DIR (see common.sh)
# Environment: RWKV_MODEL, RWKV_TOKENIZER, RWKV_PROPS, RWKV_BUILD; SUMMARY_PROMPT, the
# template ({text} = the transcript since the last summary).
# Example: pipelines/running-summary.sh pipelines/sample-transcript.srt 45
#
# The pipeline:
#   filesrc location=TRANSCRIPT ! subparse
#     ! rwkv model=... mode=respond trigger=interval interval=30000000000 prompt=...
#     ! webvttenc ! fdsink

set -euo pipefail
. "$(dirname "$0")/common.sh"
parse_common_args "$@"
set -- "${ARGS[@]}"
[ $# -ge 1 ] && [ $# -le 2 ] || { usage >&2; exit 2; }
transcript=$1 interval=${2:-30}
[[ $interval =~ ^[0-9]+$ ]] && [ "$interval" -gt 0 ] || { echo "running-summary.sh: INTERVAL must be whole seconds" >&2; exit 2; }
need_elements webvttenc

# One line: gst-launch cannot pass a line break inside a property value.
prompt=${SUMMARY_PROMPT:-"{text} To sum up this part of the meeting in one sentence:"}

if [ "$transcript" = - ]; then
  source=(fdsrc fd=0)
else
  [ -f "$transcript" ] || { echo "running-summary.sh: no file $transcript" >&2; exit 1; }
  need_elements subparse
  source=(filesrc location="$transcript" ! subparse)
fi

exec 3>&1  # the summaries; gst-launch's messages, condensed, go to stderr
stdbuf -oL gst-launch-1.0 -m "${source[@]}" ! "${RWKV[@]}" mode=respond trigger=interval \
  interval="${interval}000000000" prompt="$prompt" max-tokens=60 \
  ! webvttenc ! fdsink fd=3 sync=false | format_messages >&2
