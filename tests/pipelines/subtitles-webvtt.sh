#!/usr/bin/env bash
# A subtitle file through rwkv: .srt -> subparse -> rwkv -> webvttenc gives a valid WebVTT
# file: the header, every cue with its original timing and text, one rwkv-score per cue.
. "$(dirname "$0")/lib.sh"
require_elements subparse webvttenc

cat >"$WORK/in.srt" <<'SRT'
1
00:00:01,000 --> 00:00:03,500
Hello, and welcome to the show.

2
00:00:04,000 --> 00:00:06,250
Today: rivers, lakes & the café by the sea.

3
00:01:07,125 --> 00:01:09,900
The water flows down to the sea.
SRT
gst-launch-1.0 -m filesrc location="$WORK/in.srt" ! subparse ! "${RWKV[@]}" mode=score ! webvttenc \
  ! filesink location="$WORK/out.vtt" >"$WORK/log" 2>"$WORK/err" || fail "gst-launch failed: $(tail -3 "$WORK/err")"
cat "$WORK/out.vtt"

expect_vtt "$WORK/out.vtt" "00:00:01.000 --> 00:00:03.500" "00:00:04.000 --> 00:00:06.250" \
  "00:01:07.125 --> 00:01:09.900"
# The texts as they were (& escaped as WebVTT wants).
grep -qxF "Hello, and welcome to the show." "$WORK/out.vtt" || fail "cue 1 text changed"
grep -qxF "Today: rivers, lakes &amp; the café by the sea." "$WORK/out.vtt" || fail "cue 2 text changed"
grep -qxF "The water flows down to the sea." "$WORK/out.vtt" || fail "cue 3 text changed"
[ "$(field tokens rwkv-score "$WORK/log" | wc -l)" -eq 3 ] || fail "want one rwkv-score per cue"
finish
