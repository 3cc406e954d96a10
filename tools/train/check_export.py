"""Checks that the engine computes what the trained model computes.

Feeds a fixed text to the PyTorch recurrence (in float64) and asks the engine
(rwkv-cli logits, step and sequence modes) for the logits after each of several prefixes,
from the .pth and from its rwkv.cpp export (written to a temporary file); all must agree
to 1e-4. Exits 77 (skipped) where PyTorch is not installed.

usage: /usr/bin/python3 check_export.py RWKV_CLI MODEL.pth
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import torch
except ImportError:
    print("PyTorch is not installed (apt-get install python3-torch); skipping")
    sys.exit(77)

from export_rwkvcpp import export
from rwkv4 import RWKV4

TEXT = b"In the beginning was the Word, and the Word was with God.\n12 And he said, Who art thou?"
TOL = 1e-4


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    cli, pth = sys.argv[1], sys.argv[2]
    sd = torch.load(pth, map_location="cpu")
    model = RWKV4.from_state_dict(sd).double().eval()
    with tempfile.TemporaryDirectory() as tmp:
        export(sd, os.path.join(tmp, "model.bin"))
        return compare(cli, model, [pth, os.path.join(tmp, "model.bin")])


def compare(cli, model, files):
    tokens = torch.tensor(list(TEXT)).unsqueeze(0)
    with torch.no_grad():
        ref, _ = model.forward_recurrent(tokens, [tuple(s.double() for s in l) for l in model.new_state(1)])
    worst = 0.0
    for n in (1, 3, 17, len(TEXT)):  # prefix lengths: first token, short, a full line, all
        want = ref[0, n - 1]
        for f in files:
            for mode in ("step", "sequence"):
                out = subprocess.run([cli, "logits", "--model", f, "--mode", mode, "--threads", "1",
                                      "--tokens", ",".join(map(str, TEXT[:n]))],
                                     check=True, capture_output=True, text=True).stdout
                got = torch.tensor(json.loads(out)["logits"], dtype=torch.float64)
                err = (got - want).abs().max().item()
                worst = max(worst, err)
                print(f"{f} {mode:8} {n:3} tokens: max |engine - pytorch| = {err:.2e}")
    print(f"worst {worst:.2e} (tolerance {TOL:.0e})")
    return 0 if worst <= TOL else 1


if __name__ == "__main__":
    sys.exit(main())
