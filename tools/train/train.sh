#!/bin/sh
# Reproduces models/rwkv4-tiny-en.pth from nothing but Debian packages: installs what
# training needs, builds the corpus, trains with the shipped settings, and prints the
# held-out bits per byte next to xz -9's on the same text.
#   usage (from the repository root): tools/train/train.sh [WORKDIR]   (default build-train/model)
# Then copy WORKDIR/rwkv4-tiny-en.pth and WORKDIR/heldout.txt to models/ and check the engine
# agrees with PyTorch: /usr/bin/python3 tools/train/check_export.py RWKV_CLI models/rwkv4-tiny-en.pth
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
# Two phases, as the shipped model was made: the first 600 steps of a 1400-step cosine
# schedule, then a fresh 300-step schedule from there down to a low rate (it fitted the
# machine's time). Each phase is deterministic for its seed at one thread.
run() { LD_PRELOAD=$tcmalloc /usr/bin/python3 -u "$here/train.py" --train "$work/train.txt" \
          --heldout "$work/heldout.txt" --batch 8 --ctx 256 --seed 42 --threads 1 \
          --eval-every 100 --eval-bytes 8192 "$@"; }
run --out "$work/phase1.pth" --layers 4 --embd 192 --steps 1400 --stop-after 600 --warmup 50 \
    --lr 2e-3 --lr-final 1e-4 | tee "$work/train-phase1.log"
run --out "$work/rwkv4-tiny-en.pth" --init "$work/phase1.pth" --start-step 600 --steps 300 \
    --warmup 20 --lr 1.3e-3 --lr-final 5e-5 | tee "$work/train-phase2.log"

n=$(wc -c < "$work/heldout.txt")
x=$(xz -9 -c "$work/heldout.txt" | wc -c)
echo "xz -9 on the held-out text: $x of $n bytes, $(echo "$x $n" | awk '{ printf "%.4f", $1 * 8 / $2 }') bits per byte"
