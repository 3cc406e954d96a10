#!/usr/bin/env bash
# Bad input gets a clear outcome and nothing crashes: invalid UTF-8 a warning (the stream goes
# on), empty input an empty summary, a corrupt or truncated model an ERROR naming the file, a
# state file of another model an error saying so.
. "$(dirname "$0")/lib.sh"

launch() {  # LOG ERR gst-launch arguments...: gst-launch's status (255 for an error)
  local log=$1 err=$2
  shift 2
  gst-launch-1.0 -m "$@" >"$log" 2>"$err"
}
no_crash() {  # STATUS WHAT
  [ "$1" -le 128 ] || [ "$1" -eq 255 ] || fail "$2: gst-launch died with signal $(($1 - 128))"
}

# Invalid UTF-8: a warning, and the text is still read.
printf 'valid \377\376 text, then more.\n' >"$WORK/bad-utf8.txt"
launch "$WORK/log" "$WORK/err" filesrc location="$WORK/bad-utf8.txt" ! "${RWKV[@]}" ! fakesink
status=$?
no_crash $status "invalid UTF-8"
[ $status -eq 0 ] || fail "invalid UTF-8 stopped the pipeline: $(tail -3 "$WORK/err")"
# (with -m, gst-launch prints warnings on stdout)
grep -q 'WARNING: .*rwkv.*UTF-8' "$WORK/log" "$WORK/err" || fail "no warning about invalid UTF-8"
[ "$(field tokens rwkv-summary "$WORK/log")" -gt 0 ] 2>/dev/null || fail "nothing read after the invalid bytes"
grep -h '^WARNING' "$WORK/log" "$WORK/err"

# Empty input: EOS at once, a summary of nothing.
launch "$WORK/log" "$WORK/err" fdsrc fd=0 ! "${RWKV[@]}" ! fakesink </dev/null
status=$?
no_crash $status "empty input"
[ $status -eq 0 ] || fail "empty input failed: $(tail -3 "$WORK/err")"
[ "$(field tokens rwkv-summary "$WORK/log")" = 0 ] || fail "empty input: summary tokens not 0"

# A corrupt model and a truncated one: ERROR, naming the file.
printf 'fmgg\001\002' >"$WORK/corrupt.bin"
head -c 100000 "$MODEL" >"$WORK/truncated.bin"
: >"$WORK/empty.bin"
for bad in corrupt.bin truncated.bin empty.bin missing.bin; do
  launch "$WORK/log" "$WORK/err" fdsrc fd=0 ! rwkv model="$WORK/$bad" tokenizer=bytes ! fakesink </dev/null
  status=$?
  no_crash $status "$bad"
  [ $status -ne 0 ] || fail "$bad: the pipeline ran"
  grep -q '^ERROR: ' "$WORK/err" || fail "$bad: no ERROR message"
  grep -q "$bad" "$WORK/err" || fail "$bad: the error does not name the file"
  echo "$bad: $(grep -A3 '^ERROR: ' "$WORK/err" | tr '\n' ' ' | cut -c1-300)"
done

# A state file saved with one model, restored with another (only with ../shared's two).
[ -n "$OTHER_MODEL" ] || finish
printf 'Some text to remember.' >"$WORK/text.txt"
launch "$WORK/log" "$WORK/err" filesrc location="$WORK/text.txt" ! "${RWKV[@]}" state-file="$WORK/s.state" ! fakesink \
  || fail "saving a state failed: $(tail -3 "$WORK/err")"
launch "$WORK/log" "$WORK/err" filesrc location="$WORK/text.txt" \
  ! rwkv model="$OTHER_MODEL" tokenizer=bytes state-file="$WORK/s.state" ! fakesink
status=$?
no_crash $status "state of another model"
[ $status -ne 0 ] || fail "a state of another model was accepted"
grep -q 'another model' "$WORK/err" || fail "the error does not say the state belongs to another model"
echo "state of another model: $(grep -A3 '^ERROR: ' "$WORK/err" | tr '\n' ' ' | cut -c1-300)"
finish
