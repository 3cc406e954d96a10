#!/bin/sh
# Builds the training corpus for the bundled byte-level model (train.sh) from Debian packages,
# with whole documents of every source held out for evaluation (make_corpus.py says which and
# why):
# the King James Bible (bible-kjv-text, public domain, read with the bible-kjv tool),
# quotations and dialogue (fortunes, fortunes-min: BSD), WordNet's glosses and example
# sentences (wordnet-base: WordNet 3.0 licence) and the Jargon File (jargon-text: public domain).
#   usage: make-corpus.sh [OUTDIR]
#   writes OUTDIR/train.txt, OUTDIR/heldout.txt (the KJV books) and OUTDIR/heldout-modern.txt
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-corpus}
need=""
for p in bible-kjv bible-kjv-text fortunes fortunes-min wordnet-base jargon-text python3; do
  dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] || apt-get install -y --no-install-recommends $need >&2
mkdir -p "$out"
bible -l0 gen1:1-rev22:21 >"$out/kjv.txt"
/usr/bin/python3 "$here/make_corpus.py" "$out" "$out/kjv.txt"
rm -f "$out/kjv.txt"
wc -c "$out/train.txt" "$out/heldout.txt" "$out/heldout-modern.txt" >&2
