"""Checks that the parallel (training) form equals the recurrence, chunk after chunk.

usage: /usr/bin/python3 test_parallel.py   (exit status 0 when they agree, 77 without PyTorch)
"""
import sys

try:
    import torch
except ImportError:
    print("PyTorch is not installed (apt-get install python3-torch); skipping")
    sys.exit(77)

from rwkv4 import RWKV4


def main():
    torch.manual_seed(1)
    m = RWKV4(n_layer=3, n_embd=32).double()
    with torch.no_grad():  # zero-initialised weights would hide mistakes: randomise all
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    tokens = torch.randint(0, 256, (2, 50))
    with torch.no_grad():
        ref, ref_state = m.forward_recurrent(tokens, [tuple(s.double() for s in l) for l in m.new_state(2)])
        state = [tuple(s.double() for s in l) for l in m.new_state(2)]
        parts = []
        for a, b in ((0, 7), (7, 8), (8, 40), (40, 50)):  # uneven chunks, one of length 1
            out, state = m(tokens[:, a:b], state)
            parts.append(out)
    par = torch.cat(parts, dim=1)
    err = (par - ref).abs().max().item()
    # States are kept at different exponents (pp); compare what they stand for.
    serr = max((torch.exp(s[3]) * s[1] - torch.exp(r[3]) * r[1]).abs().max().item()
               for s, r in zip(state, ref_state))
    print(f"max |parallel - recurrent| logits {err:.3e}, state {serr:.3e}")
    return 0 if err < 1e-9 and serr < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
