// RWKV-5 ("Eagle") on the CPU: 5.1 (no gate; one decay and one bonus per head) and 5.2
// (gated; per-channel decay and bonus). Projections are matrix products over the chunk, the
// per-head matrix state is scanned by wkv5 (REFERENCE.md, RWKV-5.2).
#include <algorithm>
#include <cmath>
#include <functional>

#include "cpu/channel_mix.h"
#include "cpu/cpu_runner.h"
#include "cpu/ops.h"
#include "cpu/wkv.h"
#include "rwkv/error.h"

namespace rwkv::cpu {

namespace {

struct V5Layer {
  std::vector<float> ln1_w, ln1_b, ln2_w, ln2_b, ln_x_w, ln_x_b;
  std::vector<float> mk, mv, mr, mg;
  std::vector<float> decay /* exp(-exp(time_decay)) */, bonus /* u */;
  bool gated = false;
  Matrix key, value, receptance, gate, output;
};

// A per-channel vector from a tensor of C values or of one value per head (5.0/5.1),
// with f applied in double precision.
std::vector<float> per_channel(WeightBinder& b, const std::string& name, const ModelInfo& info,
                               const std::function<double(double)>& f) {
  const size_t C = size_t(info.n_embd), H = size_t(info.n_head), N = size_t(info.head_size);
  const auto& shape = b.shape(name);
  size_t n = 1;
  for (int64_t d : shape) n *= size_t(d);
  if (n != C && n != H)
    throw Error("tensor '" + name + "' has " + std::to_string(n) + " values, expected " +
                std::to_string(C) + " (per channel) or " + std::to_string(H) + " (per head)");
  const std::vector<float> raw = b.vec(name, n);
  std::vector<float> out(C);
  for (size_t c = 0; c < C; c++) out[c] = float(f(double(raw[n == C ? c : c / N])));
  return out;
}

class V5 final : public CpuRunner {
 public:
  V5(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) : CpuRunner(info, tensors, opts) {
    WeightBinder b(tensors);
    const int C = info.n_embd;
    for (int l = 0; l < info.n_layer; l++) {
      auto n = [&](const char* s) { return layer_name(l, s); };
      V5Layer w;
      w.ln1_w = b.vec(n("ln1.weight"), size_t(C));
      w.ln1_b = b.vec(n("ln1.bias"), size_t(C));
      w.ln2_w = b.vec(n("ln2.weight"), size_t(C));
      w.ln2_b = b.vec(n("ln2.bias"), size_t(C));
      w.ln_x_w = b.vec(n("att.ln_x.weight"), size_t(C));
      w.ln_x_b = b.vec(n("att.ln_x.bias"), size_t(C));
      w.mk = b.vec(n("att.time_mix_k"), size_t(C));
      w.mv = b.vec(n("att.time_mix_v"), size_t(C));
      w.mr = b.vec(n("att.time_mix_r"), size_t(C));
      w.decay = per_channel(b, n("att.time_decay"), info, [](double d) { return std::exp(-std::exp(d)); });
      // 5.2 stores the bonus itself (time_faaaa); 5.0/5.1 store its log (time_first).
      if (b.has(n("att.time_faaaa")))
        w.bonus = per_channel(b, n("att.time_faaaa"), info, [](double u) { return u; });
      else
        w.bonus = per_channel(b, n("att.time_first"), info, [](double f) { return std::exp(f); });
      w.key = b.matrix(n("att.key.weight"), C, C);
      w.value = b.matrix(n("att.value.weight"), C, C);
      w.receptance = b.matrix(n("att.receptance.weight"), C, C);
      w.output = b.matrix(n("att.output.weight"), C, C);
      w.gated = b.has(n("att.gate.weight"));
      if (w.gated) {
        w.mg = b.vec(n("att.time_mix_g"), size_t(C));
        w.gate = b.matrix(n("att.gate.weight"), C, C);
      }
      layers_.push_back(std::move(w));
      ffn_.emplace_back(b, info, l);
    }
  }

 protected:
  size_t scratch_per_token() const override {
    // xx, then the time mix's nine rows or the channel mix's scratch.
    return size_t(info_.n_embd) + std::max(size_t(info_.n_embd) * 9, ChannelMix::scratch_per_token(info_));
  }

  void layers(State& st, float* x, int T, float* s) override {
    const int C = info_.n_embd, H = info_.n_head, N = info_.head_size;
    const size_t TC = size_t(T) * size_t(C);
    float *xx = s, *xk = xx + TC, *xv = xk + TC, *xr = xv + TC, *xg = xr + TC, *r = xg + TC, *k = r + TC,
          *v = k + TC, *g = v + TC, *y = g + TC;
    for (int l = 0; l < info_.n_layer; l++) {
      const V5Layer& w = layers_[size_t(l)];
      float* S = st.layer(l).data();
      float *att_x = S, *ffn_x = S + C, *mat = S + 2 * C;

      // Time mixing.
      layer_norm(x, xx, T, C, w.ln1_w.data(), w.ln1_b.data());
      {
        const float* mix[4] = {w.mk.data(), w.mv.data(), w.mr.data(), w.mg.data()};
        float* out[4] = {xk, xv, xr, xg};
        shift_mix(xx, att_x, T, C, mix, out, w.gated ? 4 : 3);
      }
      matmul(pool_, w.receptance, xr, T, r);
      matmul(pool_, w.key, xk, T, k);
      matmul(pool_, w.value, xv, T, v);
      wkv5(pool_, T, H, N, r, k, v, w.decay.data(), 0, w.bonus.data(), mat, y);
      group_norm(y, y, T, C, H, w.ln_x_w.data(), w.ln_x_b.data(), info_.groupnorm_eps);
      if (w.gated) {
        matmul(pool_, w.gate, xg, T, g);
        for (size_t i = 0; i < TC; i++) y[i] *= silu(g[i]);
      }
      matmul(pool_, w.output, y, T, r);
      for (size_t i = 0; i < TC; i++) x[i] += r[i];

      // Channel mixing.
      layer_norm(x, xx, T, C, w.ln2_w.data(), w.ln2_b.data());
      ffn_[size_t(l)].run(pool_, xx, ffn_x, T, x, xk);
    }
  }

 private:
  std::vector<V5Layer> layers_;
  std::vector<ChannelMix> ffn_;
};

}  // namespace

std::unique_ptr<Runner> make_v5(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) {
  return std::make_unique<V5>(info, tensors, opts);
}

}  // namespace rwkv::cpu
