"""Trains the byte-level RWKV-4 model and writes a BlinkDL-format .pth the engine loads.

The training text is read as B parallel streams, each a contiguous slice of the corpus fed
chunk after chunk with the recurrent state carried across chunks (truncated backprop), so
the model learns to run on an unbounded stream the way the engine runs it. Deterministic for
a given seed and thread count.

usage: /usr/bin/python3 train.py --train corpus/train.txt --heldout corpus/heldout.txt \
           --out model.pth [--layers 4 --embd 192 --steps 1400 ...]
Defaults are the shipped model's sizes; train.sh holds its full recipe. Run with tcmalloc
preloaded (train.sh does): glibc's allocator makes PyTorch on CPU many times slower here.
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

from rwkv4 import RWKV4


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", required=True)
    p.add_argument("--heldout", required=True)
    p.add_argument("--out", required=True, help="BlinkDL .pth written at every checkpoint and at the end")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--embd", type=int, default=192)
    p.add_argument("--ffn", type=int, default=0, help="channel-mix hidden size (default 4 x embd)")
    p.add_argument("--batch", type=int, default=8, help="parallel streams")
    p.add_argument("--ctx", type=int, default=256, help="tokens per chunk (backprop length)")
    p.add_argument("--steps", type=int, default=1400)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--lr-final", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--seed", type=int, default=42)
    # One thread: on a machine shared with other jobs, more threads mostly wait on each other.
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--eval-bytes", type=int, default=8192, help="held-out prefix for periodic evals")
    p.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32", help="of the saved weights")
    p.add_argument("--init", help="start from this .pth instead of a fresh model (a second phase)")
    p.add_argument("--start-step", type=int, default=0,
                   help="read the text from where a run that did this many steps left off")
    p.add_argument("--stop-after", type=int, default=0,
                   help="stop (save, final eval) after this many steps of this phase; the schedule still spans --steps")
    p.add_argument("--resume", help="continue the run whose OUT.resume this is (weights, optimizer, step): "
                   "the same schedule and text position, so phases of one run can span machines")
    return p.parse_args()


def read_bytes(path):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).long()


def detach(state):
    return [tuple(s.detach() for s in layer) for layer in state]


@torch.no_grad()
def bits_per_byte(model, data, ctx=128):
    """Streams data through the model from the initial state, as the engine scores a text."""
    state = model.new_state(1)
    total, n = 0.0, 0
    for a in range(0, len(data) - 1, ctx):
        x = data[a:min(a + ctx, len(data) - 1)].unsqueeze(0)
        y = data[a + 1:a + 1 + x.shape[1]].unsqueeze(0)
        logits, state = model(x, state)
        total += F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1), reduction="sum").item()
        n += y.numel()
    return total / n / math.log(2)


def lr_at(step, a):
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    frac = (step - a.warmup) / max(a.steps - a.warmup, 1)
    return a.lr_final + 0.5 * (a.lr - a.lr_final) * (1 + math.cos(math.pi * frac))


def save(model, path, dtype):
    cast = torch.bfloat16 if dtype == "bf16" else torch.float32
    sd = {k: v.detach().to(cast).contiguous() for k, v in model.state_dict().items()}
    # Written whole, then renamed: a run stopped mid-write leaves the last checkpoint intact.
    # Through a file object, so the archive's inner folder is "archive", not the temp name.
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(sd, f)
    os.replace(tmp, path)


def save_resume(model, opt, step, loss_avg, state, path):
    """Everything a later phase needs to go on exactly as if the run had not stopped."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "loss_avg": loss_avg,
                    "state": state, "rng": torch.get_rng_state()}, f)
    os.replace(tmp, path)


def fmt_time(s):
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def main():
    a = parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    train, heldout = read_bytes(a.train), read_bytes(a.heldout)
    resume = torch.load(a.resume, map_location="cpu") if a.resume else None
    if resume:
        model = RWKV4.from_state_dict(resume["model"])
    elif a.init:
        model = RWKV4.from_state_dict(torch.load(a.init, map_location="cpu"))
    else:
        model = RWKV4(a.layers, a.embd, 256, a.ffn or None)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {model.n_layer} layers, embd {model.n_embd}, ffn {model.n_ffn}, {n_params / 1e6:.2f} M parameters; "
          f"train {len(train)} bytes, held-out {len(heldout)} bytes", flush=True)

    # Decays, bonuses and mixes get a larger step: they are few, and each sets the
    # behaviour of a whole channel, but move slowly at the matrices' rate.
    special = [p for n, p in model.named_parameters() if ".time_" in n]
    rest = [p for n, p in model.named_parameters() if ".time_" not in n]
    opt = torch.optim.Adam([{"params": rest, "scale": 1.0}, {"params": special, "scale": 3.0}],
                           lr=a.lr, betas=(0.9, 0.99), eps=1e-8)
    first = 0
    if resume:
        opt.load_state_dict(resume["opt"])
        torch.set_rng_state(resume["rng"])
        first = resume["step"]
        print(f"resuming at step {first} of {a.steps}", flush=True)

    # Stream j reads train[j*span : (j+1)*span]; after a pass the starts move by a third of a
    # chunk so later passes cut the text at different places.
    span = len(train) // a.batch
    chunks_per_pass = (span - 1) // a.ctx
    starts = torch.arange(a.batch) * span
    state = model.new_state(a.batch)
    t0 = time.time()
    last_print, bytes_done, loss_avg = t0, 0, resume["loss_avg"] if resume else None
    last = min(first + a.stop_after if a.stop_after else a.steps, a.steps)
    for step in range(first, last):
        g = a.start_step + step
        c = g % chunks_per_pass
        if c == 0 or step == first:
            state = resume["state"] if resume and step == first and c != 0 else model.new_state(a.batch)
            shift = (g // chunks_per_pass) * a.ctx // 3 % a.ctx
        idx = (starts + shift + c * a.ctx).unsqueeze(1) + torch.arange(a.ctx + 1)
        batch = train[idx.clamp(max=len(train) - 1)]
        lr = lr_at(step, a)
        for group in opt.param_groups:
            group["lr"] = lr * group["scale"]
        logits, state = model(batch[:, :-1], state)
        state = detach(state)
        loss = F.cross_entropy(logits.reshape(-1, 256), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        bytes_done += a.batch * a.ctx
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        now = time.time()
        if now - last_print >= 10 or step + 1 == last:
            el = now - t0
            print(f"step {step + 1}/{a.steps}  loss {loss_avg:.4f} ({loss_avg / math.log(2):.3f} bits/byte)  "
                  f"lr {lr:.2e}  {bytes_done / el:.0f} bytes/s  elapsed {fmt_time(el)}  "
                  f"left {fmt_time(el / (step + 1 - first) * (last - step - 1))}", flush=True)
            last_print = now
        if (step + 1) % a.eval_every == 0 or step + 1 == last:
            save(model, a.out, a.dtype)
            save_resume(model, opt, step + 1, loss_avg, state, a.out + ".resume")
            model.eval()
            final = step + 1 == last
            bpb = bits_per_byte(model, heldout if final else heldout[:a.eval_bytes])
            model.train()
            what = "all held-out" if final else f"held-out prefix {a.eval_bytes} B"
            print(f"eval step {step + 1}: {what}: {bpb:.4f} bits/byte", flush=True)
    print(f"done in {fmt_time(time.time() - t0)}; wrote {a.out}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
