// RWKV-6's layer schema (docs/REFERENCE.md, RWKV-6): the data-dependent token shift (maa_x, a
// low-rank product stacked for the five mixes, the five mix vectors), the per-token decay
// through its own low-rank product, r/k/v/g projections, bonus time_faaaa.
#pragma once
#include <algorithm>
#include <vector>

#include "arch/channel_mix.h"
#include "arch/lora.h"

namespace rwkv::arch::v6 {

// The order of time_maa_w1's blocks and time_maa_w2's matrices.
enum Mix { W, K, V, R, G, kMixes };
// The stacked projection: the mixes after w, in their order.
enum Proj { PK, PV, PR, PG, kProj };

template <class B>
struct Layer {
  Norm<B> ln1, ln_x;
  typename B::Vec maa_x, maa[kMixes];
  typename B::Vec decay;  // time_decay, before exp(-exp())
  typename B::Vec bonus;  // time_faaaa
  typename B::Mat maa_w1;    // [5D, C]: the five mixes' down projections, stacked
  typename B::Stack maa_w2;  // 5 x [C, D]
  Lora<B> decay_lora;        // tanh, [C] -> [C]
  typename B::Stack kvrg;    // key, value, receptance, gate
  typename B::Mat output;
  ChannelMix<B> ffn;
};

template <class B>
struct Weights {
  std::vector<Layer<B>> layers;
  int maa_rank = 0;    // D, the same in every layer
  int decay_rank = 0;  // the largest
};

template <class B>
Weights<B> bind(B& b, const ModelInfo& info) {
  const int C = info.n_embd;
  const size_t Cs = size_t(C);
  Weights<B> out;
  for (int l = 0; l < info.n_layer; l++) {
    auto n = [&](const char* s) { return layer_name(l, s); };
    Layer<B> w;
    w.ln1 = bind_norm(b, n("ln1"), Cs);
    w.ln_x = bind_norm(b, n("att.ln_x"), Cs);
    w.maa_x = b.vec(n("att.time_maa_x"), Cs);
    const char* mixes[kMixes] = {"att.time_maa_w", "att.time_maa_k", "att.time_maa_v", "att.time_maa_r",
                                 "att.time_maa_g"};
    for (int j = 0; j < kMixes; j++) w.maa[j] = b.vec(n(mixes[j]), Cs);
    w.decay = b.vec(n("att.time_decay"), Cs);
    w.bonus = b.vec(n("att.time_faaaa"), Cs);

    const std::string w1 = n("att.time_maa_w1");
    const auto& s1 = b.shape(w1);
    if (s1.size() != 2 || s1[0] != C || s1[1] <= 0 || s1[1] % kMixes != 0)
      throw Error("tensor '" + w1 + "' is not [" + std::to_string(C) + ", 5 * rank]");
    const int D = int(s1[1] / kMixes);
    if (l > 0 && D != out.maa_rank) throw Error("tensor '" + w1 + "': rank differs from layer 0's");
    out.maa_rank = D;
    w.maa_w1 = b.transposed(w1, kMixes * D, C);
    w.maa_w2 = b.transposed(n("att.time_maa_w2"), kMixes, C, D);
    w.decay_lora = bind_lora(b, n("att.time_decay_w1"), n("att.time_decay_w2"), C, C, Act::Tanh);
    out.decay_rank = std::max(out.decay_rank, w.decay_lora.rank());
    w.kvrg = b.stack({n("att.key.weight"), n("att.value.weight"), n("att.receptance.weight"), n("att.gate.weight")},
                     C, C);
    w.output = b.matrix(n("att.output.weight"), C, C);
    w.ffn = bind_channel_mix(b, info, l);
    out.layers.push_back(std::move(w));
  }
  return out;
}

}  // namespace rwkv::arch::v6
