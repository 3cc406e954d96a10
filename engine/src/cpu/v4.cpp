// RWKV-4 (the paper's architecture) on the CPU: projections as matrix products over the
// chunk, the wkv recurrence scanned over it channel by channel (REFERENCE.md, RWKV-4).
#include <algorithm>
#include <cmath>

#include "cpu/channel_mix.h"
#include "cpu/cpu_runner.h"
#include "cpu/ops.h"

namespace rwkv::cpu {

namespace {

struct V4Layer {
  std::vector<float> ln1_w, ln1_b, ln2_w, ln2_b;
  std::vector<float> att_mk, att_mv, att_mr, decay /* -exp(time_decay) */, first;
  Matrix key, value, receptance, output;
};

class V4 final : public CpuRunner {
 public:
  V4(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) : CpuRunner(info, tensors, opts) {
    WeightBinder b(tensors);
    const int C = info.n_embd;
    for (int l = 0; l < info.n_layer; l++) {
      auto n = [&](const char* s) { return layer_name(l, s); };
      V4Layer w;
      w.ln1_w = b.vec(n("ln1.weight"), C);
      w.ln1_b = b.vec(n("ln1.bias"), C);
      w.ln2_w = b.vec(n("ln2.weight"), C);
      w.ln2_b = b.vec(n("ln2.bias"), C);
      w.att_mk = b.vec(n("att.time_mix_k"), C);
      w.att_mv = b.vec(n("att.time_mix_v"), C);
      w.att_mr = b.vec(n("att.time_mix_r"), C);
      w.decay = b.vec(n("att.time_decay"), C);
      for (float& d : w.decay) d = -std::exp(d);
      w.first = b.vec(n("att.time_first"), C);
      w.key = b.matrix(n("att.key.weight"), C, C);
      w.value = b.matrix(n("att.value.weight"), C, C);
      w.receptance = b.matrix(n("att.receptance.weight"), C, C);
      w.output = b.matrix(n("att.output.weight"), C, C);
      layers_.push_back(std::move(w));
      ffn_.emplace_back(b, info, l);
    }
  }

 protected:
  size_t scratch_per_token() const override {
    // xx, then the time mix's six rows or the channel mix's scratch.
    return size_t(info_.n_embd) + std::max(size_t(info_.n_embd) * 6, ChannelMix::scratch_per_token(info_));
  }

  void layers(State& st, float* x, int T, float* s) override {
    const int C = info_.n_embd;
    const size_t TC = size_t(T) * C;
    float *xx = s, *xk = xx + TC, *xv = xk + TC, *xr = xv + TC, *k = xr + TC, *v = k + TC,
          *r = v + TC;
    for (int l = 0; l < info_.n_layer; l++) {
      const V4Layer& w = layers_[size_t(l)];
      float* S = st.layer(l).data();
      float *att_x = S, *aa = S + C, *bb = S + 2 * C, *pp = S + 3 * C, *ffn_x = S + 4 * C;

      // Time mixing.
      layer_norm(x, xx, T, C, w.ln1_w.data(), w.ln1_b.data());
      {
        const float* mix[3] = {w.att_mk.data(), w.att_mv.data(), w.att_mr.data()};
        float* out[3] = {xk, xv, xr};
        shift_mix(xx, att_x, T, C, mix, out, 3);
      }
      matmul(pool_, w.key, xk, T, k);
      matmul(pool_, w.value, xv, T, v);
      matmul(pool_, w.receptance, xr, T, r);
      for (int c = 0; c < C; c++) {
        float a = aa[c], b = bb[c], p = pp[c];
        const float u = w.first[size_t(c)], dw = w.decay[size_t(c)];
        for (int t = 0; t < T; t++) {
          const size_t i = size_t(t) * C + size_t(c);
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
      matmul(pool_, w.output, r, T, k);
      for (size_t i = 0; i < TC; i++) x[i] += k[i];

      // Channel mixing.
      layer_norm(x, xx, T, C, w.ln2_w.data(), w.ln2_b.data());
      ffn_[size_t(l)].run(pool_, xx, ffn_x, T, x, xk);
    }
  }

 private:
  std::vector<V4Layer> layers_;
  std::vector<ChannelMix> ffn_;
};

}  // namespace

std::unique_ptr<Runner> make_v4(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) {
  return std::make_unique<V4>(info, tensors, opts);
}

}  // namespace rwkv::cpu
