// RWKV-6 ("Finch") on the GPU: the data-dependent token shift (LayerNorm + shift, a
// low-rank product, the five mixes), the k, v, r, g projections in one stacked product,
// the per-token decay through its low-rank product (exp(-exp()) applied inside wkv5), then
// GroupNorm and the silu gate (REFERENCE.md, RWKV-6).
#include "../../../kernels/cuda/elementwise.h"
#include "../../../kernels/cuda/norm.h"
#include "../../../kernels/cuda/v6_mix.h"
#include "../../../kernels/cuda/wkv_heads.h"
#include "arch/weights.h"
#include "cuda/cuda_runner.h"
#include "cuda/factory.h"
#include "cuda/lora.h"
#include "rwkv/error.h"

namespace rwkv::cuda {

namespace {

constexpr int kMixes = 5;  // w, k, v, r, g: the order of time_maa_w1's blocks and time_maa_w2

struct V6Layer {
  const float *ln1_w = nullptr, *ln1_b = nullptr, *ln_x_w = nullptr, *ln_x_b = nullptr;
  const float* maa_x = nullptr;
  const float* maa[kMixes] = {};
  const float *decay = nullptr /* time_decay, before exp(-exp()) */, *bonus = nullptr /* time_faaaa */;
  DeviceMatrix maa_w1;  // [5D, C]: the five mixes' down projections, stacked
  DeviceMatrix maa_w2;  // 5 x [C, D]
  Lora decay_lora;      // tanh, [C] -> [C]
  DeviceMatrix kvrg;    // key, value, receptance, gate (the order of the mixes after w)
  DeviceMatrix output;
};

class V6 final : public CudaRunner {
 public:
  V6(const ModelInfo& info, const TensorMap& tensors, const Device& dev) : CudaRunner(info, tensors, dev) {
    require_head_size(info);
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    for (int l = 0; l < info.n_layer; l++) {
      auto n = [&](const char* s) { return layer_name(l, s); };
      V6Layer w;
      w.ln1_w = up_.vec(n("ln1.weight"), Cs);
      w.ln1_b = up_.vec(n("ln1.bias"), Cs);
      w.ln_x_w = up_.vec(n("att.ln_x.weight"), Cs);
      w.ln_x_b = up_.vec(n("att.ln_x.bias"), Cs);
      w.maa_x = up_.vec(n("att.time_maa_x"), Cs);
      const char* mixes[kMixes] = {"att.time_maa_w", "att.time_maa_k", "att.time_maa_v", "att.time_maa_r",
                                   "att.time_maa_g"};
      for (int j = 0; j < kMixes; j++) w.maa[j] = up_.vec(n(mixes[j]), Cs);
      w.decay = up_.vec(n("att.time_decay"), Cs);
      w.bonus = up_.vec(n("att.time_faaaa"), Cs);

      const std::string w1 = n("att.time_maa_w1");
      const auto& s1 = up_.shape(w1);
      if (s1.size() != 2 || s1[0] != C || s1[1] <= 0 || s1[1] % kMixes != 0)
        throw Error("tensor '" + w1 + "' is not [" + std::to_string(C) + ", 5 * rank]");
      const int D = int(s1[1] / kMixes);
      if (l > 0 && D != maa_rank_) throw Error("tensor '" + w1 + "': rank differs from layer 0's");
      maa_rank_ = D;
      w.maa_w1 = up_.transposed(w1, 1, kMixes * D, C);
      w.maa_w2 = up_.transposed(n("att.time_maa_w2"), kMixes, C, D);
      w.decay_lora = Lora::bind(up_, n("att.time_decay_w1"), n("att.time_decay_w2"), C, C, Act::Tanh);
      decay_rank_ = std::max(decay_rank_, w.decay_lora.rank());
      w.kvrg = up_.stack({n("att.key.weight"), n("att.value.weight"), n("att.receptance.weight"), n("att.gate.weight")},
                         C, C);
      w.output = up_.matrix(n("att.output.weight"), C, C);
      layers_.push_back(w);
      ffn_.emplace_back(up_, info, l);
    }
    const size_t mid = size_t(std::max(kMixes * maa_rank_, decay_rank_));
    xxx_ = scratch_op(Cs, "the time mix's shifted input");
    xx_ = scratch_f32(Cs, "the time mix's normalised input");
    dx_ = scratch_f32(Cs, "the time mix's shift");
    mid_ = scratch_f32(mid, "the low-rank products");
    mid_op_ = scratch_op(mid, "the low-rank products");
    m_ = scratch_f32(kMixes * Cs, "the data-dependent mixes");
    mixed_ = scratch_op(kMixes * Cs, "the time mix's inputs");
    proj_ = scratch_f32(4 * Cs, "the time mix's projections");
    decay_ = scratch_f32(Cs, "the per-token decay");
    y_ = scratch_f32(Cs, "the recurrence's output");
    y_op_ = scratch_op(Cs, "the time mix's output");
    ffn_scratch_ = channel_mix_scratch();
  }

 protected:
  void layers(int B, int T) override {
    const Exec e = exec();
    const int C = info_.n_embd, rows = B * T, D = maa_rank_;
    const size_t Cs = size_t(C), slab = size_t(kRows) * Cs;
    for (int l = 0; l < info_.n_layer; l++) {
      const V6Layer& w = layers_[size_t(l)];
      float* st = layer_state(l);  // att_x, ffn_x, S

      // xxx = xx + dx * maa_x, keeping xx and dx for the five mixes.
      ShiftMixArgs m;
      m.x = x_;
      m.rows = rows;
      m.T = T;
      m.C = C;
      m.ln_w = w.ln1_w;
      m.ln_b = w.ln1_b;
      m.carry = st;
      m.carry_stride = state_floats_;
      m.delta = true;
      m.n_out = 1;
      m.mix[0] = w.maa_x;
      m.out[0] = xxx_;
      m.xx_out = xx_;
      m.dx_out = dx_;
      e.ok(ln_shift_mix(m, type_, stream_), "ln_shift_mix");

      // m_j = tanh(xxx @ maa_w1)_j @ maa_w2[j]; x_j = xx + dx * (maa_j + m_j).
      const size_t ld = size_t(kMixes * D);
      blas_->gemm(w.maa_w1, xxx_, Cs, rows, mid_, ld);
      e.ok(activate(mid_, size_t(rows) * ld, Act::Tanh, mid_op_, type_, stream_), "activate (tanh)");
      blas_->gemm_stacked(w.maa_w2, mid_op_, ld, size_t(D), rows, m_, Cs, slab);
      V6MixArgs v;
      v.rows = rows;
      v.C = C;
      v.xx = xx_;
      v.dx = dx_;
      v.m = m_;
      for (int j = 0; j < kMixes; j++) v.maa[j] = w.maa[j];
      v.out = mixed_;
      v.slab = slab;
      e.ok(v6_mix(v, type_, stream_), "v6_mix");

      // k, v, r, g from mixes 1..4; the decay's low-rank product from mix 0.
      blas_->gemm_stacked(w.kvrg, op_at(mixed_, slab), Cs, slab, rows, proj_, Cs, slab);
      w.decay_lora.run(e, mixed_, rows, mid_, mid_op_, decay_);

      Wkv5Args a;
      a.B = B;
      a.T = T;
      a.C = C;
      a.N = info_.head_size;
      a.k = proj_;
      a.v = proj_ + slab;
      a.r = proj_ + 2 * slab;
      a.w = decay_;
      a.w_stride = Cs;
      a.w_bias = w.decay;
      a.u = w.bonus;
      a.S = st + 2 * Cs;
      a.state_stride = state_floats_;
      a.y = y_;
      e.ok(wkv5(a, stream_), "wkv5 (v6)");

      WkvOutArgs o;
      o.y = y_;
      o.rows = rows;
      o.C = C;
      o.N = info_.head_size;
      o.eps = info_.groupnorm_eps;
      o.ln_w = w.ln_x_w;
      o.ln_b = w.ln_x_b;
      o.gate = Gate::Silu;
      o.g = proj_ + 3 * slab;
      o.out = y_op_;
      e.ok(wkv_output(o, type_, stream_), "wkv_output");
      blas_->gemm(w.output, y_op_, Cs, rows, x_, Cs, /*accumulate=*/true);

      ffn_[size_t(l)].run(e, ffn_scratch_, x_, B, T, st + Cs, state_floats_);
    }
  }

 private:
  std::vector<V6Layer> layers_;
  std::vector<ChannelMix> ffn_;
  int maa_rank_ = 0, decay_rank_ = 0;
  void* xxx_ = nullptr;
  float *xx_ = nullptr, *dx_ = nullptr, *mid_ = nullptr, *m_ = nullptr, *proj_ = nullptr, *decay_ = nullptr,
        *y_ = nullptr;
  void *mid_op_ = nullptr, *mixed_ = nullptr, *y_op_ = nullptr;  // mixed_: [5][kRows][C] w, k, v, r, g
  ChannelMix::Scratch ffn_scratch_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_v6(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return std::make_unique<V6>(info, tensors, dev);
}

}  // namespace rwkv::cuda
