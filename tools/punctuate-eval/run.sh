#!/bin/sh
# The punctuation figures of BENCHMARKS.md: rwkv-punctuate-eval on the bundled model's two
# held-out texts (models/heldout.txt, KJV books; models/heldout-modern.txt, quotations,
# glosses and Jargon File entries) and on modern English prose in no training set (the
# Debian Manifesto, Ian Murdock 1994, from Debian's doc-debian package), at lookahead 1-4,
# then live (each utterance decided when it ends) with pause bonuses 0, 0.5, 1 and 2, with
# utterances cut at random and cut after half the sentence ends (as a recogniser that cuts
# at pauses would); then rwkv.cpp's tiny test models (../shared/testdata) on the same texts.
#   usage (from the repository root, after building ./build): tools/punctuate-eval/run.sh [WORDS]
set -eu
words=${1:-2000}
eval=build/tools/rwkv-punctuate-eval
manifesto=/usr/share/doc/debian/debian-manifesto.gz
[ -f "$manifesto" ] || { echo "run.sh: $manifesto is missing: apt-get install doc-debian" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zcat "$manifesto" >"$work/debian-manifesto.txt"
texts="models/heldout.txt models/heldout-modern.txt $work/debian-manifesto.txt"

for t in $texts; do
  "$eval" --threads 1 --model models/rwkv4-tiny-en.pth --text "$t" --words "$words" --lookahead 1,2,3,4
  echo
done
for pauses in 0 0.5; do
  for t in models/heldout-modern.txt "$work/debian-manifesto.txt"; do
    "$eval" --threads 1 --model models/rwkv4-tiny-en.pth --text "$t" --words "$words" --pause-bonus 0,0.5,1,2 \
      --live --pauses-at-ends $pauses
    echo
  done
done
testdata=../shared/testdata/rwkvcpp
if [ -d "$testdata" ]; then
  for m in tiny-rwkv-4v0-660K-FP32.bin tiny-rwkv-7v0-834K-FP32.bin; do
    for t in models/heldout-modern.txt "$work/debian-manifesto.txt"; do
      echo "$m:"
      "$eval" --threads 1 --model "$testdata/$m" --tokenizer bytes --text "$t" --words 1000
      echo
    done
  done
fi
