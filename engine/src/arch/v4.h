// RWKV-4's layer schema (docs/REFERENCE.md, RWKV-4): three mixes, one stacked r/k/v projection,
// the per-channel decay -exp(time_decay) and bonus time_first.
//
// fp16 rescaling (docs/REFERENCE.md): a backend computing in fp16 binds att.output and ffn.value
// of layer l divided by 2^(l / kRescaleEvery) and halves the residual after every
// kRescaleEvery-th layer, which keeps the stream's magnitude bounded (LayerNorm does not
// see the scale).
#pragma once
#include <cmath>
#include <vector>

#include "arch/channel_mix.h"

namespace rwkv::arch::v4 {

constexpr int kRescaleEvery = 6;

enum Mix { R, K, V, kMixes };  // the order of `mix` and of the stacked projection

template <class B>
struct Layer {
  Norm<B> ln1;
  typename B::Vec mix[kMixes];
  typename B::Vec decay;  // -exp(time_decay)
  typename B::Vec first;  // time_first
  typename B::Stack rkv;  // receptance, key, value
  typename B::Mat output;
  ChannelMix<B> ffn;
};

template <class B>
std::vector<Layer<B>> bind(B& b, const ModelInfo& info, bool fp16_rescale) {
  const int C = info.n_embd;
  const size_t Cs = size_t(C);
  std::vector<Layer<B>> layers;
  for (int l = 0; l < info.n_layer; l++) {
    auto n = [&](const char* s) { return layer_name(l, s); };
    Layer<B> w;
    w.ln1 = bind_norm(b, n("ln1"), Cs);
    w.mix[R] = b.vec(n("att.time_mix_r"), Cs);
    w.mix[K] = b.vec(n("att.time_mix_k"), Cs);
    w.mix[V] = b.vec(n("att.time_mix_v"), Cs);
    std::vector<float> decay = b.host_vec(n("att.time_decay"), Cs);
    for (float& d : decay) d = -std::exp(d);
    w.decay = b.vec(std::move(decay), "tensor '" + n("att.time_decay") + "'");
    w.first = b.vec(n("att.time_first"), Cs);
    w.rkv = b.stack({n("att.receptance.weight"), n("att.key.weight"), n("att.value.weight")}, C, C);
    const float scale = fp16_rescale ? 1.0f / float(1 << (l / kRescaleEvery)) : 1.0f;
    w.output = b.matrix(n("att.output.weight"), C, C, scale);
    w.ffn = bind_channel_mix(b, info, l, scale);
    layers.push_back(std::move(w));
  }
  return layers;
}

}  // namespace rwkv::arch::v4
