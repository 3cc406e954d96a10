"""Writes a BlinkDL RWKV-4 .pth as an rwkv.cpp model file (FP32, format version 100).

The second format is an independent path into the engine: check_export.py compares both
with the PyTorch recurrence. Layout as rwkv.cpp's converter writes it: time_* squeezed to
[C], time_decay stored as -exp(time_decay), shapes in ggml order (reversed).

usage: /usr/bin/python3 export_rwkvcpp.py MODEL.pth OUT.bin
"""
import struct
import sys

import torch


def export(sd, path):
    n_vocab, n_embd = sd["emb.weight"].shape
    n_layer = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("blocks."))
    with open(path, "wb") as f:
        f.write(struct.pack("<6I", 0x67676D66, 100, n_vocab, n_embd, n_layer, 0))
        for name, t in sd.items():
            t = t.float()
            if ".time_" in name:
                t = t.reshape(-1)
            if name.endswith("att.time_decay"):
                t = -torch.exp(t)
            key = name.encode()
            shape = list(reversed(t.shape))
            f.write(struct.pack(f"<3i{len(shape)}i", len(shape), len(key), 0, *shape))
            f.write(key)
            f.write(t.contiguous().numpy().astype("<f4").tobytes())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    export(torch.load(sys.argv[1], map_location="cpu"), sys.argv[2])


if __name__ == "__main__":
    main()
