#!/usr/bin/env bash
# Crash recovery: an rwkv element with state-file and save-interval=1 is killed with SIGKILL in
# mid-stream, several times at random moments. Each restart resumes from the last checkpoint
# (whose input position `rwkv-cli state` reads) and is fed the input that follows it; the
# final state equals, byte for byte, the state of one run that never stopped.
. "$(dirname "$0")/lib.sh"
require_elements identity
CLI=$RWKV_BUILD/tools/rwkv-cli
[ -x "$CLI" ] || { echo "FAIL: no rwkv-cli at $CLI" >&2; exit 1; }

head -c 60000 "$RWKV_PIPELINES/../models/heldout.txt" >"$WORK/input.txt"
size=$(stat -c %s "$WORK/input.txt")

# run INPUT STATE: reads INPUT into the element, paced (256 bytes every 20 ms) so that a kill
# lands mid-stream; the state is checkpointed every second and at EOS.
run() {
  exec gst-launch-1.0 -q filesrc location="$1" blocksize=256 ! identity sleep-time=20000 ! \
    "${RWKV[@]}" mode=score state-file="$2" save-interval=1 ! fakesink
}
position() { "$CLI" state --model "$MODEL" --state "$1" | sed -n 's/.*"bytes": \([0-9]*\).*/\1/p'; }

# The uninterrupted run.
(run "$WORK/input.txt" "$WORK/whole.state") >"$WORK/whole.log" 2>&1 || fail "uninterrupted run failed: $(tail -3 "$WORK/whole.log")"

state=$WORK/crashed.state
pos=0
for round in 1 2 3 4; do
  tail -c +$((pos + 1)) "$WORK/input.txt" >"$WORK/rest.txt"
  (run "$WORK/rest.txt" "$state") >"$WORK/run.log" 2>&1 &
  pid=$!
  # Wait for a checkpoint of this run (the file changes), then kill at a random moment after it.
  before=$(stat -c %i "$state" 2>/dev/null || echo none)
  for _ in $(seq 100); do
    [ "$(stat -c %i "$state" 2>/dev/null || echo none)" != "$before" ] && break
    sleep 0.05
  done
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$pid" 2>/dev/null
  { wait "$pid"; } 2>/dev/null  # (without the shell's "Killed" notice)
  status=$?
  [ "$status" -eq 137 ] || fail "round $round: the pipeline was not killed mid-stream (exit $status): $(tail -3 "$WORK/run.log")"
  new=$(position "$state") || { fail "round $round: the checkpoint does not load"; break; }
  echo "round $round: killed; checkpoint at byte $new of $size (was $pos)"
  [ -n "$new" ] && [ "$new" -gt "$pos" ] && [ "$new" -lt "$size" ] || fail "round $round: checkpoint at '$new' is not past $pos"
  pos=${new:-$pos}
done

# The last restart runs to the end.
tail -c +$((pos + 1)) "$WORK/input.txt" >"$WORK/rest.txt"
(run "$WORK/rest.txt" "$state") >"$WORK/run.log" 2>&1 || fail "final run failed: $(tail -3 "$WORK/run.log")"
echo "after the crashes: $("$CLI" state --model "$MODEL" --state "$state" | cut -c1-60)..."
echo "uninterrupted:     $("$CLI" state --model "$MODEL" --state "$WORK/whole.state" | cut -c1-60)..."
[ "$(position "$state")" = "$size" ] || fail "the resumed stream did not read all $size bytes"
cmp -s "$state" "$WORK/whole.state" || fail "the state after crashes and restarts differs from the uninterrupted run's"
leftovers=$(find "$WORK" -name '*.tmp.*' | wc -l)
echo "temporary files left by kills during a save: $leftovers"
finish
