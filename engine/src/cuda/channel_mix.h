// The channel-mix (feed-forward) block of every version on the GPU: LayerNorm ln2 fused with
// the token shift, k = relu(Wk xk)^2, out = Wv k, gated by sigmoid(Wr xr) before RWKV-7
// (REFERENCE.md); the result is added to the residual stream.
#pragma once
#include "cuda/exec.h"
#include "cuda/upload.h"
#include "rwkv/state.h"

namespace rwkv::cuda {

class ChannelMix {
 public:
  // Buffers for kRows rows, shared by every layer.
  struct Scratch {
    void* xk = nullptr;         // [rows, C] operand type
    void* xr = nullptr;
    float* hidden = nullptr;    // [rows, F]
    void* hidden_op = nullptr;  // [rows, F] operand type
    float* out = nullptr;       // [rows, C]
    float* r = nullptr;
  };

  // Binds blocks.<layer>.ln2 and ffn.*: time_mix_k/_r (v4/v5), time_maa_k/_r (v6) or x_k
  // (v7); ffn.value is multiplied by value_scale (RWKV-4's fp16 rescaling).
  ChannelMix(Uploader& up, const ModelInfo& info, int layer, float value_scale = 1.0f);
  // x[B*T, C] += ChannelMix(LN2(x)); carry is stream 0's ffn_x, the next stream's
  // state_stride floats on.
  void run(const Exec& e, const Scratch& s, float* x, int B, int T, float* carry, size_t state_stride) const;

 private:
  int C_, F_;
  bool delta_;  // v6/v7 shift x + (prev - x)*m; v4/v5 use x*m + prev*(1 - m)
  bool gated_;  // receptance gate (all but v7)
  const float* ln_w_ = nullptr;
  const float* ln_b_ = nullptr;
  const float* mk_ = nullptr;
  const float* mr_ = nullptr;
  DeviceMatrix key_, value_, receptance_;
};

}  // namespace rwkv::cuda
