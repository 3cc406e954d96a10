// RWKV-6 ("Finch") on the CPU: data-dependent token shift and decay through low-rank
// products, all computed for the whole chunk as matrix products, then the RWKV-5 per-head
// recurrence with a per-token decay (REFERENCE.md, RWKV-6).
#include <algorithm>
#include <cmath>

#include "cpu/channel_mix.h"
#include "cpu/cpu_runner.h"
#include "cpu/lora.h"
#include "cpu/ops.h"
#include "cpu/wkv.h"
#include "rwkv/error.h"

namespace rwkv::cpu {

namespace {

constexpr int kMixes = 5;  // w, k, v, r, g: the order of time_maa_w1's blocks and time_maa_w2

struct V6Layer {
  std::vector<float> ln1_w, ln1_b, ln2_w, ln2_b, ln_x_w, ln_x_b;
  std::vector<float> maa_x, maa[kMixes];
  std::vector<float> decay /* time_decay, before exp(-exp()) */, bonus /* time_faaaa */;
  Matrix maa_w1;                 // [5D, C]: the five mixes' down projections, stacked
  std::vector<Matrix> maa_w2;    // 5 x [C, D]
  Lora decay_lora;               // tanh, [C] -> [C]
  Matrix key, value, receptance, gate, output;
};

class V6 final : public CpuRunner {
 public:
  V6(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) : CpuRunner(info, tensors, opts) {
    WeightBinder b(tensors);
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    for (int l = 0; l < info.n_layer; l++) {
      auto n = [&](const char* s) { return layer_name(l, s); };
      V6Layer w;
      w.ln1_w = b.vec(n("ln1.weight"), Cs);
      w.ln1_b = b.vec(n("ln1.bias"), Cs);
      w.ln2_w = b.vec(n("ln2.weight"), Cs);
      w.ln2_b = b.vec(n("ln2.bias"), Cs);
      w.ln_x_w = b.vec(n("att.ln_x.weight"), Cs);
      w.ln_x_b = b.vec(n("att.ln_x.bias"), Cs);
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
      maa_rank_ = D;
      w.maa_w1 = b.transposed(w1, kMixes * D, C);
      w.maa_w2 = b.transposed(n("att.time_maa_w2"), kMixes, C, D);
      w.decay_lora = Lora::bind(b, n("att.time_decay_w1"), n("att.time_decay_w2"), C, C, LoraAct::Tanh);
      decay_rank_ = std::max(decay_rank_, w.decay_lora.rank());

      w.key = b.matrix(n("att.key.weight"), C, C);
      w.value = b.matrix(n("att.value.weight"), C, C);
      w.receptance = b.matrix(n("att.receptance.weight"), C, C);
      w.gate = b.matrix(n("att.gate.weight"), C, C);
      w.output = b.matrix(n("att.output.weight"), C, C);
      if (l > 0 && w.maa_w1.rows != layers_[0].maa_w1.rows)
        throw Error("tensor '" + w1 + "': rank differs from layer 0's");
      layers_.push_back(std::move(w));
      ffn_.emplace_back(b, info, l);
    }
  }

 protected:
  size_t scratch_per_token() const override {
    const size_t C = size_t(info_.n_embd);
    // xx, dx, then the time mix's rows and low-rank intermediates, or the channel mix's scratch.
    const size_t att = 12 * C + size_t(kMixes * maa_rank_) + size_t(decay_rank_);
    return 2 * C + std::max(att, ChannelMix::scratch_per_token(info_));
  }

  void layers(State& st, float* x, int T, float* s) override {
    const int C = info_.n_embd, H = info_.n_head, N = info_.head_size, D = maa_rank_;
    const size_t TC = size_t(T) * size_t(C);
    float *xx = s, *dx = xx + TC, *tmp = dx + TC, *xm[kMixes], *r, *k, *v, *g, *decay, *y, *mid, *lora_mid;
    for (int j = 0; j < kMixes; j++) xm[j] = tmp + TC * size_t(1 + j);
    r = xm[kMixes - 1] + TC;
    k = r + TC;
    v = k + TC;
    g = v + TC;
    decay = g + TC;
    y = decay + TC;
    mid = y + TC;
    lora_mid = mid + size_t(T) * size_t(kMixes * D);
    float *xw = xm[0], *xk = xm[1], *xv = xm[2], *xr = xm[3], *xg = xm[4];

    for (int l = 0; l < info_.n_layer; l++) {
      const V6Layer& w = layers_[size_t(l)];
      float* S = st.layer(l).data();
      float *att_x = S, *ffn_x = S + C, *mat = S + 2 * C;

      // Time mixing: the data-dependent shift.
      layer_norm(x, xx, T, C, w.ln1_w.data(), w.ln1_b.data());
      shift_delta(xx, att_x, T, C, dx);
      lerp(xx, dx, w.maa_x.data(), T, C, tmp);
      matmul(pool_, w.maa_w1, tmp, T, mid);
      for (size_t i = 0; i < size_t(T) * size_t(kMixes * D); i++) mid[i] = std::tanh(mid[i]);
      for (int j = 0; j < kMixes; j++) {
        matmul(pool_, w.maa_w2[size_t(j)], mid + size_t(j) * size_t(D), size_t(kMixes * D), T, tmp, size_t(C));
        const float* m = w.maa[j].data();
        for (int t = 0; t < T; t++) {
          const size_t o = size_t(t) * size_t(C);
          for (int i = 0; i < C; i++) xm[j][o + i] = xx[o + i] + dx[o + i] * (m[i] + tmp[o + i]);
        }
      }

      matmul(pool_, w.receptance, xr, T, r);
      matmul(pool_, w.key, xk, T, k);
      matmul(pool_, w.value, xv, T, v);
      matmul(pool_, w.gate, xg, T, g);
      // The per-token decay.
      w.decay_lora.run(pool_, xw, T, lora_mid, decay);
      for (int t = 0; t < T; t++) {
        float* d = decay + size_t(t) * size_t(C);
        for (int i = 0; i < C; i++) d[i] = std::exp(-std::exp(w.decay[size_t(i)] + d[i]));
      }
      wkv5(pool_, T, H, N, r, k, v, decay, size_t(C), w.bonus.data(), mat, y);
      group_norm(y, y, T, C, H, w.ln_x_w.data(), w.ln_x_b.data(), info_.groupnorm_eps);
      for (size_t i = 0; i < TC; i++) y[i] *= silu(g[i]);
      matmul(pool_, w.output, y, T, r);
      for (size_t i = 0; i < TC; i++) x[i] += r[i];

      // Channel mixing.
      layer_norm(x, xx, T, C, w.ln2_w.data(), w.ln2_b.data());
      ffn_[size_t(l)].run(pool_, xx, ffn_x, T, x, dx);
    }
  }

 private:
  std::vector<V6Layer> layers_;
  std::vector<ChannelMix> ffn_;
  int maa_rank_ = 0, decay_rank_ = 0;
};

}  // namespace

std::unique_ptr<Runner> make_v6(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) {
  return std::make_unique<V6>(info, tensors, opts);
}

}  // namespace rwkv::cpu
