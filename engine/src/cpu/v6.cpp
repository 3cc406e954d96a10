// RWKV-6 ("Finch") on the CPU: data-dependent token shift and decay through low-rank
// products, all computed for the whole chunk as matrix products, then the RWKV-5 per-head
// recurrence with a per-token decay (docs/REFERENCE.md, RWKV-6).
#include <algorithm>
#include <cmath>

#include "arch/v6.h"
#include "cpu/channel_mix.h"
#include "cpu/cpu_runner.h"
#include "cpu/lora.h"
#include "cpu/ops.h"
#include "cpu/wkv.h"

namespace rwkv::cpu {

namespace {

using namespace arch::v6;  // Mix, Proj
using Layer = arch::v6::Layer<Binder>;

class V6 final : public CpuRunner {
 public:
  V6(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) : CpuRunner(info, tensors, opts) {
    w_ = arch::v6::bind(binder_, info);
  }

 protected:
  size_t scratch_per_token() const override {
    const size_t C = size_t(info_.n_embd);
    // xx, dx, then the time mix's rows and low-rank intermediates, or the channel mix's scratch.
    const size_t att = 12 * C + size_t(kMixes * w_.maa_rank) + size_t(w_.decay_rank);
    return 2 * C + std::max(att, channel_mix_scratch(info_));
  }

  void layers(std::span<State* const> states, float* x, int T, float* s) override {
    const int C = info_.n_embd, H = info_.n_head, N = info_.head_size, D = w_.maa_rank;
    const int rows = int(states.size()) * T;
    const size_t TC = size_t(rows) * size_t(C);
    float *xx = s, *dx = xx + TC, *tmp = dx + TC, *xm[kMixes], *r, *k, *v, *g, *decay, *y, *mid, *lora_mid;
    for (int j = 0; j < kMixes; j++) xm[j] = tmp + TC * size_t(1 + j);
    r = xm[kMixes - 1] + TC;
    k = r + TC;
    v = k + TC;
    g = v + TC;
    decay = g + TC;
    y = decay + TC;
    mid = y + TC;
    lora_mid = mid + size_t(rows) * size_t(kMixes * D);
    float *xw = xm[0], *xk = xm[1], *xv = xm[2], *xr = xm[3], *xg = xm[4];

    for (int l = 0; l < info_.n_layer; l++) {
      const Layer& w = w_.layers[size_t(l)];
      // Each state's layer: att_x, ffn_x, the matrix state.
      const StatePart att_x{states, l, 0}, ffn_x{states, l, size_t(C)}, mat{states, l, 2 * size_t(C)};

      // Time mixing: the data-dependent shift.
      layer_norm(x, xx, rows, C, w.ln1.w.data(), w.ln1.b.data());
      shift_delta(xx, att_x, T, C, dx);
      lerp(xx, dx, w.maa_x.data(), rows, C, tmp);
      matmul(pool_, w.maa_w1, tmp, rows, mid);
      for (size_t i = 0; i < size_t(rows) * size_t(kMixes * D); i++) mid[i] = std::tanh(mid[i]);
      for (int j = 0; j < kMixes; j++) {
        matmul(pool_, w.maa_w2[size_t(j)], mid + size_t(j) * size_t(D), size_t(kMixes * D), rows, tmp, size_t(C));
        const float* m = w.maa[j].data();
        for (int t = 0; t < rows; t++) {
          const size_t o = size_t(t) * size_t(C);
          for (int i = 0; i < C; i++) xm[j][o + i] = xx[o + i] + dx[o + i] * (m[i] + tmp[o + i]);
        }
      }

      matmul(pool_, {{w.kvrg[PR], xr, r}, {w.kvrg[PK], xk, k}, {w.kvrg[PV], xv, v}, {w.kvrg[PG], xg, g}}, rows);
      // The per-token decay.
      run_lora(pool_, w.decay_lora, xw, rows, lora_mid, decay);
      for (int t = 0; t < rows; t++) {
        float* d = decay + size_t(t) * size_t(C);
        for (int i = 0; i < C; i++) d[i] = std::exp(-std::exp(w.decay[size_t(i)] + d[i]));
      }
      wkv5(pool_, T, H, N, r, k, v, decay, size_t(C), w.bonus.data(), mat, y);
      group_norm(y, y, rows, C, H, w.ln_x.w.data(), w.ln_x.b.data(), info_.groupnorm_eps);
      for (size_t i = 0; i < TC; i++) y[i] *= silu(g[i]);
      matmul(pool_, w.output, y, rows, r);
      for (size_t i = 0; i < TC; i++) x[i] += r[i];

      channel_mix(pool_, w.ffn, x, xx, ffn_x, T, dx);
    }
  }

 private:
  arch::v6::Weights<Binder> w_;
};

}  // namespace

std::unique_ptr<Runner> make_v6(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) {
  return std::make_unique<V6>(info, tensors, opts);
}

}  // namespace rwkv::cpu
