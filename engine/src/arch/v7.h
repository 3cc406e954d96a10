// RWKV-7 ("Goose")'s layer schema (docs/REFERENCE.md, RWKV-7): six mixes, r/k/v projections,
// low-rank decay, in-context learning rate, value residual (absent in layer 0) and gate,
// the kk normalisation and r·k bonus vectors.
#pragma once
#include <algorithm>
#include <vector>

#include "arch/channel_mix.h"
#include "arch/layer_ops.h"
#include "arch/traits.h"
#include "arch/lora.h"
#include "arch/v5.h"

namespace rwkv::arch::v7 {

// The order of `mix`: r, k, v first, the stacked projection's inputs.
enum Mix { R, K, V, W, A, G, kMixes };

template <class B>
struct Layer : LayerBase<B> {
  Norm<B> ln_x;
  typename B::Vec mix[kMixes];  // att.x_r .. att.x_g
  typename B::Vec w0, a0, v0, k_k, k_a, r_k;
  Lora<B> w_lora, a_lora, v_lora, g_lora;  // v_lora (and v0) absent in layer 0
  typename B::Stack rkv;                   // receptance, key, value
};

template <class B>
struct Weights {
  std::vector<Layer<B>> layers;
  int max_rank = 0;  // of all the low-rank products
};

using v5::kAttX, v5::kFfnX, v5::kS;  // RWKV-5's state layout

// RWKV-7's recurrence (docs/REFERENCE.md), per head, S[i][j] with i the value and j the key
// channel:  sa = sum_j S[i][j] a[j];  S[i][j] = S[i][j] w[j] + v[i] k[j] + sa b[j];
// y[i] = sum_j S[i][j] r[j]  (the layer passes a = -kk and b = kk * a).
template <class O>
struct Wkv {
  typename O::F r{}, w{}, k{}, v{}, a{}, b{};

  // One token of one head on the host (as v5::Wkv::head).
  void head(int N, float* s, size_t at, size_t, float* y) const {
    const float *rt = r + at, *wt = w + at, *kt = k + at, *vt = v + at, *aa = a + at, *bt = b + at;
    for (int i = 0; i < N; i++) {
      float* si = s + size_t(i) * size_t(N);
      const float sa = dot(si, aa, N), vi = vt[i];
      for (int j = 0; j < N; j++) si[j] = si[j] * wt[j] + vi * kt[j] + sa * bt[j];
      y[i] = dot(si, rt, N);
    }
  }
};

// The per-token quantities before the recurrence, in place: v mixed with layer 0's v through
// the value residual (vg; layer 0 has none and keeps its v in v_first), the decay
// w = exp(-e^-0.5 sigmoid(w0 + w)), the rate a = sigmoid(a0 + a), kk = L2-normalised k * k_k
// per head, k *= 1 + (a - 1) k_a; then a := kk * a (the recurrence's b) and kk := -kk.
template <class O>
struct Prepare {
  typename O::F w{}, a{}, k{}, v{}, kk{}, vg{}, v_first{};
  const typename O::Binder::Vec *w0 = nullptr, *a0 = nullptr, *k_k = nullptr, *k_a = nullptr, *v0 = nullptr;
};

struct Version {
  // No receptance gate in the channel mix.
  static constexpr ArchTraits kTraits[] = {
      {Arch::V7, "rwkv7", {"att.r_k"}, {{"att.r_k", true}}, 2, true, -1, 0, /*ffn_delta=*/true, "ffn.x_k", nullptr,
       64e-5f, 64e-5f},
  };
  template <class B>
  static Weights<B> bind(B& b, const ModelInfo& info, bool /*fp16_rescale*/) {
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    const char* const mix_names[kMixes] = {"att.x_r", "att.x_k", "att.x_v", "att.x_w", "att.x_a", "att.x_g"};
    Weights<B> out;
    out.layers = bind_layers<Layer<B>>(b, info, [&](Layer<B>& w, int l, auto n) {
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
    });
    return out;
  }

  template <class O>
  struct Scratch {
    typename O::OpGroup mixed;  // in Mix order
    typename O::FGroup proj;    // r, k, v
    typename O::F mid;
    typename O::Op mid_op;
    typename O::F w, a, g, vg, kk, v_first, y;
    template <class A, class W>
    Scratch(A& al, const W& ws, const ModelInfo& info)
        : mixed(al.operands(kMixes, size_t(info.n_embd), "the time mix's inputs")),
          proj(al.floats(3, size_t(info.n_embd), "the time mix's projections")),
          mid(al.floats(size_t(ws.max_rank), "the low-rank products")),
          mid_op(al.operands(size_t(ws.max_rank), "the low-rank products")),
          w(al.floats(size_t(info.n_embd), "the decay")),
          a(al.floats(size_t(info.n_embd), "the in-context learning rate")),
          g(al.floats(size_t(info.n_embd), "the gate")),
          vg(al.floats(size_t(info.n_embd), "the value residual's mix")),
          kk(al.floats(size_t(info.n_embd), "the normalised key")),
          v_first(al.floats(size_t(info.n_embd), "layer 0's value")),
          y(al.floats(size_t(info.n_embd), "the recurrence's output")) {}
  };

  template <class O>
  static void layer(O& o, const Weights<typename O::Binder>& ws, int l, Scratch<O>& s) {
    const Layer<typename O::Binder>& p = ws.layers[size_t(l)];
    o.ln_shift(p.ln1, l, kAttX, /*delta=*/true, p.mix, kMixes, s.mixed);
    o.products(p.rkv, s.mixed, s.proj, 3);
    o.lora(p.w_lora, s.mixed[W], s.w, s.mid, s.mid_op);
    o.lora(p.a_lora, s.mixed[A], s.a, s.mid, s.mid_op);
    o.lora(p.g_lora, s.mixed[G], s.g, s.mid, s.mid_op);
    if (l > 0) o.lora(p.v_lora, s.mixed[V], s.vg, s.mid, s.mid_op);

    Prepare<O> q;
    q.w = s.w;
    q.a = s.a;
    q.k = s.proj[K];
    q.v = s.proj[V];
    q.kk = s.kk;
    q.vg = l > 0 ? s.vg : typename O::F{};
    q.v_first = s.v_first;
    q.w0 = &p.w0;
    q.a0 = &p.a0;
    q.k_k = &p.k_k;
    q.k_a = &p.k_a;
    q.v0 = &p.v0;
    o.v7_prepare(q);
    o.wkv(l, kS, Wkv<O>{s.proj[R], s.w, s.proj[K], s.proj[V], /*a=*/s.kk, /*b=*/s.a}, s.y);

    o.add_product(p.output, o.wkv_out({&p.ln_x, s.y, Gate::Plain, s.g, &p.r_k, s.proj[R], s.proj[K], s.proj[V]}));
    o.channel_mix(p.ffn, l, kFfnX);
  }
};

}  // namespace rwkv::arch::v7
