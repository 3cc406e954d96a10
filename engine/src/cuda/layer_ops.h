// The GPU backend's operations for the layer sequences (arch/layer_ops.h), enqueued on the
// runner's stream: products through cuBLAS in the operand type, LayerNorm fused with the
// token shift, GroupNorm fused with the gate, one kernel per recurrence and per version's
// own step. Buffers are the runner's, sized for kRows rows at load (cuda_runner.h).
#pragma once
#include "arch/layer_ops.h"
#include "arch/lora.h"
#include "arch/v7.h"
#include "cuda/channel_mix.h"
#include "cuda/exec.h"
#include "cuda/upload.h"

namespace rwkv::cuda {

// n buffers of the same size, one after another: fp32, or in the operand type.
struct FGroup {
  float* base = nullptr;
  size_t stride = 0;  // elements
  float* operator[](int j) const { return base + size_t(j) * stride; }
  FGroup from(int j) const { return {(*this)[j], stride}; }
};
struct OpGroup {
  void* base = nullptr;
  size_t stride = 0;  // elements
  size_t elem = 0;    // bytes per element
  void* operator[](int j) const { return static_cast<uint8_t*>(base) + size_t(j) * stride * elem; }
  OpGroup from(int j) const { return {(*this)[j], stride, elem}; }
};

// What every pass's operations share: the runner's buffers and state.
struct PassBuffers {
  const ModelInfo* info = nullptr;
  float* x = nullptr;      // the residual stream
  float* state = nullptr;  // stream 0's state; stream b's state_floats on
  size_t per_layer = 0, state_floats = 0;
  void* y_op = nullptr;    // the time mix's output, in the operand type
  ChannelMixScratch ffn;
};

class LayerOps {
 public:
  using Binder = Uploader;
  using F = float*;
  using Op = void*;
  using FGroup = cuda::FGroup;
  using OpGroup = cuda::OpGroup;
  using Vec = Binder::Vec;
  using Norm = arch::Norm<Binder>;

  LayerOps(const Exec& e, const PassBuffers& p, int B, int T) : e_(e), p_(p), B_(B), T_(T), rows_(B * T) {}

  void ln_shift(const Norm& ln, int l, int carry, bool delta, const Vec* mix, int n, OpGroup out, F xx = nullptr,
                F dx = nullptr);
  void products(const DeviceMatrix& w, OpGroup in, FGroup out, int n);
  void lora(const arch::Lora<Binder>& w, Op in, F out, F mid, Op mid_op);
  void add_product(const DeviceMatrix& w, Op in);
  Op wkv_out(const arch::WkvOut<LayerOps>& a);
  void channel_mix(const arch::ChannelMix<Binder>& w, int l, int carry);

  void wkv4(int l, int aa, F r, F k, F v, Vec decay, Vec first, Op y);
  void wkv5(int l, int S, F r, F k, F v, Vec decay, F token_decay, Vec bonus, F y);
  void v6_mix(const DeviceMatrix& w1, const DeviceMatrix& w2, const Vec* maa, Op xxx, F xx, F dx, F mid, Op mid_op,
              FGroup m, OpGroup out);
  void v7_prepare(const arch::v7::Prepare<LayerOps>& a);
  void wkv7(int l, int S, F r, F w, F k, F v, F a, F b, F y);

  bool rescaled() const { return e_.type == ElemType::F16; }
  void scale_residual(float f);

 private:
  float* state_at(int l, int at) const {
    return p_.state + size_t(l) * p_.per_layer + size_t(at) * size_t(p_.info->n_embd);
  }
  Exec e_;
  const PassBuffers& p_;
  int B_, T_, rows_;
};

}  // namespace rwkv::cuda
