// RWKV-5 ("Eagle") on the CPU: 5.1 (no gate; one decay and one bonus per head) and 5.2
// (gated; per-channel decay and bonus). Projections are matrix products over the chunk, the
// per-head matrix state is scanned by wkv5 (docs/REFERENCE.md, RWKV-5.2).
#include <algorithm>

#include "arch/v5.h"
#include "cpu/channel_mix.h"
#include "cpu/cpu_runner.h"
#include "cpu/ops.h"
#include "cpu/wkv.h"

namespace rwkv::cpu {

namespace {

using namespace arch::v5;  // Mix
using Layer = arch::v5::Layer<Binder>;

class V5 final : public CpuRunner {
 public:
  V5(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) : CpuRunner(info, tensors, opts) {
    layers_ = arch::v5::bind(binder_, info);
  }

 protected:
  size_t scratch_per_token() const override {
    // xx, then the time mix's nine rows or the channel mix's scratch.
    return size_t(info_.n_embd) + std::max(size_t(info_.n_embd) * 9, channel_mix_scratch(info_));
  }

  void layers(std::span<State* const> states, float* x, int T, float* s) override {
    const int C = info_.n_embd, H = info_.n_head, N = info_.head_size, rows = int(states.size()) * T;
    const size_t TC = size_t(rows) * size_t(C);
    float *xx = s, *xk = xx + TC, *xv = xk + TC, *xr = xv + TC, *xg = xr + TC, *r = xg + TC, *k = r + TC,
          *v = k + TC, *g = v + TC, *y = g + TC;
    for (int l = 0; l < info_.n_layer; l++) {
      const Layer& w = layers_[size_t(l)];
      // Each state's layer: att_x, ffn_x, the matrix state.
      const StatePart att_x{states, l, 0}, ffn_x{states, l, size_t(C)}, mat{states, l, 2 * size_t(C)};

      // Time mixing.
      layer_norm(x, xx, rows, C, w.ln1.w.data(), w.ln1.b.data());
      {
        const float* mix[kMixes] = {w.mix[R].data(), w.mix[K].data(), w.mix[V].data(), w.mix[G].data()};
        float* out[kMixes] = {xr, xk, xv, xg};
        shift_mix(xx, att_x, T, C, mix, out, w.gated ? 4 : 3);
      }
      if (w.gated)
        matmul(pool_, {{w.rkvg[R], xr, r}, {w.rkvg[K], xk, k}, {w.rkvg[V], xv, v}, {w.rkvg[G], xg, g}}, rows);
      else
        matmul(pool_, {{w.rkvg[R], xr, r}, {w.rkvg[K], xk, k}, {w.rkvg[V], xv, v}}, rows);
      wkv5(pool_, T, H, N, r, k, v, w.decay.data(), 0, w.bonus.data(), mat, y);
      group_norm(y, y, rows, C, H, w.ln_x.w.data(), w.ln_x.b.data(), info_.groupnorm_eps);
      if (w.gated)
        for (size_t i = 0; i < TC; i++) y[i] *= silu(g[i]);
      matmul(pool_, w.output, y, rows, r);
      for (size_t i = 0; i < TC; i++) x[i] += r[i];

      channel_mix(pool_, w.ffn, x, xx, ffn_x, T, xk);
    }
  }

 private:
  std::vector<Layer> layers_;
};

}  // namespace

std::unique_ptr<Runner> make_v5(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) {
  return std::make_unique<V5>(info, tensors, opts);
}

}  // namespace rwkv::cpu
