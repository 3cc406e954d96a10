#!/usr/bin/env bash
# Speech to captions, on a fresh machine: espeak-ng speaks a few sentences into a WAV file,
# pocketsphinx transcribes them, rwkv (mode=score) reads the transcript, marking the least
# likely word of each utterance, and rwkv (mode=punctuate) restores its punctuation and
# capitals. Then rwkv (mode=continue) continues the punctuated transcript.
#
# Usage: speech-demo.sh [options] [SENTENCE...]
#   SENTENCE...  what to say (default: four short sentences); each becomes one utterance
#   options      --model PATH --tokenizer SPEC --build DIR (see common.sh)
# Environment: RWKV_MODEL, RWKV_TOKENIZER, RWKV_PROPS, RWKV_BUILD; VOICE (espeak-ng voice,
# default en-us+m3), KEEP=DIR keeps the speech, transcript and messages there.
#
# The pipeline:
#   filesrc location=speech.wav ! wavparse ! audioconvert ! audioresample ! pocketsphinx
#     ! rwkv model=... mode=score ! tee name=t
#   t. ! queue ! filesink location=transcript.txt
#   t. ! queue ! rwkv model=... mode=punctuate ! filesink location=captions.txt
# then: filesrc location=captions.txt ! rwkv mode=continue trigger=eos ! filesink

set -euo pipefail
. "$(dirname "$0")/common.sh"
parse_common_args "$@"
need_programs espeak-ng
need_elements wavparse audioconvert audioresample pocketsphinx

sentences=("${ARGS[@]}")
if [ ${#sentences[@]} -eq 0 ]; then
  sentences=("Hello world." "The weather is good today." "I like to read books in the evening."
             "We walked along the river to the old bridge.")
fi

work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

# A pause between sentences lets pocketsphinx end an utterance (one text buffer each).
ssml="<speak>"
for s in "${sentences[@]}"; do ssml+="$s <break time=\"1200ms\"/> "; done
ssml+="</speak>"
espeak-ng -m -v "${VOICE:-en-us+m3}" -s 120 -w "$work/speech.wav" "$ssml"

gst-launch-1.0 -m filesrc location="$work/speech.wav" ! wavparse ! audioconvert ! audioresample \
  ! pocketsphinx ! "${RWKV[@]}" mode=score ! tee name=t \
  t. ! queue ! filesink location="$work/transcript.txt" \
  t. ! queue ! "${RWKV[@]}" name=punctuator mode=punctuate ! filesink location="$work/captions.txt" \
  >"$work/messages.txt" 2> >(quiet_pocketsphinx)

echo "Spoken:"
printf '  %s\n' "${sentences[@]}"
echo
echo "Heard by pocketsphinx, read by rwkv ([least likely word], bits per byte):"
# pocketsphinx ends each utterance with a line break, and rwkv posts one rwkv-score per
# buffer, so line i of the transcript goes with score i.
# (the punctuating element's own summary, of the restored text, is left out)
grep -v 'from element "punctuator"' "$work/messages.txt" | format_messages | awk -v transcript="$work/transcript.txt" '
  /^score:/ {
    word = $0; sub(/.*least likely word: /, "", word)
    bpb = $4
    if ((getline line < transcript) <= 0) line = ""
    n = split(line, w, " ")
    out = ""
    for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") (w[i] == word ? "[" w[i] "]" : w[i])
    printf "  %-52s %5.2f\n", out, bpb
  }
  /^summary:/ { summary = $0 }
  END { if (summary != "") print "\n" summary }'

echo
echo "Captions, punctuation and capitals restored by rwkv (mode=punctuate):"
sed 's/^/  /' "$work/captions.txt"
echo
echo "Continued by rwkv (mode=continue, 48 tokens at most):"
gst-launch-1.0 -q filesrc location="$work/captions.txt" ! "${RWKV[@]}" mode=continue trigger=eos \
  max-tokens=48 seed=1 ! filesink location="$work/continuation.txt"
printf '  %s\n' "$(tr '\n' ' ' <"$work/captions.txt")"
printf '  ...%s\n' "$(tr '\n' ' ' <"$work/continuation.txt")"
