// RWKV-4 on the GPU: LayerNorm + token shift in one kernel, the three projections in one
// stacked product, the wkv recurrence scanned per channel (docs/REFERENCE.md, RWKV-4). fp16
// models use the rescaling arch/v4.h describes.
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/norm.h"
#include "kernels/cuda/wkv4.h"
#include "arch/v4.h"
#include "cuda/cuda_runner.h"
#include "cuda/factory.h"
#include "cuda/kernel_args.h"

namespace rwkv::cuda {

namespace {

using arch::v4::kRescaleEvery;
using Layer = arch::v4::Layer<Uploader>;

class V4 final : public CudaRunner {
 public:
  V4(const ModelInfo& info, const TensorMap& tensors, const Device& dev) : CudaRunner(info, tensors, dev) {
    const size_t Cs = size_t(info.n_embd);
    rescale_ = type_ == ElemType::F16;
    layers_ = arch::v4::bind(up_, info, rescale_);
    mixed_ = scratch_op(3 * Cs, "the time mix's inputs");
    proj_ = scratch_f32(3 * Cs, "the time mix's projections");
    y_ = scratch_op(Cs, "the time mix's output");
    ffn_scratch_ = channel_mix_scratch();
  }

 protected:
  void layers(int B, int T) override {
    const Exec e = exec();
    const int C = info_.n_embd, rows = B * T;
    const size_t Cs = size_t(C), slab = size_t(kRows) * Cs;
    for (int l = 0; l < info_.n_layer; l++) {
      const Layer& w = layers_[size_t(l)];
      float* st = layer_state(l);  // att_x, aa, bb, pp, ffn_x

      ShiftMixArgs m = shift_mix_args(w.ln1, x_, rows, T, C, st, state_floats_, /*delta=*/false);
      m.n_out = arch::v4::kMixes;
      for (int j = 0; j < m.n_out; j++) {
        m.mix[j] = w.mix[j];
        m.out[j] = op_at(mixed_, size_t(j) * slab);
      }
      e.ok(ln_shift_mix(m, type_, stream_), "ln_shift_mix");
      blas_->gemm_stacked(w.rkv, mixed_, Cs, slab, rows, proj_, Cs, slab);

      Wkv4Args a;
      a.B = B;
      a.T = T;
      a.C = C;
      a.r = proj_;
      a.k = proj_ + slab;
      a.v = proj_ + 2 * slab;
      a.decay = w.decay;
      a.first = w.first;
      a.aa = st + Cs;
      a.state_stride = state_floats_;
      a.y = y_;
      e.ok(wkv4(a, type_, stream_), "wkv4");
      blas_->gemm(w.output, y_, Cs, rows, x_, Cs, /*accumulate=*/true);

      channel_mix(e, w.ffn, ffn_scratch_, x_, B, T, st + 4 * Cs, state_floats_);
      if (rescale_ && (l + 1) % kRescaleEvery == 0) e.ok(scale(x_, size_t(rows) * Cs, 0.5f, stream_), "scale");
    }
  }

 private:
  bool rescale_ = false;
  std::vector<Layer> layers_;
  void* mixed_ = nullptr;  // [3][kRows][C]: r, k, v inputs
  float* proj_ = nullptr;  // [3][kRows][C]: r, k, v
  void* y_ = nullptr;
  ChannelMixScratch ffn_scratch_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_v4(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return std::make_unique<V4>(info, tensors, dev);
}

}  // namespace rwkv::cuda
