// RWKV-5's layer schema: 5.1 (no gate; one decay and one bonus per head) and 5.2 (gated;
// per-channel decay and bonus), docs/REFERENCE.md, RWKV-5.2. Decay and bonus are bound per
// channel whichever way the checkpoint stores them.
#pragma once
#include <cmath>
#include <vector>

#include "arch/channel_mix.h"
#include "arch/layer_ops.h"
#include "arch/traits.h"
#include "rwkv/error.h"

namespace rwkv::arch::v5 {

enum Mix { R, K, V, G, kMixes };  // the order of `mix` and of the stacked projection

template <class B>
struct Layer : LayerBase<B> {
  Norm<B> ln_x;
  typename B::Vec mix[kMixes];  // mix[G] only when gated
  typename B::Vec decay;        // exp(-exp(time_decay))
  typename B::Vec bonus;        // u
  bool gated = false;
  typename B::Stack rkvg;  // receptance, key, value (, gate)
};

template <class B>
struct Weights {
  std::vector<Layer<B>> layers;
};

// A per-channel vector from a tensor of C values or of one value per head (5.0/5.1), with
// f applied in double precision.
template <class B, class F>
typename B::Vec per_channel(B& b, const std::string& name, const ModelInfo& info, F f) {
  const size_t C = size_t(info.n_embd), H = size_t(info.n_head), N = size_t(info.head_size);
  size_t n = 1;
  for (int64_t d : b.shape(name)) n *= size_t(d);
  if (n != C && n != H)
    throw Error("tensor '" + name + "' has " + std::to_string(n) + " values, expected " + std::to_string(C) +
                " (per channel) or " + std::to_string(H) + " (per head)");
  const std::vector<float> raw = b.host_vec(name, n);
  std::vector<float> out(C);
  for (size_t c = 0; c < C; c++) out[c] = float(f(double(raw[n == C ? c : c / N])));
  return b.vec(std::move(out), "tensor '" + name + "'");
}

// A layer's state (RWKV-5 to 7): att_x, ffn_x (C floats each), then the H*N*N matrix state.
enum StateAt { kAttX = 0, kFfnX = 1, kS = 2 };

// RWKV-5/6's recurrence (docs/REFERENCE.md), per head, S[i][j] with i the key and j the value
// channel:  y[j] = sum_i r[i] (u[i] k[i] v[j] + S[i][j]);  S[i][j] = w[i] S[i][j] + k[i] v[j].
// The decay w is `decay` (RWKV-5: per channel, exp(-exp(time_decay)) bound), or with
// token_decay set (RWKV-6) exp(-exp(decay + token_decay)) per token.
template <class O>
struct Wkv {
  typename O::F r{}, k{}, v{}, token_decay{};
  const typename O::Binder::Vec *decay = nullptr, *bonus = nullptr;

  // One token of one head on the host: `at` is the head's first element in the token's row,
  // `off` its first channel; s the head's N x N state.
  void head(int N, float* s, size_t at, size_t off, float* y) const {
    const float *rt = r + at, *kt = k + at, *vt = v + at, *u = bonus->data() + off, *d = decay->data() + off;
    for (int j = 0; j < N; j++) y[j] = 0;
    for (int i = 0; i < N; i++) {
      float* si = s + size_t(i) * size_t(N);
      const float ri = rt[i], ki = kt[i], ui = u[i];
      const float wi = token_decay ? std::exp(-std::exp(d[i] + token_decay[at + size_t(i)])) : d[i];
      for (int j = 0; j < N; j++) {
        const float kv = ki * vt[j];
        y[j] += ri * (ui * kv + si[j]);
        si[j] = wi * si[j] + kv;
      }
    }
  }
};

struct Version {
  // 5.1 has no gate and one decay and bonus per head; 5.2 is gated, per channel (or per head:
  // ChatRWKV's "5.1").
  static constexpr ArchTraits kTraits[] = {
      {Arch::V5_1, "rwkv5.1", {"att.ln_x.weight"}, {{"att.time_decay", false}}, 2, true, -1, 0, false,
       "ffn.time_mix_k", "ffn.time_mix_r", 64e-5f, 1e-5f},
      {Arch::V5_2, "rwkv5.2", {"att.ln_x.weight", "att.gate.weight"},
       {{"att.time_faaaa", true}, {"att.time_decay", false}}, 2, true, -1, 0, false, "ffn.time_mix_k",
       "ffn.time_mix_r", 64e-5f, 1e-5f},
  };
  template <class B>
  static Weights<B> bind(B& b, const ModelInfo& info, bool /*fp16_rescale*/) {
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    Weights<B> out;
    out.layers = bind_layers<Layer<B>>(b, info, [&](Layer<B>& w, int /*l*/, auto n) {
      w.ln_x = bind_norm(b, n("att.ln_x"), Cs);
      w.mix[R] = b.vec(n("att.time_mix_r"), Cs);
      w.mix[K] = b.vec(n("att.time_mix_k"), Cs);
      w.mix[V] = b.vec(n("att.time_mix_v"), Cs);
      w.decay = per_channel(b, n("att.time_decay"), info, [](double d) { return std::exp(-std::exp(d)); });
      // 5.2 stores the bonus itself (time_faaaa); 5.0/5.1 store its log (time_first).
      if (b.has(n("att.time_faaaa")))
        w.bonus = per_channel(b, n("att.time_faaaa"), info, [](double u) { return u; });
      else
        w.bonus = per_channel(b, n("att.time_first"), info, [](double f) { return std::exp(f); });
      w.gated = b.has(n("att.gate.weight"));
      std::vector<std::string> proj = {n("att.receptance.weight"), n("att.key.weight"), n("att.value.weight")};
      if (w.gated) {
        w.mix[G] = b.vec(n("att.time_mix_g"), Cs);
        proj.push_back(n("att.gate.weight"));
      }
      w.rkvg = b.stack(proj, C, C);
    });
    return out;
  }

  template <class O>
  struct Scratch {
    typename O::OpGroup mixed;  // r, k, v, g inputs
    typename O::FGroup proj;    // r, k, v, g
    typename O::F y;
    template <class A, class W>
    Scratch(A& a, const W&, const ModelInfo& info)
        : mixed(a.operands(kMixes, size_t(info.n_embd), "the time mix's inputs")),
          proj(a.floats(kMixes, size_t(info.n_embd), "the time mix's projections")),
          y(a.floats(size_t(info.n_embd), "the recurrence's output")) {}
  };

  template <class O>
  static void layer(O& o, const Weights<typename O::Binder>& ws, int l, Scratch<O>& s) {
    const Layer<typename O::Binder>& w = ws.layers[size_t(l)];
    const int mixes = w.gated ? kMixes : G;
    o.ln_shift(w.ln1, l, kAttX, /*delta=*/false, w.mix, mixes, s.mixed);
    o.products(w.rkvg, s.mixed, s.proj, mixes);
    o.wkv(l, kS, Wkv<O>{s.proj[R], s.proj[K], s.proj[V], {}, &w.decay, &w.bonus}, s.y);
    o.add_product(w.output, o.wkv_out({&w.ln_x, s.y, w.gated ? Gate::Silu : Gate::None, s.proj[G]}));
    o.channel_mix(w.ffn, l, kFfnX);
  }
};

}  // namespace rwkv::arch::v5
