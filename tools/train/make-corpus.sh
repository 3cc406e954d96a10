#!/bin/sh
# Builds the training corpus for the bundled byte-level model: the King James Version of the
# Bible (public domain, Debian package bible-kjv-text, read with the bible-kjv tool).
# Whole books are held out for evaluation, so the measured bits per byte are on prose the
# model never saw; the rest, in canonical order, is the training text.
#   usage: make-corpus.sh [OUTDIR]      writes OUTDIR/train.txt and OUTDIR/heldout.txt
set -eu
out=${1:-corpus}
# Narrative, wisdom, prophecy, gospel and letter: one of each kind of prose, about 4%.
heldout='Ruth|Ecclesiastes|Jonah|Mark|James|1 Peter'

if ! command -v bible >/dev/null 2>&1 || [ ! -e /usr/lib/bible.data ]; then
  apt-get install -y --no-install-recommends bible-kjv bible-kjv-text >&2
fi
mkdir -p "$out"
# Chapter headings are "Book N" at column 0; verses are indented "  N text".
bible -l0 gen1:1-rev22:21 | LC_ALL=C awk -v held="^($heldout)\$" -v tr="$out/train.txt" -v ho="$out/heldout.txt" '
  /^[^ ].* [0-9]+$/ { book = $0; sub(/ [0-9]+$/, "", book); dst = (book ~ held) ? ho : tr }
  dst == "" { next }
  { sub(/^ +/, ""); print > dst }'
wc -c "$out/train.txt" "$out/heldout.txt" >&2
