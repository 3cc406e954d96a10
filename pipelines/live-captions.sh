#!/usr/bin/env bash
# Live captions from speech: audio -> pocketsphinx -> rwkv (mode=score) -> rwkv
# (mode=punctuate: punctuation and capitals restored) -> webvttenc -> a .vtt
# file, and the same captions drawn by textoverlay on a video of the audio's waveform (shown
# in a window, or written to a WebM file when there is no display). The rwkv-score of each
# caption (bits per byte, least likely word) is printed as it arrives; a caption that reads
# badly is often a recognition error.
#
# Usage: live-captions.sh [options] [--audio FILE|--source DESC] [--vtt FILE]
#                         [--video FILE.webm|--no-video]
#   --audio FILE   speech from a file, played at its own pace (default: the microphone,
#                  autoaudiosrc; stop with Ctrl-C)
#   --source DESC  a live source as a gst-launch description, e.g. "pulsesrc device=NAME"
#   --vtt FILE     the captions (default: captions.vtt)
#   --video FILE   write the captioned video there instead of opening a window
#   --no-video     captions file only
#   options        --model PATH --tokenizer SPEC --build DIR (see common.sh)
# Environment: RWKV_MODEL, RWKV_TOKENIZER, RWKV_PROPS, RWKV_BUILD.
#
# The pipeline (from a file):
#   filesrc ! wavparse ! audioconvert ! identity sync=true ! tee name=audio
#   audio. ! queue ! audioconvert ! audioresample ! pocketsphinx ! rwkv mode=score
#     ! rwkv mode=punctuate ! tee name=captions
#   captions. ! queue ! webvttenc duration=3000000000 ! filesink location=captions.vtt async=false
#   captions. ! queue ! overlay.text_sink
#   audio. ! queue ! audioconvert ! wavescope ! videoconvert ! textoverlay name=overlay wait-text=false
#     ! videoconvert ! autovideosink  (or: vp8enc ! webmmux ! filesink)
#
# pocketsphinx sends each utterance as a text buffer without caps or timestamps once it has
# heard the end of it; rwkv stamps it with the running time it arrived at. Playing a file
# at its own pace (identity sync=true) keeps those times on the audio's time line. The
# buffers carry no duration, so webvttenc's duration offset gives each cue three seconds.
# The punctuating element keeps each caption until two more words are heard, or for at most
# `hold` (1 s) after it arrived, to choose its last word's mark.

set -euo pipefail
. "$(dirname "$0")/common.sh"
parse_common_args "$@"
set -- "${ARGS[@]}"

audio="" live=autoaudiosrc vtt=captions.vtt video="" show=1
while [ $# -gt 0 ]; do
  case "$1" in
    --audio) audio=$2; shift 2 ;;
    --source) live=$2; shift 2 ;;
    --vtt) vtt=$2; shift 2 ;;
    --video) video=$2; shift 2 ;;
    --no-video) show=0; shift ;;
    *) echo "live-captions.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
need_elements audioconvert audioresample pocketsphinx webvttenc
if [ -n "$audio" ]; then
  [ -f "$audio" ] || { echo "live-captions.sh: no file $audio" >&2; exit 1; }
  from=$audio
  # decodebin ends its stream with stream-group-done, which textoverlay cannot pass on once its
  # video has ended (the last caption comes later): other formats become a WAV file first.
  case "$audio" in
    *.wav|*.WAV) ;;
    *)
      wav=$(mktemp --suffix=.wav)
      trap 'rm -f "$wav"' EXIT
      gst-launch-1.0 -q filesrc location="$audio" ! decodebin ! audioconvert ! wavenc ! filesink location="$wav"
      audio=$wav ;;
  esac
  source=(filesrc location="$audio" ! wavparse ! audioconvert ! identity sync=true)
else
  from=$live
  # shellcheck disable=SC2206  # a pipeline description, split into gst-launch arguments
  source=($live ! audioconvert)
fi

video_branch=()
if [ $show = 1 ]; then
  need_elements wavescope textoverlay
  if [ -z "$video" ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then video=captions.webm; fi
  if [ -n "$video" ]; then
    need_elements vp8enc webmmux
    sink=(vp8enc deadline=1 ! webmmux ! filesink location="$video")
  else
    sink=(autovideosink)
  fi
  video_branch=(captions. ! queue ! overlay.text_sink
    audio. ! queue ! audioconvert ! wavescope ! videoconvert
    ! textoverlay name=overlay wait-text=false valignment=top font-desc="Sans 16" ! videoconvert ! "${sink[@]}")
fi

echo "Captions from $from to $vtt${video:+, video to $video}" >&2
stdbuf -oL gst-launch-1.0 -e -m "${source[@]}" ! tee name=audio \
  audio. ! queue ! audioconvert ! audioresample ! pocketsphinx ! "${RWKV[@]}" mode=score \
  ! "${RWKV[@]}" name=punctuator mode=punctuate ! tee name=captions \
  captions. ! queue ! webvttenc duration=3000000000 ! filesink location="$vtt" async=false \
  "${video_branch[@]}" \
  2> >(quiet_pocketsphinx) | grep --line-buffered -v 'from element "punctuator"' | format_messages
