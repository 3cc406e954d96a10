#!/usr/bin/env bash
# rwkv-live-bench, briefly: four live score-mode streams and a backlog in a pipeline of its own
# on the bundled model; every pushed line must come out (the latency bound is the benchmark's
# business, not a test's: it is set out of reach here), and the summary line must name them.
. "$(dirname "$0")/lib.sh"
[ -f "${RWKV_BUNDLED_MODEL:-}" ] || { echo "SKIP: no bundled model"; exit 77; }
bench=$RWKV_BUILD/tools/live-bench/rwkv-live-bench
"$bench" --model "$RWKV_BUNDLED_MODEL" --streams 4 --seconds 3 --interval-ms 500 --backlog 4000 --backlog-apart \
  --target-ms 60000 >"$WORK/out" 2>"$WORK/err" || fail "rwkv-live-bench failed: $(tail -3 "$WORK/err")"
cat "$WORK/out"
row=$(grep '^| 4 |' "$WORK/out")
out=$(echo "$row" | awk -F'|' '{print $3}' | awk '{print $1}')
pushed=$(echo "$row" | awk -F'|' '{print $3}' | awk '{print $3}')
[ -n "$pushed" ] && [ "$pushed" -gt 0 ] || fail "no lines were timed: $row"
[ "$out" = "$pushed" ] || fail "$out of $pushed lines came out"
grep -q '^held: 4 streams' "$WORK/out" || fail "the summary does not name the 4 streams"
finish
