#!/usr/bin/env bash
# A text stream from TCP through rwkv: listens on a port, reads what one client sends into
# the model's state as it arrives, and writes the element's output to standard output and its
# results (scores, summary) to standard error. The stream ends when the client disconnects.
#
# Usage: tcp-text.sh [options] [PORT]
#   PORT      to listen on (default 5000), on TCP_HOST (default 127.0.0.1; 0.0.0.0 for all)
#   options   --model PATH --tokenizer SPEC --build DIR (see common.sh)
# Environment: RWKV_MODEL, RWKV_TOKENIZER, RWKV_PROPS, RWKV_BUILD, TCP_HOST.
# Send text from another terminal with, for example:
#   nc 127.0.0.1 5000 < transcript.txt
#   gst-launch-1.0 fdsrc fd=0 ! tcpclientsink host=127.0.0.1 port=5000 < transcript.txt
#
# The pipeline:
#   tcpserversrc host=127.0.0.1 port=5000 ! rwkv model=... ! fdsink fd=1

set -euo pipefail
. "$(dirname "$0")/common.sh"
parse_common_args "$@"
port=${ARGS[0]:-5000}
need_elements tcpserversrc

echo "Listening on ${TCP_HOST:-127.0.0.1}:$port" >&2
exec 3>&1  # the element's text; gst-launch's messages, condensed, go to stderr
stdbuf -oL gst-launch-1.0 -m tcpserversrc host="${TCP_HOST:-127.0.0.1}" port="$port" \
  ! "${RWKV[@]}" ! fdsink fd=3 sync=false | format_messages >&2
