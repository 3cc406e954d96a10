// RWKV-6 ("Finch") on the GPU: the data-dependent token shift (LayerNorm + shift, a
// low-rank product, the five mixes), the k, v, r, g projections in one stacked product,
// the per-token decay through its low-rank product (exp(-exp()) applied inside wkv5), then
// GroupNorm and the silu gate (docs/REFERENCE.md, RWKV-6).
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/norm.h"
#include "kernels/cuda/v6_mix.h"
#include "kernels/cuda/wkv_heads.h"
#include "arch/v6.h"
#include "cuda/cuda_runner.h"
#include "cuda/factory.h"
#include "cuda/kernel_args.h"
#include "cuda/lora.h"

namespace rwkv::cuda {

namespace {

using arch::v6::kMixes;
using Layer = arch::v6::Layer<Uploader>;

class V6 final : public CudaRunner {
 public:
  V6(const ModelInfo& info, const TensorMap& tensors, const Device& dev) : CudaRunner(info, tensors, dev) {
    require_head_size(info);
    const size_t Cs = size_t(info.n_embd);
    w_ = arch::v6::bind(up_, info);
    const size_t mid = size_t(std::max(kMixes * w_.maa_rank, w_.decay_rank));
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
    const int C = info_.n_embd, rows = B * T, D = w_.maa_rank;
    const size_t Cs = size_t(C), slab = size_t(kRows) * Cs;
    for (int l = 0; l < info_.n_layer; l++) {
      const Layer& w = w_.layers[size_t(l)];
      float* st = layer_state(l);  // att_x, ffn_x, S

      // xxx = xx + dx * maa_x, keeping xx and dx for the five mixes.
      ShiftMixArgs m = shift_mix_args(w.ln1, x_, rows, T, C, st, state_floats_, /*delta=*/true);
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

      // k, v, r, g from the mixes after w; the decay's low-rank product from mix w.
      static_assert(arch::v6::W == 0 && arch::v6::K == 1 && arch::v6::PK == 0, "kvrg reads the mixes after w");
      blas_->gemm_stacked(w.kvrg, op_at(mixed_, slab), Cs, slab, rows, proj_, Cs, slab);
      run_lora(e, w.decay_lora, op_at(mixed_, arch::v6::W * slab), rows, mid_, mid_op_, decay_);

      Wkv5Args a;
      a.B = B;
      a.T = T;
      a.C = C;
      a.N = info_.head_size;
      a.k = proj_ + arch::v6::PK * slab;
      a.v = proj_ + arch::v6::PV * slab;
      a.r = proj_ + arch::v6::PR * slab;
      a.w = decay_;
      a.w_stride = Cs;
      a.w_bias = w.decay;
      a.u = w.bonus;
      a.S = st + 2 * Cs;
      a.state_stride = state_floats_;
      a.y = y_;
      e.ok(wkv5(a, stream_), "wkv5 (v6)");

      WkvOutArgs o = wkv_out_args(w.ln_x, y_, rows, C, info_.head_size, info_.groupnorm_eps, y_op_);
      o.gate = Gate::Silu;
      o.g = proj_ + arch::v6::PG * slab;
      e.ok(wkv_output(o, type_, stream_), "wkv_output");
      blas_->gemm(w.output, y_op_, Cs, rows, x_, Cs, /*accumulate=*/true);

      channel_mix(e, w.ffn, ffn_scratch_, x_, B, T, st + Cs, state_floats_);
    }
  }

 private:
  arch::v6::Weights<Uploader> w_;
  void* xxx_ = nullptr;
  float *xx_ = nullptr, *dx_ = nullptr, *mid_ = nullptr, *m_ = nullptr, *proj_ = nullptr, *decay_ = nullptr,
        *y_ = nullptr;
  void *mid_op_ = nullptr, *mixed_ = nullptr, *y_op_ = nullptr;  // mixed_: [5][kRows][C] w, k, v, r, g
  ChannelMixScratch ffn_scratch_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_v6(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return std::make_unique<V6>(info, tensors, dev);
}

}  // namespace rwkv::cuda
