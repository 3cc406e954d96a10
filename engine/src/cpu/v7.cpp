// RWKV-7 ("Goose") on the CPU: token shift into six mixes, low-rank decay, in-context
// learning rate, value residual and gate, all as matrix products over the chunk, then the
// per-head delta-rule recurrence (wkv7) and the r·k bonus (REFERENCE.md, RWKV-7).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/channel_mix.h"
#include "cpu/cpu_runner.h"
#include "cpu/lora.h"
#include "cpu/ops.h"
#include "cpu/wkv.h"

namespace rwkv::cpu {

namespace {

constexpr float kDecayScale = 0.6065306597f;  // e^-0.5: w = exp(-e^-0.5 σ(.)) lies in (0.545, 1)
constexpr float kNormEps = 1e-12f;            // for the L2 normalisation of kk

enum Mix { R, W, K, V, A, G, kMixes };

struct V7Layer {
  std::vector<float> ln1_w, ln1_b, ln2_w, ln2_b, ln_x_w, ln_x_b;
  std::vector<float> mix[kMixes];   // att.x_r .. att.x_g
  std::vector<float> w0, a0, v0, k_k, k_a, r_k;
  Lora w_lora, a_lora, v_lora, g_lora;  // v_lora (and v0) absent in layer 0
  Matrix key, value, receptance, output;
};

class V7 final : public CpuRunner {
 public:
  V7(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) : CpuRunner(info, tensors, opts) {
    WeightBinder b(tensors);
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    for (int l = 0; l < info.n_layer; l++) {
      auto n = [&](const char* s) { return layer_name(l, s); };
      V7Layer w;
      w.ln1_w = b.vec(n("ln1.weight"), Cs);
      w.ln1_b = b.vec(n("ln1.bias"), Cs);
      w.ln2_w = b.vec(n("ln2.weight"), Cs);
      w.ln2_b = b.vec(n("ln2.bias"), Cs);
      w.ln_x_w = b.vec(n("att.ln_x.weight"), Cs);
      w.ln_x_b = b.vec(n("att.ln_x.bias"), Cs);
      const char* mixes[kMixes] = {"att.x_r", "att.x_w", "att.x_k", "att.x_v", "att.x_a", "att.x_g"};
      for (int j = 0; j < kMixes; j++) w.mix[j] = b.vec(n(mixes[j]), Cs);
      w.w0 = b.vec(n("att.w0"), Cs);
      w.a0 = b.vec(n("att.a0"), Cs);
      w.k_k = b.vec(n("att.k_k"), Cs);
      w.k_a = b.vec(n("att.k_a"), Cs);
      w.r_k = b.vec(n("att.r_k"), Cs);
      w.w_lora = Lora::bind(b, n("att.w1"), n("att.w2"), C, C, LoraAct::Tanh);
      w.a_lora = Lora::bind(b, n("att.a1"), n("att.a2"), C, C, LoraAct::None);
      w.g_lora = Lora::bind(b, n("att.g1"), n("att.g2"), C, C, LoraAct::Sigmoid);
      int rank = std::max({w.w_lora.rank(), w.a_lora.rank(), w.g_lora.rank()});
      if (l > 0) {
        w.v0 = b.vec(n("att.v0"), Cs);
        w.v_lora = Lora::bind(b, n("att.v1"), n("att.v2"), C, C, LoraAct::None);
        rank = std::max(rank, w.v_lora.rank());
      }
      max_rank_ = std::max(max_rank_, rank);
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
    const size_t C = size_t(info_.n_embd);
    // v_first, xx, then the time mix's rows and a low-rank intermediate, or the channel mix's.
    const size_t att = 16 * C + size_t(max_rank_);
    return 2 * C + std::max(att, ChannelMix::scratch_per_token(info_));
  }

  void layers(State& st, float* x, int T, float* s) override {
    const int C = info_.n_embd, H = info_.n_head, N = info_.head_size;
    const size_t TC = size_t(T) * size_t(C);
    float* v_first = s;  // layer 0's v, mixed into every later layer's
    float* xx = v_first + TC;
    float* work = xx + TC;
    float *dx = work, *xm[kMixes];
    for (int j = 0; j < kMixes; j++) xm[j] = dx + TC * size_t(1 + j);
    float *r = xm[kMixes - 1] + TC, *w = r + TC, *k = w + TC, *v = k + TC, *a = v + TC, *g = a + TC,
          *kk = g + TC, *b = kk + TC, *y = b + TC, *mid = y + TC;

    for (int l = 0; l < info_.n_layer; l++) {
      const V7Layer& p = layers_[size_t(l)];
      float* S = st.layer(l).data();
      float *att_x = S, *ffn_x = S + C, *mat = S + 2 * C;

      // Time mixing: the six shifted inputs and their projections.
      layer_norm(x, xx, T, C, p.ln1_w.data(), p.ln1_b.data());
      shift_delta(xx, att_x, T, C, dx);
      for (int j = 0; j < kMixes; j++) lerp(xx, dx, p.mix[j].data(), T, C, xm[j]);
      matmul(pool_, p.receptance, xm[R], T, r);
      matmul(pool_, p.key, xm[K], T, k);
      matmul(pool_, p.value, xm[V], T, v);
      p.w_lora.run(pool_, xm[W], T, mid, w);
      p.a_lora.run(pool_, xm[A], T, mid, a);
      p.g_lora.run(pool_, xm[G], T, mid, g);
      if (l == 0) {
        std::memcpy(v_first, v, TC * sizeof(float));
      } else {
        float* vg = dx;  // dx is spent once the mixes exist
        p.v_lora.run(pool_, xm[V], T, mid, vg);
        for (int t = 0; t < T; t++) {
          const size_t o = size_t(t) * size_t(C);
          for (int i = 0; i < C; i++)
            v[o + i] += (v_first[o + i] - v[o + i]) * sigmoid(p.v0[size_t(i)] + vg[o + i]);
        }
      }
      for (int t = 0; t < T; t++) {
        const size_t o = size_t(t) * size_t(C);
        for (int i = 0; i < C; i++) {
          const size_t c = o + size_t(i);
          w[c] = std::exp(-kDecayScale * sigmoid(p.w0[size_t(i)] + w[c]));
          a[c] = sigmoid(p.a0[size_t(i)] + a[c]);
          kk[c] = k[c] * p.k_k[size_t(i)];
        }
      }
      l2_normalize_groups(kk, T, C, N, kNormEps);
      for (int t = 0; t < T; t++) {
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
      group_norm(y, y, T, C, H, p.ln_x_w.data(), p.ln_x_b.data(), info_.groupnorm_eps);
      for (int t = 0; t < T; t++)
        for (int h = 0; h < H; h++) {
          const size_t o = size_t(t) * size_t(C) + size_t(h) * size_t(N);
          float bonus = 0;
          for (int i = 0; i < N; i++) bonus += r[o + i] * k[o + i] * p.r_k[size_t(h * N + i)];
          for (int i = 0; i < N; i++) y[o + i] = (y[o + i] + bonus * v[o + i]) * g[o + i];
        }
      matmul(pool_, p.output, y, T, r);
      for (size_t i = 0; i < TC; i++) x[i] += r[i];

      // Channel mixing.
      layer_norm(x, xx, T, C, p.ln2_w.data(), p.ln2_b.data());
      ffn_[size_t(l)].run(pool_, xx, ffn_x, T, x, work);
    }
  }

 private:
  std::vector<V7Layer> layers_;
  std::vector<ChannelMix> ffn_;
  int max_rank_ = 0;
};

}  // namespace

std::unique_ptr<Runner> make_v7(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts) {
  return std::make_unique<V7>(info, tensors, opts);
}

}  // namespace rwkv::cpu
