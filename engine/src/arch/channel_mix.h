// The channel-mix (feed-forward) block of every version: LayerNorm ln2, token shift,
// k = relu(Wk xk)^2, out = Wv k, gated by sigmoid(Wr xr) before RWKV-7 (docs/REFERENCE.md).
#pragma once
#include <vector>

#include "arch/binder.h"
#include "arch/traits.h"
#include "rwkv/state.h"

namespace rwkv::arch {

template <class B>
struct ChannelMix {
  Norm<B> ln2;
  typename B::Vec mk, mr;      // mr unused without the gate
  typename B::Mat key, value, receptance;
  bool delta = false;  // the shift x + (prev - x)*m, or x*m + prev*(1 - m) (ArchTraits)
  bool gated = true;   // receptance gate
};

// blocks.<layer>.ln2 and ffn.*, the mix vectors named by the version's traits; ffn.value
// times value_scale (RWKV-4's fp16 rescaling).
template <class B>
ChannelMix<B> bind_channel_mix(B& b, const ModelInfo& info, int layer, float value_scale = 1.0f) {
  auto n = [&](const char* s) { return layer_name(layer, s); };
  const int C = info.n_embd, F = info.n_ffn;
  ChannelMix<B> w;
  const ArchTraits& t = arch_traits(info.arch);
  w.delta = t.ffn_delta;
  w.gated = t.ffn_mix_r != nullptr;
  w.ln2 = bind_norm(b, n("ln2"), size_t(C));
  w.mk = b.vec(n(t.ffn_mix_k), size_t(C));
  if (w.gated) w.mr = b.vec(n(t.ffn_mix_r), size_t(C));
  w.key = b.matrix(n("ffn.key.weight"), F, C);
  w.value = b.matrix(n("ffn.value.weight"), C, F, value_scale);
  if (w.gated) w.receptance = b.matrix(n("ffn.receptance.weight"), C, C);
  return w;
}

// What every version's layer has: LayerNorm ln1 before the time mix, the time mix's output
// projection and the channel mix. A version's Layer derives from it.
template <class B>
struct LayerBase {
  Norm<B> ln1;
  typename B::Mat output;
  ChannelMix<B> ffn;
};

// Every layer's weights: ln1, then f(w, l, name) binds the version's own (name(suffix) is
// layer l's tensor "blocks.<l>.<suffix>"), then att.output and the channel mix, att.output
// and ffn.value divided by 2^(l / rescale_every) when rescale_every > 0 (RWKV-4's fp16
// rescaling, arch/v4.h).
template <class L, class B, class F>
std::vector<L> bind_layers(B& b, const ModelInfo& info, F f, int rescale_every = 0) {
  std::vector<L> out;
  const int C = info.n_embd;
  for (int l = 0; l < info.n_layer; l++) {
    auto n = [l](const char* s) { return layer_name(l, s); };
    L w;
    w.ln1 = bind_norm(b, n("ln1"), size_t(C));
    f(w, l, n);
    const float scale = rescale_every > 0 ? 1.0f / float(1 << (l / rescale_every)) : 1.0f;
    w.output = b.matrix(n("att.output.weight"), C, C, scale);
    w.ffn = bind_channel_mix(b, info, l, scale);
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace rwkv::arch
