#!/usr/bin/env bash
# The same UTF-8 text from fdsrc in blocks of 1, 7 and 4096 bytes (characters cut anywhere)
# gives the same rwkv-summary: tokens, bytes, and the logprob up to the order in which the
# per-buffer sums were added. The same through rwkvtokenize (token input) too.
. "$(dirname "$0")/lib.sh"
require_elements rwkvtokenize

printf '%s\n' "The quick brown fox jumps over the lazy dog." \
  "Ünïcödé: naïve café, Ωμέγα, 日本語のテキスト, emoji 😀👍🏽 — and back to ASCII." \
  "It was the best of times, it was the worst of times." >"$WORK/text.txt"

summary() {  # TOKENIZE BLOCKSIZE: "tokens bytes logprob" of one run
  local tok=()
  [ "$1" = yes ] && tok=(rwkvtokenize tokenizer=bytes !)
  gst-launch-1.0 -m fdsrc fd=0 blocksize="$2" ! "${tok[@]}" "${RWKV[@]}" mode=score ! fakesink \
    <"$WORK/text.txt" >"$WORK/log" 2>"$WORK/err" || fail "gst-launch failed: $(tail -3 "$WORK/err")"
  grep -q "^WARNING" "$WORK/log" "$WORK/err" && fail "a warning with blocksize $2: $(grep -h "^WARNING" "$WORK/log" "$WORK/err")"
  echo "$(field tokens rwkv-summary "$WORK/log") $(field bytes rwkv-summary "$WORK/log") $(field logprob rwkv-summary "$WORK/log")"
}

read -r want_tokens want_bytes want_lp < <(summary no 4096)
echo "blocksize 4096: $want_tokens tokens, $want_bytes bytes, logprob $want_lp"
[ "$want_bytes" = "$(wc -c <"$WORK/text.txt")" ] || fail "summary bytes $want_bytes, the file has $(wc -c <"$WORK/text.txt")"
for run in "no 1" "no 7" "yes 1" "yes 7" "yes 4096"; do
  # shellcheck disable=SC2086  # "TOKENIZE BLOCKSIZE", two arguments
  read -r tokens bytes lp < <(summary $run)
  echo "tokenize=${run% *} blocksize ${run#* }: $tokens tokens, $bytes bytes, logprob $lp"
  [ "$tokens $bytes" = "$want_tokens $want_bytes" ] || fail "tokenize=${run% *} blocksize ${run#* }: other counts"
  close "$lp" "$want_lp" || fail "tokenize=${run% *} blocksize ${run#* }: logprob $lp, want $want_lp"
done
finish
