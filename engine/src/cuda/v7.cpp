// RWKV-7 ("Goose") on the GPU: LayerNorm + token shift into the six mixes in one kernel, the
// r, k, v projections in one stacked product, the decay / in-context rate / value residual
// / gate through their low-rank products, the per-token quantities (kk, a, decay) in one
// kernel, the delta-rule recurrence wkv7, then GroupNorm, the r·k bonus and the gate in one
// kernel (docs/REFERENCE.md, RWKV-7).
#include "kernels/cuda/norm.h"
#include "kernels/cuda/v7_prepare.h"
#include "kernels/cuda/wkv_heads.h"
#include "arch/v7.h"
#include "cuda/cuda_runner.h"
#include "cuda/factory.h"
#include "cuda/kernel_args.h"
#include "cuda/lora.h"

namespace rwkv::cuda {

namespace {

using namespace arch::v7;  // Mix
using Layer = arch::v7::Layer<Uploader>;

class V7 final : public CudaRunner {
 public:
  V7(const ModelInfo& info, const TensorMap& tensors, const Device& dev) : CudaRunner(info, tensors, dev) {
    require_head_size(info);
    const size_t Cs = size_t(info.n_embd);
    weights_ = arch::v7::bind(up_, info);
    const size_t rank = size_t(weights_.max_rank);
    mixed_ = scratch_op(kMixes * Cs, "the time mix's inputs");
    proj_ = scratch_f32(3 * Cs, "the time mix's projections");
    mid_ = scratch_f32(rank, "the low-rank products");
    mid_op_ = scratch_op(rank, "the low-rank products");
    w_ = scratch_f32(Cs, "the decay");
    a_ = scratch_f32(Cs, "the in-context learning rate");
    g_ = scratch_f32(Cs, "the gate");
    v_lora_ = scratch_f32(Cs, "the value residual's mix");
    neg_kk_ = scratch_f32(Cs, "the normalised key");
    v_first_ = scratch_f32(Cs, "layer 0's value");
    y_ = scratch_f32(Cs, "the recurrence's output");
    y_op_ = scratch_op(Cs, "the time mix's output");
    ffn_scratch_ = channel_mix_scratch();
  }

 protected:
  void layers(int B, int T) override {
    const Exec e = exec();
    const int C = info_.n_embd, N = info_.head_size, rows = B * T;
    const size_t Cs = size_t(C), slab = size_t(kRows) * Cs;
    float *r = proj_, *k = proj_ + slab, *v = proj_ + 2 * slab;
    for (int l = 0; l < info_.n_layer; l++) {
      const Layer& p = weights_.layers[size_t(l)];
      float* st = layer_state(l);  // att_x, ffn_x, S

      ShiftMixArgs m = shift_mix_args(p.ln1, x_, rows, T, C, st, state_floats_, /*delta=*/true);
      m.n_out = kMixes;
      for (int j = 0; j < kMixes; j++) {
        m.mix[j] = p.mix[j];
        m.out[j] = op_at(mixed_, size_t(j) * slab);
      }
      e.ok(ln_shift_mix(m, type_, stream_), "ln_shift_mix");
      blas_->gemm_stacked(p.rkv, mixed_, Cs, slab, rows, proj_, Cs, slab);
      run_lora(e, p.w_lora, op_at(mixed_, size_t(W) * slab), rows, mid_, mid_op_, w_);
      run_lora(e, p.a_lora, op_at(mixed_, size_t(A) * slab), rows, mid_, mid_op_, a_);
      run_lora(e, p.g_lora, op_at(mixed_, size_t(G) * slab), rows, mid_, mid_op_, g_);
      if (l > 0) run_lora(e, p.v_lora, op_at(mixed_, size_t(V) * slab), rows, mid_, mid_op_, v_lora_);

      V7PrepareArgs q;
      q.rows = rows;
      q.C = C;
      q.N = N;
      q.w = w_;
      q.a = a_;
      q.k = k;
      q.neg_kk = neg_kk_;
      q.v = v;
      q.v_lora = l > 0 ? v_lora_ : nullptr;
      q.v_first = v_first_;
      q.w0 = p.w0;
      q.a0 = p.a0;
      q.k_k = p.k_k;
      q.k_a = p.k_a;
      q.v0 = p.v0;
      e.ok(v7_prepare(q, stream_), "v7_prepare");

      Wkv7Args a;
      a.B = B;
      a.T = T;
      a.C = C;
      a.N = N;
      a.r = r;
      a.w = w_;
      a.k = k;
      a.v = v;
      a.a = neg_kk_;
      a.b = a_;
      a.S = st + 2 * Cs;
      a.state_stride = state_floats_;
      a.y = y_;
      e.ok(wkv7(a, stream_), "wkv7");

      WkvOutArgs o = wkv_out_args(p.ln_x, y_, rows, C, N, info_.groupnorm_eps, y_op_);
      o.gate = Gate::Plain;
      o.g = g_;
      o.r_k = p.r_k;
      o.r = r;
      o.k = k;
      o.v = v;
      e.ok(wkv_output(o, type_, stream_), "wkv_output");
      blas_->gemm(p.output, y_op_, Cs, rows, x_, Cs, /*accumulate=*/true);

      channel_mix(e, p.ffn, ffn_scratch_, x_, B, T, st + Cs, state_floats_);
    }
  }

 private:
  arch::v7::Weights<Uploader> weights_;
  void *mixed_ = nullptr, *mid_op_ = nullptr, *y_op_ = nullptr;  // mixed_: [6][kRows][C] in Mix order
  float *proj_ = nullptr, *mid_ = nullptr, *w_ = nullptr, *a_ = nullptr, *g_ = nullptr, *v_lora_ = nullptr,
        *neg_kk_ = nullptr, *v_first_ = nullptr, *y_ = nullptr;
  ChannelMixScratch ffn_scratch_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_v7(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return std::make_unique<V7>(info, tensors, dev);
}

}  // namespace rwkv::cuda
