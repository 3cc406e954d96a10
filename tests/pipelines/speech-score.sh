#!/usr/bin/env bash
# Speech to scores: espeak-ng speaks two sentences, pocketsphinx transcribes them (text/plain
# buffers with no caps and no timestamps, one per utterance), rwkv mode=score reads them and
# posts one rwkv-score per utterance and an rwkv-summary at EOS that adds them up.
. "$(dirname "$0")/lib.sh"
require_programs espeak-ng
require_elements pocketsphinx wavparse audioconvert audioresample

espeak-ng -m -v en-us+m3 -s 120 -w "$WORK/speech.wav" \
  '<speak>Hello world. <break time="1200ms"/> I like to read books in the evening.</speak>'
gst-launch-1.0 -m filesrc location="$WORK/speech.wav" ! wavparse ! audioconvert ! audioresample \
  ! pocketsphinx ! "${RWKV[@]}" mode=score ! fakesink >"$WORK/log" 2>"$WORK/err" \
  || fail "gst-launch failed: $(grep -v '^-' "$WORK/err" | tail -5)"

mapfile -t heard < <(grep -F 'final=(boolean)true' "$WORK/log" | field hypothesis pocketsphinx /dev/stdin)
mapfile -t tokens < <(field tokens rwkv-score "$WORK/log")
mapfile -t logprobs < <(field logprob rwkv-score "$WORK/log")
mapfile -t bpb < <(field bits-per-byte rwkv-score "$WORK/log")
echo "pocketsphinx heard: $(printf '"%s" ' "${heard[@]}")"
grep -F ' rwkv-score, ' "$WORK/log" | sed 's/.*rwkv-score, /rwkv-score, /'

[ ${#heard[@]} -ge 1 ] || fail "pocketsphinx heard nothing"
[ ${#tokens[@]} -ge 1 ] || fail "no rwkv-score message"
[ ${#tokens[@]} -eq ${#heard[@]} ] || fail "${#heard[@]} utterances but ${#tokens[@]} rwkv-score messages"
for i in "${!tokens[@]}"; do
  [ "${tokens[$i]}" -gt 0 ] || fail "score $i read no tokens"
  awk -v x="${logprobs[$i]}" 'BEGIN { exit !(x < 0) }' || fail "score $i logprob ${logprobs[$i]} is not negative"
  awk -v x="${bpb[$i]}" 'BEGIN { exit !(x > 0) }' || fail "score $i bits per byte ${bpb[$i]} is not positive"
done
# Each utterance is its hypothesis and a line break; the summary adds up every score.
want_bytes=0
for h in "${heard[@]}"; do want_bytes=$((want_bytes + ${#h} + 1)); done
sum_tokens=0
for t in "${tokens[@]}"; do sum_tokens=$((sum_tokens + t)); done
sum_logprob=$(printf '%s\n' "${logprobs[@]}" | awk '{ s += $1 } END { printf "%.17g", s }')
[ "$(field bytes rwkv-summary "$WORK/log")" = "$want_bytes" ] \
  || fail "summary bytes $(field bytes rwkv-summary "$WORK/log"), want $want_bytes"
[ "$(field tokens rwkv-summary "$WORK/log")" = "$sum_tokens" ] || fail "summary tokens differ from the scores' sum"
close "$(field logprob rwkv-summary "$WORK/log")" "$sum_logprob" || fail "summary logprob differs from the scores' sum"
finish
