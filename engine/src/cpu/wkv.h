// The per-head matrix-state recurrences of RWKV-5/6 and RWKV-7 (REFERENCE.md), scanned over
// a chunk of T tokens in one pass per head; heads run in parallel. Inputs are [T, C] rows
// (C = H*N, head h at columns h*N..h*N+N-1); S is the layer's H*N*N state, y is [T, C].
// Each head's arithmetic is the same whatever T, so step and chunked feeding agree exactly.
#pragma once
#include <cstddef>

#include "cpu/thread_pool.h"

namespace rwkv::cpu {

// RWKV-5/6, S[h][i][j] with i the key and j the value channel:
//   y[j] = sum_i r[i] (u[i] k[i] v[j] + S[i][j]);  S[i][j] = w[i] S[i][j] + k[i] v[j].
// w is read at w + t*w_stride (w_stride 0: one decay for every token, as in v5); u is [C].
void wkv5(ThreadPool& pool, int T, int H, int N, const float* r, const float* k, const float* v,
          const float* w, size_t w_stride, const float* u, float* S, float* y);

// RWKV-7, S[h][i][j] with i the value and j the key channel:
//   sa = sum_j S[i][j] a[j];  S[i][j] = S[i][j] w[j] + v[i] k[j] + sa b[j];  y[i] = sum_j S[i][j] r[j]
// (the model passes a = -kk and b = kk * a).
void wkv7(ThreadPool& pool, int T, int H, int N, const float* r, const float* w, const float* k,
          const float* v, const float* a, const float* b, float* S, float* y);

}  // namespace rwkv::cpu
