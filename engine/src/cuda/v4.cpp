// RWKV-4 on the GPU: LayerNorm + token shift in one kernel, the three projections in one
// stacked product, the wkv recurrence scanned per channel (REFERENCE.md, RWKV-4). fp16
// models use REFERENCE.md's rescaling: att.output and ffn.value of layer l divided by
// 2^(l/6) at load and the residual halved after every sixth layer (LayerNorm does not see
// the scale), which keeps the stream's magnitude bounded as in the reference packages.
#include <cmath>

#include "../../../kernels/cuda/elementwise.h"
#include "../../../kernels/cuda/norm.h"
#include "../../../kernels/cuda/wkv4.h"
#include "arch/weights.h"
#include "cuda/cuda_runner.h"
#include "cuda/factory.h"

namespace rwkv::cuda {

namespace {

constexpr int kRescaleEvery = 6;

struct V4Layer {
  const float *ln1_w = nullptr, *ln1_b = nullptr;
  const float* mix[3] = {};  // r, k, v
  const float *decay = nullptr /* -exp(time_decay) */, *first = nullptr;
  DeviceMatrix rkv;  // receptance, key, value
  DeviceMatrix output;
};

class V4 final : public CudaRunner {
 public:
  V4(const ModelInfo& info, const TensorMap& tensors, const Device& dev) : CudaRunner(info, tensors, dev) {
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    rescale_ = type_ == ElemType::F16;
    for (int l = 0; l < info.n_layer; l++) {
      auto n = [&](const char* s) { return layer_name(l, s); };
      V4Layer w;
      w.ln1_w = up_.vec(n("ln1.weight"), Cs);
      w.ln1_b = up_.vec(n("ln1.bias"), Cs);
      w.mix[0] = up_.vec(n("att.time_mix_r"), Cs);
      w.mix[1] = up_.vec(n("att.time_mix_k"), Cs);
      w.mix[2] = up_.vec(n("att.time_mix_v"), Cs);
      std::vector<float> decay = up_.host_vec(n("att.time_decay"), Cs);
      for (float& d : decay) d = -std::exp(d);
      w.decay = up_.vec(decay, "tensor '" + n("att.time_decay") + "'");
      w.first = up_.vec(n("att.time_first"), Cs);
      w.rkv = up_.stack({n("att.receptance.weight"), n("att.key.weight"), n("att.value.weight")}, C, C);
      const float scale = rescale_ ? 1.0f / float(1 << (l / kRescaleEvery)) : 1.0f;
      w.output = up_.matrix(n("att.output.weight"), C, C, scale);
      layers_.push_back(w);
      ffn_.emplace_back(up_, info, l, scale);
    }
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
      const V4Layer& w = layers_[size_t(l)];
      float* st = layer_state(l);  // att_x, aa, bb, pp, ffn_x

      ShiftMixArgs m;
      m.x = x_;
      m.rows = rows;
      m.T = T;
      m.C = C;
      m.ln_w = w.ln1_w;
      m.ln_b = w.ln1_b;
      m.carry = st;
      m.carry_stride = state_floats_;
      m.n_out = 3;
      for (int j = 0; j < 3; j++) {
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

      ffn_[size_t(l)].run(e, ffn_scratch_, x_, B, T, st + 4 * Cs, state_floats_);
      if (rescale_ && (l + 1) % kRescaleEvery == 0) e.ok(scale(x_, size_t(rows) * Cs, 0.5f, stream_), "scale");
    }
  }

 private:
  bool rescale_ = false;
  std::vector<V4Layer> layers_;
  std::vector<ChannelMix> ffn_;
  void* mixed_ = nullptr;  // [3][kRows][C]: r, k, v inputs
  float* proj_ = nullptr;  // [3][kRows][C]: r, k, v
  void* y_ = nullptr;
  ChannelMix::Scratch ffn_scratch_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_v4(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return std::make_unique<V4>(info, tensors, dev);
}

}  // namespace rwkv::cuda
