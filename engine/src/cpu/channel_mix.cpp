#include "cpu/channel_mix.h"

#include <algorithm>

#include "cpu/ops.h"

namespace rwkv::cpu {

ChannelMix::ChannelMix(WeightBinder& b, const ModelInfo& info, int layer)
    : C_(info.n_embd), F_(info.n_ffn), delta_(info.arch == Arch::V6 || info.arch == Arch::V7),
      gated_(info.arch != Arch::V7) {
  auto n = [&](const char* s) { return layer_name(layer, s); };
  const size_t C = size_t(C_);
  switch (info.arch) {
    case Arch::V7: mk_ = b.vec(n("ffn.x_k"), C); break;
    case Arch::V6:
      mk_ = b.vec(n("ffn.time_maa_k"), C);
      mr_ = b.vec(n("ffn.time_maa_r"), C);
      break;
    default:
      mk_ = b.vec(n("ffn.time_mix_k"), C);
      mr_ = b.vec(n("ffn.time_mix_r"), C);
  }
  key_ = b.matrix(n("ffn.key.weight"), F_, C_);
  value_ = b.matrix(n("ffn.value.weight"), C_, F_);
  if (gated_) receptance_ = b.matrix(n("ffn.receptance.weight"), C_, C_);
}

size_t ChannelMix::scratch_per_token(const ModelInfo& info) {
  return size_t(info.n_embd) * 4 + size_t(info.n_ffn);
}

void ChannelMix::run(ThreadPool& pool, const float* xx, float* carry, int T, float* x, float* s) const {
  const size_t TC = size_t(T) * size_t(C_);
  float *xk = s, *xr = xk + TC, *out = xr + TC, *r = out + TC, *hidden = r + TC;
  if (delta_) {
    float* dx = out;  // free until the value product
    shift_delta(xx, carry, T, C_, dx);
    lerp(xx, dx, mk_.data(), T, C_, xk);
    if (gated_) lerp(xx, dx, mr_.data(), T, C_, xr);
  } else {
    const float* mix[2] = {mk_.data(), mr_.data()};
    float* dst[2] = {xk, xr};
    shift_mix(xx, carry, T, C_, mix, dst, 2);
  }
  matmul(pool, key_, xk, T, hidden);
  const size_t TF = size_t(T) * size_t(F_);
  for (size_t i = 0; i < TF; i++) {
    const float h = std::max(hidden[i], 0.0f);
    hidden[i] = h * h;
  }
  matmul(pool, value_, hidden, T, out);
  if (gated_) {
    matmul(pool, receptance_, xr, T, r);
    for (size_t i = 0; i < TC; i++) x[i] += sigmoid(r[i]) * out[i];
  } else {
    for (size_t i = 0; i < TC; i++) x[i] += out[i];
  }
}

}  // namespace rwkv::cpu
