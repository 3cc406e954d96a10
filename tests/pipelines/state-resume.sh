#!/usr/bin/env bash
# A state saved at EOS (state-file) and restored by a second run continues exactly as one
# uninterrupted run: the continuation scores the same, to the last bit.
. "$(dirname "$0")/lib.sh"

first="It was the best of times, it was the worst of times, it was the age of wisdom, it was the a"
second="ge of foolishness. The end."
printf '%s' "$first" >"$WORK/first.txt"
printf '%s' "$second" >"$WORK/second.txt"
printf '%s%s' "$first" "$second" >"$WORK/whole.txt"

run() {  # FILE BLOCKSIZE LOG [PROPS...]
  local file=$1 block=$2 log=$3
  shift 3
  gst-launch-1.0 -m filesrc location="$file" blocksize="$block" ! "${RWKV[@]}" mode=score "$@" ! fakesink \
    >"$log" 2>"$WORK/err" || fail "gst-launch failed: $(tail -3 "$WORK/err")"
}
run "$WORK/first.txt" 4096 "$WORK/first.log" state-file="$WORK/stream.state"
[ -s "$WORK/stream.state" ] || fail "no state file saved at EOS"
run "$WORK/second.txt" 4096 "$WORK/resumed.log" state-file="$WORK/stream.state"
# One run over both parts, in the same two buffers.
run "$WORK/whole.txt" ${#first} "$WORK/whole.log"

resumed=$(field logprob rwkv-score "$WORK/resumed.log" | head -n 1)
whole=$(field logprob rwkv-score "$WORK/whole.log" | sed -n 2p)
echo "continuation after restoring: $resumed; in one run: $whole"
[ "$(field tokens rwkv-score "$WORK/resumed.log" | head -n 1)" = "$(field tokens rwkv-score "$WORK/whole.log" | sed -n 2p)" ] \
  || fail "the continuation read another number of tokens"
close "$resumed" "$whole" 0 || fail "the restored state scores the continuation $resumed, one run $whole"
finish
