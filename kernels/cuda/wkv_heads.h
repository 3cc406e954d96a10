// The per-head matrix-state recurrences of RWKV-5/6 and RWKV-7 (docs/REFERENCE.md), scanned
// over T tokens for B streams in one launch: a block per (head, stream), a thread per
// state column (v5/v6: value channel j) or row (v7: value channel i), the N state values
// it owns held in registers. Inputs are [B*T, C] fp32 rows (head h at h*N..h*N+N-1), y is
// [B*T, C] fp32; the state is fp32, laid out as State holds it (v7 rows are read as float4:
// S and state_stride must keep them 16-byte aligned).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>

namespace rwkv::cuda {

// Head sizes with a compiled kernel (the state's N values per thread live in registers).
inline bool wkv_head_size_supported(int N) { return N == 8 || N == 16 || N == 32 || N == 64 || N == 128; }
inline const char* wkv_head_sizes() { return "8, 16, 32, 64, 128"; }

// RWKV-5/6, S[h][i][j] (i key, j value):
//   y[j] = sum_i r[i] (u[i] k[i] v[j] + S[i][j]);  S[i][j] = w[i] S[i][j] + k[i] v[j]
// w is read at row*w_stride + channel (w_stride 0: one decay for all tokens, v5); with
// w_bias (v6) the decay is exp(-exp(w_bias + w)).
struct Wkv5Args {
  int B = 0, T = 0, C = 0, N = 0;
  const float* r = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  const float* w = nullptr;
  size_t w_stride = 0;
  const float* w_bias = nullptr;
  const float* u = nullptr;      // [C]
  float* S = nullptr;            // stream 0's H*N*N state; stream b's at S + b*state_stride
  size_t state_stride = 0;
  float* y = nullptr;
};
cudaError_t wkv5(const Wkv5Args& a, cudaStream_t s);

// RWKV-7, S[h][i][j] (i value, j key):
//   sa = sum_j S[i][j] a[j];  S[i][j] = S[i][j] w[j] + v[i] k[j] + sa b[j];  y[i] = sum_j S[i][j] r[j]
struct Wkv7Args {
  int B = 0, T = 0, C = 0, N = 0;
  const float* r = nullptr;
  const float* w = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  const float* a = nullptr;
  const float* b = nullptr;
  float* S = nullptr;
  size_t state_stride = 0;
  float* y = nullptr;
};
cudaError_t wkv7(const Wkv7Args& a, cudaStream_t s);

}  // namespace rwkv::cuda
