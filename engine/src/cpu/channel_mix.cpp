#include "cpu/channel_mix.h"

#include <algorithm>

#include "cpu/ops.h"

namespace rwkv::cpu {

size_t channel_mix_scratch(const ModelInfo& info) { return size_t(info.n_embd) * 4 + size_t(info.n_ffn); }

void channel_mix(ThreadPool& pool, const ChannelMix& w, float* x, float* xx, float* carry, int T, float* s) {
  const int C = w.key.cols, F = w.key.rows;
  const size_t TC = size_t(T) * size_t(C);
  float *xk = s, *xr = xk + TC, *out = xr + TC, *r = out + TC, *hidden = r + TC;
  layer_norm(x, xx, T, C, w.ln2.w.data(), w.ln2.b.data());
  if (w.delta) {
    float* dx = out;  // free until the value product
    shift_delta(xx, carry, T, C, dx);
    lerp(xx, dx, w.mk.data(), T, C, xk);
    if (w.gated) lerp(xx, dx, w.mr.data(), T, C, xr);
  } else {
    const float* mix[2] = {w.mk.data(), w.mr.data()};
    float* dst[2] = {xk, xr};
    shift_mix(xx, carry, T, C, mix, dst, 2);
  }
  matmul(pool, w.key, xk, T, hidden);
  const size_t TF = size_t(T) * size_t(F);
  for (size_t i = 0; i < TF; i++) {
    const float h = std::max(hidden[i], 0.0f);
    hidden[i] = h * h;
  }
  matmul(pool, w.value, hidden, T, out);
  if (w.gated) {
    matmul(pool, w.receptance, xr, T, r);
    for (size_t i = 0; i < TC; i++) x[i] += sigmoid(r[i]) * out[i];
  } else {
    for (size_t i = 0; i < TC; i++) x[i] += out[i];
  }
}

}  // namespace rwkv::cpu
