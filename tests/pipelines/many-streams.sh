#!/usr/bin/env bash
# Six live text streams into six rwkv elements of one pipeline on the same model file: the
# plugin loads it once and the engine batches the six streams' work into shared passes. Each
# element's result is exactly its solo run's: the same summary log-probability (to the last
# digit printed) and, in continue mode at temperature 0, the same generated text.
. "$(dirname "$0")/lib.sh"
# The bundled model, which continues text with words (the tiny test models answer blanks).
[ -f "${RWKV_BUNDLED_MODEL:-}" ] && MODEL=$RWKV_BUNDLED_MODEL

texts=("The river flows to the sea. The sea is wide and deep."
  "In the beginning was the word, and the word was with God."
  "Boats sail on it every day. Some of them carry fish to the town."
  "And the evening and the morning were the first day. Then came the second."
  "Let there be light: and there was light, and it was good."
  "He went up into a mountain apart to pray, and was there alone.")
# branch I RUN: stream I's elements, writing what the element outputs to $WORK/RUN.I.out.
branch() {
  local mode=score extra=()
  [ $(($1 % 2)) -eq 1 ] && mode=continue extra=(trigger=sentence max-tokens=6 temperature=0)
  echo filesrc location="$WORK/t$1.txt" blocksize=7 ! rwkv name="s$1" "model=$MODEL" tokenizer=bytes mode=$mode \
    "${extra[@]}" ! filesink location="$WORK/$2.$1.out"
}
all=()
for i in "${!texts[@]}"; do
  printf '%s\n' "${texts[$i]}" >"$WORK/t$i.txt"
  # shellcheck disable=SC2046  # the branch's words, split
  gst-launch-1.0 -m $(branch "$i" solo) >"$WORK/solo$i.log" 2>"$WORK/err" \
    || fail "solo run $i failed: $(tail -3 "$WORK/err")"
  # shellcheck disable=SC2207
  all+=($(branch "$i" together))
done
gst-launch-1.0 -m "${all[@]}" >"$WORK/all.log" 2>"$WORK/err" || fail "the six-stream run failed: $(tail -3 "$WORK/err")"

for i in "${!texts[@]}"; do
  solo=$(field logprob rwkv-summary "$WORK/solo$i.log")
  together=$(grep -F "\"s$i\"" "$WORK/all.log" | field logprob rwkv-summary /dev/stdin)
  echo "stream $i: summary logprob solo $solo, with five others $together; output $(wc -c <"$WORK/together.$i.out") bytes"
  if [ -z "$solo" ] || [ "$solo" != "$together" ]; then fail "stream $i read its text differently beside the others"; fi
  cmp -s "$WORK/solo.$i.out" "$WORK/together.$i.out" || fail "stream $i wrote something else beside the others"
done
[ -s "$WORK/together.1.out" ] || fail "continue mode wrote nothing"
echo "continue mode wrote: $(cat "$WORK/together.1.out") / $(cat "$WORK/together.3.out") / $(cat "$WORK/together.5.out")"
finish
