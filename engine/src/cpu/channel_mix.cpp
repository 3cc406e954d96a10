#include "cpu/channel_mix.h"

#include <algorithm>

namespace rwkv::cpu {

size_t channel_mix_scratch(const ModelInfo& info) { return size_t(info.n_embd) * 4 + size_t(info.n_ffn); }

void channel_mix(ThreadPool& pool, const ChannelMix& w, float* x, float* xx, const StatePart& carry, float* s) {
  const int C = w.key.cols, F = w.key.rows, rows = carry.rows();
  const size_t RC = size_t(rows) * size_t(C);
  float *xk = s, *xr = xk + RC, *out = xr + RC, *r = out + RC, *hidden = r + RC;
  layer_norm(x, xx, rows, C, w.ln2.w.data(), w.ln2.b.data());
  if (w.delta) {
    float* dx = out;  // free until the value product
    shift_delta(xx, carry, C, dx);
    lerp(xx, dx, w.mk.data(), rows, C, xk);
    if (w.gated) lerp(xx, dx, w.mr.data(), rows, C, xr);
  } else {
    const float* mix[2] = {w.mk.data(), w.mr.data()};
    float* dst[2] = {xk, xr};
    shift_mix(xx, carry, C, mix, dst, 2);
  }
  if (w.gated)
    matmul(pool, {{w.key, xk, hidden}, {w.receptance, xr, r}}, rows);
  else
    matmul(pool, w.key, xk, rows, hidden);
  const size_t RF = size_t(rows) * size_t(F);
  for (size_t i = 0; i < RF; i++) {
    const float h = std::max(hidden[i], 0.0f);
    hidden[i] = h * h;
  }
  matmul(pool, w.value, hidden, rows, out);
  if (w.gated) {
    for (size_t i = 0; i < RC; i++) x[i] += sigmoid(r[i]) * out[i];
  } else {
    for (size_t i = 0; i < RC; i++) x[i] += out[i];
  }
}

}  // namespace rwkv::cpu
