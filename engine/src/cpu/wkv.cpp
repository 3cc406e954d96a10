#include "cpu/wkv.h"

#include "cpu/ops.h"

namespace rwkv::cpu {

namespace {

// Runs fn(b, h) for every stream and head, on the pool when the pass is big enough to pay
// for it.
template <class Fn>
void for_heads(ThreadPool& pool, int B, int T, int H, int N, const Fn& fn) {
  const int n = B * H;
  const double work = double(T) * n * N * N;
  if (n > 1 && pool.size() > 1 && work >= double(1 << 15)) {
    pool.parallel_for(n, [&](int i) { fn(i / H, i % H); });
  } else {
    for (int i = 0; i < n; i++) fn(i / H, i % H);
  }
}

}  // namespace

void wkv5(ThreadPool& pool, int T, int H, int N, const float* r, const float* k, const float* v,
          const float* w, size_t w_stride, const float* u, const StatePart& S, float* y) {
  const size_t C = size_t(H) * size_t(N);
  for_heads(pool, S.B(), T, H, N, [&](int b, int h) {
    const size_t off = size_t(h) * size_t(N);
    float* s = S.at(b) + off * size_t(N);
    const float* uh = u + off;
    for (int t = 0; t < T; t++) {
      const size_t at = size_t(b) * size_t(T) + size_t(t), row = at * C + off;
      const float *rt = r + row, *kt = k + row, *vt = v + row, *wt = w + at * w_stride + off;
      float* yt = y + row;
      for (int j = 0; j < N; j++) yt[j] = 0;
      for (int i = 0; i < N; i++) {
        float* si = s + size_t(i) * size_t(N);
        const float ri = rt[i], ki = kt[i], ui = uh[i], wi = wt[i];
        for (int j = 0; j < N; j++) {
          const float kv = ki * vt[j];
          yt[j] += ri * (ui * kv + si[j]);
          si[j] = wi * si[j] + kv;
        }
      }
    }
  });
}

void wkv7(ThreadPool& pool, int T, int H, int N, const float* r, const float* w, const float* k,
          const float* v, const float* a, const float* b, const StatePart& S, float* y) {
  const size_t C = size_t(H) * size_t(N);
  for_heads(pool, S.B(), T, H, N, [&](int stream, int h) {
    const size_t off = size_t(h) * size_t(N);
    float* s = S.at(stream) + off * size_t(N);
    for (int t = 0; t < T; t++) {
      const size_t row = (size_t(stream) * size_t(T) + size_t(t)) * C + off;
      const float *rt = r + row, *wt = w + row, *kt = k + row, *vt = v + row, *at = a + row,
                  *bt = b + row;
      for (int i = 0; i < N; i++) {
        float* si = s + size_t(i) * size_t(N);
        const float sa = dot(si, at, N), vi = vt[i];
        for (int j = 0; j < N; j++) si[j] = si[j] * wt[j] + vi * kt[j] + sa * bt[j];
        y[row + size_t(i)] = dot(si, rt, N);
      }
    }
  });
}

}  // namespace rwkv::cpu
