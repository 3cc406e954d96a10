// The channel-mix block (arch/channel_mix.h) on the GPU: LayerNorm ln2 fused with the token
// shift, k = relu(Wk xk)^2, out = Wv k, gated by sigmoid(Wr xr) before RWKV-7; the result is
// added to the residual stream.
#pragma once
#include "arch/channel_mix.h"
#include "cuda/exec.h"
#include "cuda/upload.h"

namespace rwkv::cuda {

using ChannelMix = arch::ChannelMix<Uploader>;

// Buffers for kRows rows, shared by every layer.
struct ChannelMixScratch {
  void* xk = nullptr;         // [rows, C] operand type
  void* xr = nullptr;
  float* hidden = nullptr;    // [rows, F]
  void* hidden_op = nullptr;  // [rows, F] operand type
  float* out = nullptr;       // [rows, C]
  float* r = nullptr;
};

// x[B*T, C] += ChannelMix(LN2(x)); carry is stream 0's ffn_x, the next stream's
// state_stride floats on.
void channel_mix(const Exec& e, const ChannelMix& w, const ChannelMixScratch& s, float* x, int B, int T, float* carry,
                 size_t state_stride);

}  // namespace rwkv::cuda
