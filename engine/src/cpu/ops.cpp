#include "cpu/ops.h"

#include <cstring>

namespace rwkv::cpu {

void layer_norm(const float* x, float* out, int T, int C, const float* w, const float* b, float eps) {
  for (int t = 0; t < T; t++) {
    const float* xr = x + size_t(t) * C;
    float* o = out + size_t(t) * C;
    float mean = 0;
    for (int i = 0; i < C; i++) mean += xr[i];
    mean /= float(C);
    float var = 0;
    for (int i = 0; i < C; i++) {
      const float d = xr[i] - mean;
      var += d * d;
    }
    var /= float(C);
    const float inv = 1.0f / std::sqrt(var + eps);
    for (int i = 0; i < C; i++) o[i] = (xr[i] - mean) * inv * w[i] + b[i];
  }
}

void group_norm(const float* x, float* out, int T, int C, int H, const float* w, const float* b,
                float eps) {
  const int N = C / H;
  for (int t = 0; t < T; t++)
    for (int h = 0; h < H; h++) {
      const size_t off = size_t(t) * C + size_t(h) * N;
      layer_norm(x + off, out + off, 1, N, w + h * N, b + h * N, eps);
    }
}

void shift_mix(const float* x, float* carry, int T, int C, const float* const* mix, float* const* out,
               int n_out) {
  for (int t = 0; t < T; t++) {
    const float* xr = x + size_t(t) * C;
    const float* prev = t ? xr - C : carry;
    for (int j = 0; j < n_out; j++) {
      const float* m = mix[j];
      float* o = out[j] + size_t(t) * C;
      for (int i = 0; i < C; i++) o[i] = xr[i] * m[i] + prev[i] * (1.0f - m[i]);
    }
  }
  std::memcpy(carry, x + size_t(T - 1) * C, size_t(C) * sizeof(float));
}

}  // namespace rwkv::cpu
