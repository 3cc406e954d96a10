"""A byte-level RWKV-4 language model in PyTorch, with BlinkDL's parameter names and shapes.

Two forms of the same function: forward() is the paper's parallel ("transformer") form used
for training, one matrix product per layer over a whole chunk; forward_recurrent() is the
token-by-token recurrence the engine runs, used to check the parallel form and exports.
Both carry a state between calls, so training can feed a long text chunk after chunk.
"""
import math

import torch
import torch.nn as nn


class TimeMix(nn.Module):
    def __init__(self, n_embd, layer, n_layer):
        super().__init__()
        c = torch.arange(n_embd, dtype=torch.float32) / max(n_embd - 1, 1)
        depth = layer / max(n_layer - 1, 1)
        # Decays spread from fast (a few tokens) to slow (hundreds), slower in deeper layers,
        # so every layer starts with both short and long memories.
        self.time_decay = nn.Parameter(-6 + 5 * c ** (0.7 + 1.3 * depth))
        self.time_first = nn.Parameter(torch.full((n_embd,), math.log(0.3)) + 0.5 * ((torch.arange(n_embd) % 3) - 1))
        ramp = (c ** (1.0 - 0.8 * depth)).view(1, 1, n_embd)
        self.time_mix_k = nn.Parameter(ramp.clone())
        self.time_mix_v = nn.Parameter(ramp.clone() + 0.3 * depth)
        self.time_mix_r = nn.Parameter(0.5 * ramp.clone())
        self.key = nn.Linear(n_embd, n_embd, bias=False)
        self.value = nn.Linear(n_embd, n_embd, bias=False)
        self.receptance = nn.Linear(n_embd, n_embd, bias=False)
        self.output = nn.Linear(n_embd, n_embd, bias=False)

    def mix(self, x, prev):
        # Flattened to [C] so that one token ([B,C]) and a chunk ([B,T,C]) both broadcast.
        mk, mv, mr = self.time_mix_k.view(-1), self.time_mix_v.view(-1), self.time_mix_r.view(-1)
        xk, xv, xr = x * mk + prev * (1 - mk), x * mv + prev * (1 - mv), x * mr + prev * (1 - mr)
        return self.key(xk), self.value(xv), torch.sigmoid(self.receptance(xr))

    def forward(self, x, st):
        """x [B,T,C]; st = (att_x, aa, bb, pp), each [B,C]."""
        att_x, aa, bb, pp = st
        prev = torch.cat([att_x.unsqueeze(1), x[:, :-1]], dim=1)
        k, v, r = self.mix(x, prev)
        wkv, aa, bb, pp = wkv_parallel(self.time_decay, self.time_first, k, v, aa, bb, pp)
        return self.output(r * wkv), (x[:, -1], aa, bb, pp)

    def step(self, x, st):
        """One token, x [B,C]: the recurrence exactly as the engine computes it."""
        att_x, aa, bb, pp = st
        k, v, r = self.mix(x, att_x)
        w, u = -torch.exp(self.time_decay), self.time_first
        ww = u + k
        p = torch.maximum(pp, ww)
        e1, e2 = torch.exp(pp - p), torch.exp(ww - p)
        wkv = (e1 * aa + e2 * v) / (e1 * bb + e2)
        ww = pp + w
        p = torch.maximum(ww, k)
        e1, e2 = torch.exp(ww - p), torch.exp(k - p)
        return self.output(r * wkv), (x, e1 * aa + e2 * v, e1 * bb + e2, p)


def wkv_parallel(time_decay, time_first, k, v, aa, bb, pp):
    """All T outputs of the WKV recurrence at once, plus the state after the last token.

    wkv_t = (S_t + sum_{i<t} e^{(t-1-i)w + k_i} v_i + e^{u+k_t} v_t) / (same with v = 1), where
    S_t = e^{t w} * (state carried in). Per channel this is a lower-triangular [T+1, T] decay
    matrix D times the vectors e^{k} v and e^{k}; row T (no bonus term) is the new state.
    Keys are shifted by their maximum per sequence and channel (m, also the new state's
    exponent pp) so nothing overflows: every exponent is then <= max(u, 0).
    """
    B, T, C = k.shape
    w = -torch.exp(time_decay)
    t = torch.arange(T + 1, device=k.device).view(T + 1, 1)
    i = torch.arange(T, device=k.device).view(1, T)
    lag = (t - 1 - i).to(k.dtype)                                     # [T+1, T]
    lag = lag.unsqueeze(0).expand(C, T + 1, T)
    expo = torch.where(lag >= 0, lag * w.view(C, 1, 1),                # i < t: decayed
                       torch.where(lag == -1, time_first.view(C, 1, 1).expand(C, T + 1, T),
                                   torch.full_like(lag, -math.inf)))  # i = t: bonus u
    decay = torch.exp(expo)                                           # [C, T+1, T]

    m = torch.maximum(k.max(dim=1).values, pp).detach()               # [B, C]
    ek = torch.exp(k - m.unsqueeze(1))                                # [B, T, C]
    xs = torch.cat([ek * v, ek], dim=0).permute(2, 1, 0)              # [C, T, 2B]
    y = torch.bmm(decay, xs)                                          # [C, T+1, 2B]
    carry = torch.exp(t.view(1, T + 1).to(k.dtype) * w.view(C, 1))   # [C, T+1]
    s = torch.exp(pp - m)                                             # [B, C]
    num = y[:, :, :B] + carry.unsqueeze(2) * (s * aa).t().unsqueeze(1)
    den = y[:, :, B:] + carry.unsqueeze(2) * (s * bb).t().unsqueeze(1)
    wkv = (num[:, :T] / den[:, :T]).permute(2, 1, 0)                  # [B, T, C]
    return wkv, num[:, T].t(), den[:, T].t(), m


class ChannelMix(nn.Module):
    def __init__(self, n_embd, n_ffn, layer, n_layer):
        super().__init__()
        c = torch.arange(n_embd, dtype=torch.float32) / max(n_embd - 1, 1)
        ramp = (c ** (1.0 - 0.8 * layer / max(n_layer - 1, 1))).view(1, 1, n_embd)
        self.time_mix_k = nn.Parameter(ramp.clone())
        self.time_mix_r = nn.Parameter(ramp.clone())
        self.key = nn.Linear(n_embd, n_ffn, bias=False)
        self.receptance = nn.Linear(n_embd, n_embd, bias=False)
        self.value = nn.Linear(n_ffn, n_embd, bias=False)

    def forward(self, x, prev):
        mk, mr = self.time_mix_k.view(-1), self.time_mix_r.view(-1)
        xk, xr = x * mk + prev * (1 - mk), x * mr + prev * (1 - mr)
        return torch.sigmoid(self.receptance(xr)) * self.value(torch.relu(self.key(xk)) ** 2)


class Block(nn.Module):
    def __init__(self, n_embd, n_ffn, layer, n_layer):
        super().__init__()
        if layer == 0:
            self.ln0 = nn.LayerNorm(n_embd)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)
        self.att = TimeMix(n_embd, layer, n_layer)
        self.ffn = ChannelMix(n_embd, n_ffn, layer, n_layer)


class RWKV4(nn.Module):
    def __init__(self, n_layer, n_embd, n_vocab=256, n_ffn=None):
        super().__init__()
        self.n_layer, self.n_embd, self.n_vocab = n_layer, n_embd, n_vocab
        self.n_ffn = n_ffn or 4 * n_embd
        self.emb = nn.Embedding(n_vocab, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, self.n_ffn, l, n_layer) for l in range(n_layer))
        self.ln_out = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, n_vocab, bias=False)
        self.reset_parameters()

    def reset_parameters(self):
        # Small embeddings (ln0 rescales them); residual outputs start at zero so every
        # block begins as the identity; the rest scaled to keep activations near unit size.
        nn.init.uniform_(self.emb.weight, -1e-4, 1e-4)
        for b in self.blocks:
            for lin in (b.att.key, b.att.value, b.ffn.key):
                nn.init.normal_(lin.weight, std=1 / math.sqrt(lin.in_features))
            for lin in (b.att.receptance, b.att.output, b.ffn.receptance, b.ffn.value):
                nn.init.zeros_(lin.weight)
        nn.init.normal_(self.head.weight, std=0.5 / math.sqrt(self.n_embd))

    def new_state(self, batch, device="cpu"):
        z = lambda: torch.zeros(batch, self.n_embd, device=device)
        return [(z(), z(), z(), torch.full((batch, self.n_embd), -1e30, device=device), z())
                for _ in range(self.n_layer)]

    def forward(self, tokens, state):
        """tokens [B,T] (int64) → logits [B,T,V], new state. Parallel over T."""
        x = self.blocks[0].ln0(self.emb(tokens))
        out = []
        for b, (att_x, aa, bb, pp, ffn_x) in zip(self.blocks, state):
            dx, (att_x, aa, bb, pp) = b.att(b.ln1(x), (att_x, aa, bb, pp))
            x = x + dx
            xx = b.ln2(x)
            x = x + b.ffn(xx, torch.cat([ffn_x.unsqueeze(1), xx[:, :-1]], dim=1))
            out.append((att_x, aa, bb, pp, xx[:, -1]))
        return self.head(self.ln_out(x)), out

    def forward_recurrent(self, tokens, state):
        """Same contract as forward(), one token at a time."""
        logits = []
        for t in range(tokens.shape[1]):
            x = self.blocks[0].ln0(self.emb(tokens[:, t]))
            new = []
            for b, (att_x, aa, bb, pp, ffn_x) in zip(self.blocks, state):
                dx, (att_x, aa, bb, pp) = b.att.step(b.ln1(x), (att_x, aa, bb, pp))
                x = x + dx
                xx = b.ln2(x)
                x = x + b.ffn(xx, ffn_x)
                new.append((att_x, aa, bb, pp, xx))
            state = new
            logits.append(self.head(self.ln_out(x)))
        return torch.stack(logits, dim=1), state

    @staticmethod
    def from_state_dict(sd):
        """Rebuilds the model from a BlinkDL-named state dict (sizes read from the shapes)."""
        n_layer = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("blocks."))
        n_vocab, n_embd = sd["emb.weight"].shape
        m = RWKV4(n_layer, n_embd, n_vocab, sd["blocks.0.ffn.key.weight"].shape[0])
        m.load_state_dict({k: v.float() for k, v in sd.items()})
        return m
