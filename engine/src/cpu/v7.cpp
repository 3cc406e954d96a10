// RWKV-7 ("Goose") on the CPU: token shift into six mixes, low-rank decay, in-context
// learning rate, value residual and gate, all as matrix products over the chunk, then the
// per-head delta-rule recurrence (wkv7) and the r·k bonus (docs/REFERENCE.md, RWKV-7).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "arch/v7.h"
#include "cpu/channel_mix.h"
#include "cpu/cpu_runner.h"
#include "cpu/lora.h"
#include "cpu/ops.h"
#include "cpu/wkv.h"

namespace rwkv::cpu {

namespace {

constexpr float kDecayScale = 0.6065306597f;  // e^-0.5: w = exp(-e^-0.5 σ(.)) lies in (0.545, 1)
constexpr float kNormEps = 1e-12f;            // for the L2 normalisation of kk

using namespace arch::v7;  // Mix
using Layer = arch::v7::Layer<Binder>;

class V7 final : public CpuRunner {
 public:
  V7(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) : CpuRunner(info, tensors, opts) {
    w_ = arch::v7::bind(binder_, info);
  }

 protected:
  size_t scratch_per_token() const override {
    const size_t C = size_t(info_.n_embd);
    // v_first, xx, then the time mix's rows and a low-rank intermediate, or the channel mix's.
    const size_t att = 16 * C + size_t(w_.max_rank);
    return 2 * C + std::max(att, channel_mix_scratch(info_));
  }

  void layers(std::span<State* const> states, float* x, int T, float* s) override {
    const int C = info_.n_embd, H = info_.n_head, N = info_.head_size, rows = int(states.size()) * T;
    const size_t TC = size_t(rows) * size_t(C);
    float* v_first = s;  // layer 0's v, mixed into every later layer's
    float* xx = v_first + TC;
    float* work = xx + TC;
    float *dx = work, *xm[kMixes];
    for (int j = 0; j < kMixes; j++) xm[j] = dx + TC * size_t(1 + j);
    float *r = xm[kMixes - 1] + TC, *w = r + TC, *k = w + TC, *v = k + TC, *a = v + TC, *g = a + TC,
          *kk = g + TC, *b = kk + TC, *y = b + TC, *mid = y + TC;

    for (int l = 0; l < info_.n_layer; l++) {
      const Layer& p = w_.layers[size_t(l)];
      // Each state's layer: att_x, ffn_x, the matrix state.
      const StatePart att_x{states, l, 0}, ffn_x{states, l, size_t(C)}, mat{states, l, 2 * size_t(C)};

      // Time mixing: the six shifted inputs and their projections.
      layer_norm(x, xx, rows, C, p.ln1.w.data(), p.ln1.b.data());
      shift_delta(xx, att_x, T, C, dx);
      for (int j = 0; j < kMixes; j++) lerp(xx, dx, p.mix[j].data(), rows, C, xm[j]);
      matmul(pool_, {{p.rkv[R], xm[R], r}, {p.rkv[K], xm[K], k}, {p.rkv[V], xm[V], v}}, rows);
      run_lora(pool_, p.w_lora, xm[W], rows, mid, w);
      run_lora(pool_, p.a_lora, xm[A], rows, mid, a);
      run_lora(pool_, p.g_lora, xm[G], rows, mid, g);
      if (l == 0) {
        std::memcpy(v_first, v, TC * sizeof(float));
      } else {
        float* vg = dx;  // dx is spent once the mixes exist
        run_lora(pool_, p.v_lora, xm[V], rows, mid, vg);
        for (int t = 0; t < rows; t++) {
          const size_t o = size_t(t) * size_t(C);
          for (int i = 0; i < C; i++)
            v[o + i] += (v_first[o + i] - v[o + i]) * sigmoid(p.v0[size_t(i)] + vg[o + i]);
        }
      }
      for (int t = 0; t < rows; t++) {
        const size_t o = size_t(t) * size_t(C);
        for (int i = 0; i < C; i++) {
          const size_t c = o + size_t(i);
          w[c] = std::exp(-kDecayScale * sigmoid(p.w0[size_t(i)] + w[c]));
          a[c] = sigmoid(p.a0[size_t(i)] + a[c]);
          kk[c] = k[c] * p.k_k[size_t(i)];
        }
      }
      l2_normalize_groups(kk, rows, C, N, kNormEps);
      for (int t = 0; t < rows; t++) {
        const size_t o = size_t(t) * size_t(C);
        for (int i = 0; i < C; i++) {
          const size_t c = o + size_t(i);
          k[c] *= 1.0f + (a[c] - 1.0f) * p.k_a[size_t(i)];
          b[c] = kk[c] * a[c];
          kk[c] = -kk[c];
        }
      }

      // The recurrence, its normalisation, the per-head r·k bonus and the gate.
      wkv7(pool_, T, H, N, r, w, k, v, kk, b, mat, y);
      group_norm(y, y, rows, C, H, p.ln_x.w.data(), p.ln_x.b.data(), info_.groupnorm_eps);
      for (int t = 0; t < rows; t++)
        for (int h = 0; h < H; h++) {
          const size_t o = size_t(t) * size_t(C) + size_t(h) * size_t(N);
          float bonus = 0;
          for (int i = 0; i < N; i++) bonus += r[o + i] * k[o + i] * p.r_k[size_t(h * N + i)];
          for (int i = 0; i < N; i++) y[o + i] = (y[o + i] + bonus * v[o + i]) * g[o + i];
        }
      matmul(pool_, p.output, y, rows, r);
      for (size_t i = 0; i < TC; i++) x[i] += r[i];

      channel_mix(pool_, p.ffn, x, xx, ffn_x, T, work);
    }
  }

 private:
  arch::v7::Weights<Binder> w_;
};

}  // namespace

std::unique_ptr<Runner> make_v7(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) {
  return std::make_unique<V7>(info, tensors, opts);
}

}  // namespace rwkv::cpu
