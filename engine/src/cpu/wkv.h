// The per-head matrix-state recurrences of RWKV-5/6 and RWKV-7 (docs/REFERENCE.md), scanned over
// a chunk of T tokens of each of B streams in one pass per head; the B*H (stream, head)
// pairs run in parallel. Inputs are [B*T, C] rows, stream-major (C = H*N, head h at columns
// h*N..h*N+N-1); S is each stream's H*N*N state for the layer, y is [B*T, C]. Each head's
// arithmetic is the same whatever T and B, so step, chunked and batched feeding agree exactly.
#pragma once
#include <cstddef>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"

namespace rwkv::cpu {

// RWKV-5/6, S[h][i][j] with i the key and j the value channel:
//   y[j] = sum_i r[i] (u[i] k[i] v[j] + S[i][j]);  S[i][j] = w[i] S[i][j] + k[i] v[j].
// w is read at w + row*w_stride (w_stride 0: one decay for every token, as in v5); u is [C].
void wkv5(ThreadPool& pool, int T, int H, int N, const float* r, const float* k, const float* v,
          const float* w, size_t w_stride, const float* u, const StatePart& S, float* y);

// RWKV-7, S[h][i][j] with i the value and j the key channel:
//   sa = sum_j S[i][j] a[j];  S[i][j] = S[i][j] w[j] + v[i] k[j] + sa b[j];  y[i] = sum_j S[i][j] r[j]
// (the model passes a = -kk and b = kk * a).
void wkv7(ThreadPool& pool, int T, int H, int N, const float* r, const float* w, const float* k,
          const float* v, const float* a, const float* b, const StatePart& S, float* y);

}  // namespace rwkv::cpu
