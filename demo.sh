#!/bin/sh
# The main job: installs what is missing (Debian 12), builds the project in ./build and runs
# the speech demo pipeline on the bundled model (models/rwkv4-tiny-en.pth):
#   espeak-ng speech -> pocketsphinx -> rwkv mode=score -> transcript with its least likely
#   words marked, then rwkv mode=continue continues the transcript.
# Arguments go to pipelines/speech-demo.sh (e.g. sentences to speak).
set -e
cd "$(dirname "$0")"
sh tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
exec bash pipelines/speech-demo.sh "$@"
