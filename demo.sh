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
bash pipelines/speech-demo.sh "$@"

cat <<'END'

What you saw: speech turned into text by pocketsphinx and read live by the rwkv element. Each
line is what was heard, its least likely word [in brackets] and how surprising the line was
(bits per byte: lower is more expected); then the model wrote on from where the text ended.
The bundled model is tiny (2M parameters, trained for an hour on quotations, definitions and
the KJV Bible): its English is poor.

Next:
  - A real RWKV model (RWKV-4 to 7 as .pth, .safetensors, GGUF or rwkv.cpp .bin) with its
    tokenizer (World models: rwkv_vocab_v20230424.txt; Pile models: 20B_tokenizer.json):
      bash pipelines/speech-demo.sh --model MODEL.pth --tokenizer VOCAB.txt
  - More pipelines (live captions, subtitle files, text from stdin or TCP, summaries):
      pipelines/README.md; each script's --help says what it does
  - The element's properties, modes and messages:
      GST_PLUGIN_PATH=build/plugin gst-inspect-1.0 rwkv
END
