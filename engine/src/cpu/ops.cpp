#include "cpu/ops.h"

#include <algorithm>
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

namespace {

// The token shift's walk: fn(x_t, prev, offset of row t) for every stream's rows, prev being
// the row before (the carried one for a stream's first); then each carry := its last row.
template <class Fn>
void shift_rows(const float* x, const StatePart& carries, int C, const Fn& fn) {
  for (int b = 0; b < carries.B(); b++) {
    float* carry = carries.at(b);
    const int r0 = carries.first[size_t(b)], r1 = carries.first[size_t(b) + 1];
    for (int r = r0; r < r1; r++) {
      const size_t o = size_t(r) * size_t(C);
      fn(x + o, r > r0 ? x + o - C : carry, o);
    }
    std::memcpy(carry, x + size_t(r1 - 1) * C, size_t(C) * sizeof(float));
  }
}

}  // namespace

void shift_mix(const float* x, const StatePart& carries, int C, const float* const* mix, float* const* out, int n_out) {
  shift_rows(x, carries, C, [&](const float* xr, const float* prev, size_t o) {
    for (int j = 0; j < n_out; j++) {
      const float* m = mix[j];
      float* dst = out[j] + o;
      for (int i = 0; i < C; i++) dst[i] = xr[i] * m[i] + prev[i] * (1.0f - m[i]);
    }
  });
}

void shift_delta(const float* x, const StatePart& carries, int C, float* dx) {
  shift_rows(x, carries, C, [&](const float* xr, const float* prev, size_t o) {
    for (int i = 0; i < C; i++) dx[o + size_t(i)] = prev[i] - xr[i];
  });
}

void lerp(const float* x, const float* dx, const float* m, int T, int C, float* out) {
  for (int t = 0; t < T; t++) {
    const size_t o = size_t(t) * C;
    for (int i = 0; i < C; i++) out[o + i] = x[o + i] + dx[o + i] * m[i];
  }
}

void l2_normalize_groups(float* x, int T, int C, int N, float eps) {
  for (size_t g = 0; g < size_t(T) * size_t(C / N); g++) {
    float* p = x + g * size_t(N);
    float ss = 0;
    for (int i = 0; i < N; i++) ss += p[i] * p[i];
    const float scale = 1.0f / std::max(std::sqrt(ss), eps);
    for (int i = 0; i < N; i++) p[i] *= scale;
  }
}

}  // namespace rwkv::cpu
