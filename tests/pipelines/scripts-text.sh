#!/usr/bin/env bash
# The text scripts in pipelines/ run here end to end: stdin-text.sh, tcp-text.sh,
# subtitles.sh and running-summary.sh, with the test model and this build's plugin.
. "$(dirname "$0")/lib.sh"
require_elements subparse webvttenc tcpserversrc
P=${RWKV_PIPELINES:?} opts=(--build "${RWKV_BUILD:?}" --model "$MODEL" --tokenizer bytes)

# stdin-text.sh: the text passes through to stdout, the score and summary go to stderr.
text="The quick brown fox jumps over the lazy dog."
out=$(printf '%s\n' "$text" | "$P/stdin-text.sh" "${opts[@]}" 2>"$WORK/err") || fail "stdin-text.sh failed: $(cat "$WORK/err")"
[ "$out" = "$text" ] || fail "stdin-text.sh wrote '$out'"
grep -q '^score: 45 tokens' "$WORK/err" || fail "stdin-text.sh printed no score: $(cat "$WORK/err")"
grep -q '^summary: 45 tokens, 45 bytes' "$WORK/err" || fail "stdin-text.sh printed no summary"
# ... and with the default model, and the element's properties from RWKV_PROPS.
# Counted in bytes: a continuation may be newlines alone, which $(...) would strip.
printf 'One. Two.' | RWKV_PROPS="mode=continue trigger=eos max-tokens=5 temperature=0" \
  "$P/stdin-text.sh" --build "$RWKV_BUILD" >"$WORK/cont" 2>"$WORK/err" || fail "stdin-text.sh (continue) failed: $(cat "$WORK/err")"
[ -s "$WORK/cont" ] || fail "stdin-text.sh in continue mode wrote nothing"

# tcp-text.sh: one client's text, until it disconnects. A port in use is skipped.
for port in 47123 47223 47323 47423; do
  setsid "$P/tcp-text.sh" "${opts[@]}" "$port" >"$WORK/tcp.out" 2>"$WORK/tcp.err" &
  pid=$! sent=no
  for _ in $(seq 300); do
    if (exec 2>/dev/null; printf 'Text over TCP.\n' >/dev/tcp/127.0.0.1/"$port"); then sent=yes; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ $sent = yes ] && wait "$pid"; then break; fi
  kill -- -"$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
[ "$(cat "$WORK/tcp.out")" = "Text over TCP." ] || fail "tcp-text.sh wrote '$(cat "$WORK/tcp.out")': $(cat "$WORK/tcp.err")"
grep -q '^summary: 15 tokens' "$WORK/tcp.err" || fail "tcp-text.sh printed no summary"

# subtitles.sh: a .vtt with the cues of the sample transcript.
"$P/subtitles.sh" "${opts[@]}" "$P/sample-transcript.srt" "$WORK/sample.vtt" 2>"$WORK/err" >"$WORK/out" \
  || fail "subtitles.sh failed: $(cat "$WORK/err")"
[ "$(head -n 1 "$WORK/sample.vtt")" = WEBVTT ] || fail "subtitles.sh wrote no WebVTT header"
cues=$(grep -c -- '-->' "$P/sample-transcript.srt")
[ "$(grep -c -- '-->' "$WORK/sample.vtt")" -eq "$cues" ] || fail "subtitles.sh lost cues"
[ "$(grep -c '^score:' "$WORK/out")" -eq "$cues" ] || fail "subtitles.sh printed $(grep -c '^score:' "$WORK/out") scores for $cues cues"

# running-summary.sh: a summary cue per 45 s of the 2'46" transcript, and one at the end.
"$P/running-summary.sh" "${opts[@]}" "$P/sample-transcript.srt" 45 >"$WORK/summary.vtt" 2>"$WORK/err" \
  || fail "running-summary.sh failed: $(cat "$WORK/err")"
cat "$WORK/summary.vtt"
[ "$(head -n 1 "$WORK/summary.vtt")" = WEBVTT ] || fail "running-summary.sh wrote no WebVTT"
n=$(grep -c -- '-->' "$WORK/summary.vtt")
[ "$n" -ge 3 ] && [ "$n" -le 5 ] || fail "running-summary.sh wrote $n summaries, want 3 to 5"
finish
