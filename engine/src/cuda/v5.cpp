// RWKV-5 ("Eagle") on the GPU: 5.1 (no gate; one decay and one bonus per head) and 5.2
// (gated; per-channel decay and bonus). LayerNorm + token shift in one kernel, the r, k, v
// (and g) projections in one stacked product, the per-head matrix state scanned by wkv5,
// then GroupNorm and the gate in one kernel (docs/REFERENCE.md, RWKV-5.2).
#include "kernels/cuda/norm.h"
#include "kernels/cuda/wkv_heads.h"
#include "arch/v5.h"
#include "cuda/cuda_runner.h"
#include "cuda/factory.h"
#include "cuda/kernel_args.h"

namespace rwkv::cuda {

namespace {

using Layer = arch::v5::Layer<Uploader>;

class V5 final : public CudaRunner {
 public:
  V5(const ModelInfo& info, const TensorMap& tensors, const Device& dev) : CudaRunner(info, tensors, dev) {
    require_head_size(info);
    const size_t Cs = size_t(info.n_embd);
    layers_ = arch::v5::bind(up_, info);
    mixed_ = scratch_op(4 * Cs, "the time mix's inputs");
    proj_ = scratch_f32(4 * Cs, "the time mix's projections");
    y_ = scratch_f32(Cs, "the recurrence's output");
    y_op_ = scratch_op(Cs, "the time mix's output");
    ffn_scratch_ = channel_mix_scratch();
  }

 protected:
  void layers(int B, int T) override {
    const Exec e = exec();
    const int C = info_.n_embd, rows = B * T;
    const size_t Cs = size_t(C), slab = size_t(kRows) * Cs;
    for (int l = 0; l < info_.n_layer; l++) {
      const Layer& w = layers_[size_t(l)];
      float* st = layer_state(l);  // att_x, ffn_x, S

      ShiftMixArgs m = shift_mix_args(w.ln1, x_, rows, T, C, st, state_floats_, /*delta=*/false);
      m.n_out = w.gated ? arch::v5::kMixes : arch::v5::G;
      for (int j = 0; j < m.n_out; j++) {
        m.mix[j] = w.mix[j];
        m.out[j] = op_at(mixed_, size_t(j) * slab);
      }
      e.ok(ln_shift_mix(m, type_, stream_), "ln_shift_mix");
      blas_->gemm_stacked(w.rkvg, mixed_, Cs, slab, rows, proj_, Cs, slab);

      Wkv5Args a;
      a.B = B;
      a.T = T;
      a.C = C;
      a.N = info_.head_size;
      a.r = proj_;
      a.k = proj_ + slab;
      a.v = proj_ + 2 * slab;
      a.w = w.decay;
      a.w_stride = 0;
      a.u = w.bonus;
      a.S = st + 2 * Cs;
      a.state_stride = state_floats_;
      a.y = y_;
      e.ok(wkv5(a, stream_), "wkv5");

      WkvOutArgs o = wkv_out_args(w.ln_x, y_, rows, C, info_.head_size, info_.groupnorm_eps, y_op_);
      o.gate = w.gated ? Gate::Silu : Gate::None;
      o.g = proj_ + arch::v5::G * slab;
      e.ok(wkv_output(o, type_, stream_), "wkv_output");
      blas_->gemm(w.output, y_op_, Cs, rows, x_, Cs, /*accumulate=*/true);

      channel_mix(e, w.ffn, ffn_scratch_, x_, B, T, st + Cs, state_floats_);
    }
  }

 private:
  std::vector<Layer> layers_;
  void* mixed_ = nullptr;  // [4][kRows][C]: r, k, v, g inputs
  float* proj_ = nullptr;  // [4][kRows][C]: r, k, v, g
  float* y_ = nullptr;
  void* y_op_ = nullptr;
  ChannelMixScratch ffn_scratch_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_v5(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return std::make_unique<V5>(info, tensors, dev);
}

}  // namespace rwkv::cuda
