// RWKV-7 ("Goose")'s layer schema (docs/REFERENCE.md, RWKV-7): six mixes, r/k/v projections,
// low-rank decay, in-context learning rate, value residual (absent in layer 0) and gate,
// the kk normalisation and r·k bonus vectors.
#pragma once
#include <algorithm>
#include <vector>

#include "arch/channel_mix.h"
#include "arch/lora.h"

namespace rwkv::arch::v7 {

// The order of `mix`: r, k, v first, the stacked projection's inputs.
enum Mix { R, K, V, W, A, G, kMixes };

template <class B>
struct Layer {
  Norm<B> ln1, ln_x;
  typename B::Vec mix[kMixes];  // att.x_r .. att.x_g
  typename B::Vec w0, a0, v0, k_k, k_a, r_k;
  Lora<B> w_lora, a_lora, v_lora, g_lora;  // v_lora (and v0) absent in layer 0
  typename B::Stack rkv;                   // receptance, key, value
  typename B::Mat output;
  ChannelMix<B> ffn;
};

template <class B>
struct Weights {
  std::vector<Layer<B>> layers;
  int max_rank = 0;  // of all the low-rank products
};

template <class B>
Weights<B> bind(B& b, const ModelInfo& info) {
  const int C = info.n_embd;
  const size_t Cs = size_t(C);
  const char* const mix_names[kMixes] = {"att.x_r", "att.x_k", "att.x_v", "att.x_w", "att.x_a", "att.x_g"};
  Weights<B> out;
  for (int l = 0; l < info.n_layer; l++) {
    auto n = [&](const char* s) { return layer_name(l, s); };
    Layer<B> w;
    w.ln1 = bind_norm(b, n("ln1"), Cs);
    w.ln_x = bind_norm(b, n("att.ln_x"), Cs);
    for (int j = 0; j < kMixes; j++) w.mix[j] = b.vec(n(mix_names[j]), Cs);
    w.w0 = b.vec(n("att.w0"), Cs);
    w.a0 = b.vec(n("att.a0"), Cs);
    w.k_k = b.vec(n("att.k_k"), Cs);
    w.k_a = b.vec(n("att.k_a"), Cs);
    w.r_k = b.vec(n("att.r_k"), Cs);
    w.w_lora = bind_lora(b, n("att.w1"), n("att.w2"), C, C, Act::Tanh);
    w.a_lora = bind_lora(b, n("att.a1"), n("att.a2"), C, C, Act::None);
    w.g_lora = bind_lora(b, n("att.g1"), n("att.g2"), C, C, Act::Sigmoid);
    out.max_rank = std::max({out.max_rank, w.w_lora.rank(), w.a_lora.rank(), w.g_lora.rank()});
    if (l > 0) {
      w.v0 = b.vec(n("att.v0"), Cs);
      w.v_lora = bind_lora(b, n("att.v1"), n("att.v2"), C, C, Act::None);
      out.max_rank = std::max(out.max_rank, w.v_lora.rank());
    }
    w.rkv = b.stack({n("att.receptance.weight"), n("att.key.weight"), n("att.value.weight")}, C, C);
    w.output = b.matrix(n("att.output.weight"), C, C);
    w.ffn = bind_channel_mix(b, info, l);
    out.layers.push_back(std::move(w));
  }
  return out;
}

}  // namespace rwkv::arch::v7
