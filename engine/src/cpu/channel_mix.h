// The channel-mix (feed-forward) block of every version: token shift, k = relu(Wk xk)^2,
// out = Wv k, gated by sigmoid(Wr xr) before RWKV-7 (REFERENCE.md).
#pragma once
#include <vector>

#include "arch/weights.h"
#include "cpu/linear.h"
#include "rwkv/state.h"

namespace rwkv::cpu {

class ChannelMix {
 public:
  // Binds blocks.<layer>.ffn.*: time_mix_k/_r (v4/v5), time_maa_k/_r (v6) or x_k (v7).
  ChannelMix(WeightBinder& b, const ModelInfo& info, int layer);
  // Floats of scratch run() needs per token.
  static size_t scratch_per_token(const ModelInfo& info);
  // x[T, C] += ChannelMix(xx), xx = LN2(x); carry is the state's ffn_x.
  void run(ThreadPool& pool, const float* xx, float* carry, int T, float* x, float* scratch) const;

 private:
  int C_, F_;
  bool delta_;  // v6/v7 shift x + (prev - x)*m; v4/v5 use x*m + prev*(1 - m)
  bool gated_;  // receptance gate (all but v7)
  std::vector<float> mk_, mr_;
  Matrix key_, value_, receptance_;
};

}  // namespace rwkv::cpu
