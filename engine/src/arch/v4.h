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
#include "arch/layer_ops.h"
#include "arch/traits.h"

namespace rwkv::arch::v4 {

constexpr int kRescaleEvery = 6;

enum Mix { R, K, V, kMixes };  // the order of `mix` and of the stacked projection

template <class B>
struct Layer : LayerBase<B> {
  typename B::Vec mix[kMixes];
  typename B::Vec decay;  // -exp(time_decay)
  typename B::Vec first;  // time_first
  typename B::Stack rkv;  // receptance, key, value
};

template <class B>
struct Weights {
  std::vector<Layer<B>> layers;
};

// A layer's state: att_x, then aa, bb, pp (the wkv's numerator, denominator and exponent),
// then ffn_x, C floats each.
enum StateAt { kAttX = 0, kAA = 1, kFfnX = 4 };

struct Version {
  static constexpr ArchTraits kTraits[] = {
      {Arch::V4, "rwkv4", {}, {}, /*vectors=*/5, /*matrix_state=*/false, /*pp=*/3, -1e30f,
       /*ffn_delta=*/false, "ffn.time_mix_k", "ffn.time_mix_r", 64e-5f, 64e-5f},
  };
  template <class B>
  static Weights<B> bind(B& b, const ModelInfo& info, bool fp16_rescale) {
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    Weights<B> out;
    out.layers = bind_layers<Layer<B>>(b, info, [&](Layer<B>& w, int /*l*/, auto n) {
      w.mix[R] = b.vec(n("att.time_mix_r"), Cs);
      w.mix[K] = b.vec(n("att.time_mix_k"), Cs);
      w.mix[V] = b.vec(n("att.time_mix_v"), Cs);
      std::vector<float> decay = b.host_vec(n("att.time_decay"), Cs);
      for (float& d : decay) d = -std::exp(d);
      w.decay = b.vec(std::move(decay), "tensor '" + n("att.time_decay") + "'");
      w.first = b.vec(n("att.time_first"), Cs);
      w.rkv = b.stack({n("att.receptance.weight"), n("att.key.weight"), n("att.value.weight")}, C, C);
    }, fp16_rescale ? kRescaleEvery : 0);
    return out;
  }

  template <class O>
  struct Scratch {
    typename O::OpGroup mixed;  // r, k, v inputs
    typename O::FGroup proj;    // r, k, v
    typename O::Op y;
    template <class A, class W>
    Scratch(A& a, const W&, const ModelInfo& info)
        : mixed(a.operands(kMixes, size_t(info.n_embd), "the time mix's inputs")),
          proj(a.floats(kMixes, size_t(info.n_embd), "the time mix's projections")),
          y(a.operands(size_t(info.n_embd), "the time mix's output")) {}
  };

  template <class O>
  static void layer(O& o, const Weights<typename O::Binder>& ws, int l, Scratch<O>& s) {
    const Layer<typename O::Binder>& w = ws.layers[size_t(l)];
    o.ln_shift(w.ln1, l, kAttX, /*delta=*/false, w.mix, kMixes, s.mixed);
    o.products(w.rkv, s.mixed, s.proj, kMixes);
    o.wkv4(l, kAA, s.proj[R], s.proj[K], s.proj[V], w.decay, w.first, s.y);
    o.add_product(w.output, s.y);
    o.channel_mix(w.ffn, l, kFfnX);
    if (o.rescaled() && (l + 1) % kRescaleEvery == 0) o.scale_residual(0.5f);
  }
};

}  // namespace rwkv::arch::v4
