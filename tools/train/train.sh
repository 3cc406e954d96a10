#!/bin/sh
# Reproduces models/rwkv4-tiny-en.pth from nothing but Debian packages: installs what
# training needs, builds the modern-English corpus (make-corpus.sh), trains with the
# shipped settings, and prints the held-out bits per byte of both held-out sets next to
# xz -9's on the same text.
#   usage (from the repository root): tools/train/train.sh [WORKDIR]   (default build-train/model)
# Then copy WORKDIR/rwkv4-tiny-en.pth, WORKDIR/heldout.txt and WORKDIR/heldout-modern.txt to
# models/ and check the engine agrees with PyTorch:
#   /usr/bin/python3 tools/train/check_export.py RWKV_CLI models/rwkv4-tiny-en.pth
# A later, longer run continues this one in phases: --resume WORKDIR/rwkv4-tiny-en.pth.resume
# with a larger --steps goes on from the last checkpoint with the optimizer, the text position
# and the carried state as they were (test_resume.py).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-build-train/model}

# PyTorch from Debian (for /usr/bin/python3); an optimised BLAS, since the reference BLAS
# it would otherwise pick is ~5x slower; tcmalloc, since glibc's allocator returns every
# large tensor to the kernel and page-faults it back in on each use (~20x slower here).
need=""
for p in python3-torch libopenblas0-pthread libtcmalloc-minimal4; do
  dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] || apt-get install -y --no-install-recommends $need
tcmalloc=$(ldconfig -p | awk '/libtcmalloc_minimal\.so\.4 / { print $NF; exit }')

"$here/make-corpus.sh" "$work"
# One phase: a 3200-step cosine schedule from 2e-3 down to 1e-4 (warm-up 50 steps), evaluated
# on the modern held-out text; deterministic for its seed at one thread.
LD_PRELOAD=$tcmalloc /usr/bin/python3 -u "$here/train.py" --train "$work/train.txt" \
  --heldout "$work/heldout-modern.txt" --batch 8 --ctx 256 --seed 42 --threads 1 \
  --eval-every 200 --eval-bytes 16384 --out "$work/rwkv4-tiny-en.pth" --layers 4 --embd 192 \
  --steps 3200 --warmup 50 --lr 2e-3 --lr-final 1e-4 | tee "$work/train.log"

for f in heldout.txt heldout-modern.txt; do
  n=$(wc -c < "$work/$f")
  x=$(xz -9 -c "$work/$f" | wc -c)
  echo "xz -9 on $f: $x of $n bytes, $(echo "$x $n" | awk '{ printf "%.4f", $1 * 8 / $2 }') bits per byte"
done
