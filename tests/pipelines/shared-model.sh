#!/usr/bin/env bash
# Two rwkv elements in one pipeline (tee -> two branches) on the same model file (which the
# plugin loads once for both), each with its own state: the scoring branch reads exactly what
# a single element reads, and the generating branch (which answers on forks of its state)
# reads the same text into its main state.
. "$(dirname "$0")/lib.sh"
require_elements tee queue

printf '%s\n' "The river flows to the sea. The sea is wide and deep." \
  "Boats sail on it every day. Some of them carry fish." >"$WORK/text.txt"

gst-launch-1.0 -m filesrc location="$WORK/text.txt" blocksize=16 ! "${RWKV[@]}" mode=score ! fakesink \
  >"$WORK/single.log" 2>"$WORK/err" || fail "single run failed: $(tail -3 "$WORK/err")"
gst-launch-1.0 -m filesrc location="$WORK/text.txt" blocksize=16 ! tee name=t \
  t. ! queue ! rwkv name=scorer "model=$MODEL" tokenizer=bytes mode=score ! fakesink \
  t. ! queue ! rwkv name=writer "model=$MODEL" tokenizer=bytes mode=continue trigger=sentence \
       max-tokens=8 temperature=0 ! fakesink \
  >"$WORK/tee.log" 2>"$WORK/err" || fail "tee run failed: $(tail -3 "$WORK/err")"

single=$(field logprob rwkv-summary "$WORK/single.log")
scorer=$(grep -F '"scorer"' "$WORK/tee.log" | field logprob rwkv-summary /dev/stdin)
writer=$(grep -F '"writer"' "$WORK/tee.log" | field logprob rwkv-summary /dev/stdin)
echo "summary logprob: single $single, scorer $scorer, writer $writer"
close "$scorer" "$single" 0 || fail "the scoring branch read the text differently from a single element"
close "$writer" "$single" || fail "the generating branch's main state read the text differently"
[ "$(grep -F '"scorer"' "$WORK/tee.log" | grep -c ' rwkv-score, ')" -ge 1 ] || fail "no scores from the scoring branch"
[ "$(grep -F '"writer"' "$WORK/tee.log" | grep -c ' rwkv-score, ')" -eq 0 ] || fail "the generating branch posted scores"
finish
