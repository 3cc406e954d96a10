#!/usr/bin/env bash
# The speech scripts in pipelines/ run here end to end: speech-demo.sh (espeak-ng ->
# pocketsphinx -> rwkv, marked transcript and a continuation) and live-captions.sh on a spoken
# file (captions as WebVTT, and drawn on a WebM video).
. "$(dirname "$0")/lib.sh"
require_programs espeak-ng
require_elements pocketsphinx wavparse webvttenc textoverlay wavescope vp8enc webmmux
P=${RWKV_PIPELINES:?} opts=(--build "${RWKV_BUILD:?}" --model "$MODEL" --tokenizer bytes)

KEEP="$WORK/demo" "$P/speech-demo.sh" "${opts[@]}" "Hello world." "I like to read books in the evening." \
  >"$WORK/demo.out" 2>"$WORK/err" || fail "speech-demo.sh failed: $(grep -v '^-' "$WORK/err" | tail -5)"
cat "$WORK/demo.out"
grep -q '^Heard by pocketsphinx' "$WORK/demo.out" || fail "speech-demo.sh printed no transcript"
grep -q '\[[^]]*\] *[0-9.]*$\|\[[^]]*\] .* [0-9.]*$' "$WORK/demo.out" || fail "speech-demo.sh marked no word"
grep -q '^summary: [1-9]' "$WORK/demo.out" || fail "speech-demo.sh printed no summary"
grep -q '^  \.\.\..' "$WORK/demo.out" || fail "speech-demo.sh printed no continuation"

# The demo's speech, captioned at its own pace.
(cd "$WORK" && "$P/live-captions.sh" "${opts[@]}" --audio demo/speech.wav --vtt captions.vtt --video captions.webm) \
  >"$WORK/captions.out" 2>"$WORK/err" || fail "live-captions.sh failed: $(grep -v '^-' "$WORK/err" | tail -5)"
cat "$WORK/captions.vtt"
[ "$(head -n 1 "$WORK/captions.vtt")" = WEBVTT ] || fail "live-captions.sh wrote no WebVTT header"
[ "$(grep -c -- '-->' "$WORK/captions.vtt")" -ge 1 ] || fail "live-captions.sh wrote no cue"
[ "$(grep -c '^score:' "$WORK/captions.out")" -eq "$(grep -c -- '-->' "$WORK/captions.vtt")" ] \
  || fail "live-captions.sh printed another number of scores than cues"
[ "$(head -c 4 "$WORK/captions.webm" | od -An -tx1 | tr -d ' ')" = 1a45dfa3 ] || fail "live-captions.sh wrote no WebM video"
finish
