// RWKV-6's layer schema (docs/REFERENCE.md, RWKV-6): the data-dependent token shift (maa_x, a
// low-rank product stacked for the five mixes, the five mix vectors), the per-token decay
// through its own low-rank product, r/k/v/g projections, bonus time_faaaa.
#pragma once
#include <algorithm>
#include <vector>

#include "arch/channel_mix.h"
#include "arch/layer_ops.h"
#include "arch/traits.h"
#include "arch/lora.h"
#include "arch/v5.h"

namespace rwkv::arch::v6 {

// The order of time_maa_w1's blocks and time_maa_w2's matrices.
enum Mix { W, K, V, R, G, kMixes };
// The stacked projection: the mixes after w, in their order.
enum Proj { PK, PV, PR, PG, kProj };

template <class B>
struct Layer : LayerBase<B> {
  Norm<B> ln_x;
  typename B::Vec maa_x, maa[kMixes];
  typename B::Vec decay;  // time_decay, before exp(-exp())
  typename B::Vec bonus;  // time_faaaa
  typename B::Mat maa_w1;    // [5D, C]: the five mixes' down projections, stacked
  typename B::Stack maa_w2;  // 5 x [C, D]
  Lora<B> decay_lora;        // tanh, [C] -> [C]
  typename B::Stack kvrg;    // key, value, receptance, gate
};

template <class B>
struct Weights {
  std::vector<Layer<B>> layers;
  int maa_rank = 0;    // D, the same in every layer
  int decay_rank = 0;  // the largest
};

using v5::kAttX, v5::kFfnX, v5::kS;  // RWKV-5's state layout

struct Version {
  static constexpr ArchTraits kTraits[] = {
      {Arch::V6, "rwkv6", {"att.time_maa_x"}, {{"att.time_faaaa", true}}, 2, true, -1, 0, /*ffn_delta=*/true,
       "ffn.time_maa_k", "ffn.time_maa_r", 64e-5f, 64e-5f},
  };
  template <class B>
  static Weights<B> bind(B& b, const ModelInfo& info, bool /*fp16_rescale*/) {
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    Weights<B> out;
    out.layers = bind_layers<Layer<B>>(b, info, [&](Layer<B>& w, int l, auto n) {
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
    });
    return out;
  }

  template <class O>
  struct Scratch {
    typename O::Op xxx;         // the shifted input
    typename O::F xx, dx;       // the normalised input and its shift
    typename O::F mid;          // the low-rank products
    typename O::Op mid_op;
    typename O::FGroup m;       // the data-dependent mixes
    typename O::OpGroup mixed;  // w, k, v, r, g inputs
    typename O::FGroup proj;    // k, v, r, g
    typename O::F decay, y;
    template <class A, class W>
    Scratch(A& a, const W& w, const ModelInfo& info)
        : xxx(a.operands(size_t(info.n_embd), "the time mix's shifted input")),
          xx(a.floats(size_t(info.n_embd), "the time mix's normalised input")),
          dx(a.floats(size_t(info.n_embd), "the time mix's shift")),
          mid(a.floats(size_t(std::max(kMixes * w.maa_rank, w.decay_rank)), "the low-rank products")),
          mid_op(a.operands(size_t(std::max(kMixes * w.maa_rank, w.decay_rank)), "the low-rank products")),
          m(a.floats(kMixes, size_t(info.n_embd), "the data-dependent mixes")),
          mixed(a.operands(kMixes, size_t(info.n_embd), "the time mix's inputs")),
          proj(a.floats(kProj, size_t(info.n_embd), "the time mix's projections")),
          decay(a.floats(size_t(info.n_embd), "the per-token decay")),
          y(a.floats(size_t(info.n_embd), "the recurrence's output")) {}
  };

  template <class O>
  static void layer(O& o, const Weights<typename O::Binder>& ws, int l, Scratch<O>& s) {
    const Layer<typename O::Binder>& w = ws.layers[size_t(l)];
    // xxx = xx + dx * maa_x; then x_j = xx + dx * (maa_j + tanh(xxx maa_w1)_j maa_w2[j]).
    o.ln_shift(w.ln1, l, kAttX, /*delta=*/true, &w.maa_x, 1, {s.xxx, 0}, s.xx, s.dx);
    o.v6_mix(w.maa_w1, w.maa_w2, w.maa, s.xxx, s.xx, s.dx, s.mid, s.mid_op, s.m, s.mixed);
    static_assert(W == 0 && K == 1 && PK == 0, "kvrg reads the mixes after w");
    o.products(w.kvrg, s.mixed.from(K), s.proj, kProj);
    o.lora(w.decay_lora, s.mixed[W], s.decay, s.mid, s.mid_op);
    o.wkv(l, kS, v5::Wkv<O>{s.proj[PR], s.proj[PK], s.proj[PV], s.decay, &w.decay, &w.bonus}, s.y);
    o.add_product(w.output, o.wkv_out({&w.ln_x, s.y, Gate::Silu, s.proj[PG]}));
    o.channel_mix(w.ffn, l, kFfnX);
  }
};

}  // namespace rwkv::arch::v6
