#!/usr/bin/env bash
# A recogniser's cue file through punctuate mode: .srt -> subparse -> rwkv mode=punctuate ->
# webvttenc gives a valid WebVTT file with every cue at its own timing and the same words,
# changed only by marks after words and capitals; a cue already written with marks and
# capitals passes unchanged.
. "$(dirname "$0")/lib.sh"
require_elements subparse webvttenc

cat >"$WORK/in.srt" <<'SRT'
1
00:00:01,000 --> 00:00:03,500
hello and welcome to the show

2
00:00:04,000 --> 00:00:06,250
today we talk about rivers and lakes

3
00:00:07,000 --> 00:00:08,000
Where does the water go?

4
00:01:07,125 --> 00:01:09,900
the water flows down to the sea i think
SRT
gst-launch-1.0 -m filesrc location="$WORK/in.srt" ! subparse ! "${RWKV[@]}" mode=punctuate ! webvttenc \
  ! filesink location="$WORK/out.vtt" >"$WORK/log" 2>"$WORK/err" || fail "gst-launch failed: $(tail -3 "$WORK/err")"
cat "$WORK/out.vtt"

expect_vtt "$WORK/out.vtt" "00:00:01.000 --> 00:00:03.500" "00:00:04.000 --> 00:00:06.250" \
  "00:00:07.000 --> 00:00:08.000" "00:01:07.125 --> 00:01:09.900"
# Each cue's text: the input's words once marks are removed and the case folded.
mapfile -t texts < <(grep -v -E -- '-->|^WEBVTT|^$' "$WORK/out.vtt")
inputs=("hello and welcome to the show" "today we talk about rivers and lakes" "Where does the water go?"
        "the water flows down to the sea i think")
[ ${#texts[@]} -eq 4 ] || fail "${#texts[@]} cue texts, want 4"
for i in 0 1 3; do
  plain=$(printf '%s' "${texts[$i]}" | sed -E 's/[.,?!]( |$)/\1/g' | tr 'A-Z' 'a-z')
  [ "$plain" = "${inputs[$i]}" ] || fail "cue $i has other words: '${texts[$i]}'"
  [ "${texts[$i]}" != "${inputs[$i]}" ] || fail "cue $i came out unchanged: '${texts[$i]}'"
done
[ "${texts[2]}" = "${inputs[2]}" ] || fail "the written cue changed: '${texts[2]}'"
case "${texts[0]}" in Hello*) ;; *) fail "the first cue does not start a sentence: '${texts[0]}'" ;; esac
case "${texts[3]}" in *" I think"*) ;; *) fail "'i' was not written 'I': '${texts[3]}'" ;; esac
finish
