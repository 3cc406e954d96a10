// The channel-mix (feed-forward) block of every version: LayerNorm ln2, token shift,
// k = relu(Wk xk)^2, out = Wv k, gated by sigmoid(Wr xr) before RWKV-7 (docs/REFERENCE.md).
#pragma once
#include "arch/binder.h"
#include "rwkv/state.h"

namespace rwkv::arch {

template <class B>
struct ChannelMix {
  Norm<B> ln2;
  typename B::Vec mk, mr;      // mr unused without the gate
  typename B::Mat key, value, receptance;
  bool delta = false;  // v6/v7 shift x + (prev - x)*m; v4/v5 use x*m + prev*(1 - m)
  bool gated = true;   // receptance gate (all but v7)
};

// blocks.<layer>.ln2 and ffn.*: time_mix_k/_r (v4/v5), time_maa_k/_r (v6) or x_k (v7);
// ffn.value times value_scale (RWKV-4's fp16 rescaling).
template <class B>
ChannelMix<B> bind_channel_mix(B& b, const ModelInfo& info, int layer, float value_scale = 1.0f) {
  auto n = [&](const char* s) { return layer_name(layer, s); };
  const int C = info.n_embd, F = info.n_ffn;
  ChannelMix<B> w;
  w.delta = info.arch == Arch::V6 || info.arch == Arch::V7;
  w.gated = info.arch != Arch::V7;
  w.ln2 = bind_norm(b, n("ln2"), size_t(C));
  switch (info.arch) {
    case Arch::V7: w.mk = b.vec(n("ffn.x_k"), size_t(C)); break;
    case Arch::V6:
      w.mk = b.vec(n("ffn.time_maa_k"), size_t(C));
      w.mr = b.vec(n("ffn.time_maa_r"), size_t(C));
      break;
    default:
      w.mk = b.vec(n("ffn.time_mix_k"), size_t(C));
      w.mr = b.vec(n("ffn.time_mix_r"), size_t(C));
  }
  w.key = b.matrix(n("ffn.key.weight"), F, C);
  w.value = b.matrix(n("ffn.value.weight"), C, F, value_scale);
  if (w.gated) w.receptance = b.matrix(n("ffn.receptance.weight"), C, C);
  return w;
}

}  // namespace rwkv::arch
