// RWKV-4 (the paper's architecture) on the CPU: projections as matrix products over the
// chunk, the wkv recurrence scanned over it channel by channel (docs/REFERENCE.md, RWKV-4).
#include <algorithm>
#include <cmath>

#include "arch/v4.h"
#include "cpu/channel_mix.h"
#include "cpu/cpu_runner.h"
#include "cpu/ops.h"

namespace rwkv::cpu {

namespace {

using arch::v4::K;
using arch::v4::R;
using arch::v4::V;
using Layer = arch::v4::Layer<Binder>;

class V4 final : public CpuRunner {
 public:
  V4(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) : CpuRunner(info, tensors, opts) {
    layers_ = arch::v4::bind(binder_, info, /*fp16_rescale=*/false);
  }

 protected:
  size_t scratch_per_token() const override {
    // xx, then the time mix's six rows or the channel mix's scratch.
    return size_t(info_.n_embd) + std::max(size_t(info_.n_embd) * 6, channel_mix_scratch(info_));
  }

  void layers(std::span<State* const> states, float* x, int T, float* s) override {
    const int C = info_.n_embd, B = int(states.size()), rows = B * T;
    const size_t RC = size_t(rows) * C;
    float *xx = s, *xk = xx + RC, *xv = xk + RC, *xr = xv + RC, *k = xr + RC, *v = k + RC,
          *r = v + RC;
    for (int l = 0; l < info_.n_layer; l++) {
      const Layer& w = layers_[size_t(l)];
      // Each state's layer: att_x, aa, bb, pp, ffn_x.
      const StatePart att_x{states, l, 0}, ffn_x{states, l, 4 * size_t(C)};

      // Time mixing.
      layer_norm(x, xx, rows, C, w.ln1.w.data(), w.ln1.b.data());
      {
        const float* mix[3] = {w.mix[K].data(), w.mix[V].data(), w.mix[R].data()};
        float* out[3] = {xk, xv, xr};
        shift_mix(xx, att_x, T, C, mix, out, 3);
      }
      matmul(pool_, {{w.rkv[K], xk, k}, {w.rkv[V], xv, v}, {w.rkv[R], xr, r}}, rows);
      for (int stream = 0; stream < B; stream++) {
        float* S = att_x.at(stream);
        float *aa = S + C, *bb = S + 2 * C, *pp = S + 3 * C;
        for (int c = 0; c < C; c++) {
          float a = aa[c], b = bb[c], p = pp[c];
          const float u = w.first[size_t(c)], dw = w.decay[size_t(c)];
          for (int t = 0; t < T; t++) {
            const size_t i = (size_t(stream) * size_t(T) + size_t(t)) * C + size_t(c);
            const float kt = k[i], vt = v[i];
            float ww = u + kt, q = std::max(p, ww);
            float e1 = std::exp(p - q), e2 = std::exp(ww - q);
            const float wkv = (e1 * a + e2 * vt) / (e1 * b + e2);
            ww = p + dw;
            q = std::max(ww, kt);
            e1 = std::exp(ww - q);
            e2 = std::exp(kt - q);
            a = e1 * a + e2 * vt;
            b = e1 * b + e2;
            p = q;
            r[i] = sigmoid(r[i]) * wkv;
          }
          aa[c] = a;
          bb[c] = b;
          pp[c] = p;
        }
      }
      matmul(pool_, w.output, r, rows, k);
      for (size_t i = 0; i < RC; i++) x[i] += k[i];

      channel_mix(pool_, w.ffn, x, xx, ffn_x, T, xk);
    }
  }

 private:
  std::vector<Layer> layers_;
};

}  // namespace

std::unique_ptr<Runner> make_v4(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) {
  return std::make_unique<V4>(info, tensors, opts);
}

}  // namespace rwkv::cpu
