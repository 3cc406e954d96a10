#include "device_math.cuh"
#include "wkv_dispatch.cuh"
#include "wkv_heads.h"

namespace rwkv::cuda {

namespace {

// Tokens staged in shared memory at a time: one barrier pair per tile, not per token.
constexpr int kTile = 16;

template <int N>
__global__ void __launch_bounds__(N) wkv5_kernel(Wkv5Args a) {
  const int h = blockIdx.x, b = blockIdx.y, j = threadIdx.x;
  const size_t col = size_t(h) * N + j;
  float* S = a.S + size_t(b) * a.state_stride + size_t(h) * N * N;
  float s[N];  // column j of the head's state: s[i] = S[i][j]
#pragma unroll
  for (int i = 0; i < N; i++) s[i] = S[i * N + j];

  __shared__ float sr[kTile][N], sk[kTile][N], sv[kTile][N], sw[kTile][N], su[N];
  su[j] = a.u[col];
  for (int t0 = 0; t0 < a.T; t0 += kTile) {
    const int n = min(kTile, a.T - t0);
    __syncthreads();  // the previous tile is consumed (and su is visible)
    for (int tt = 0; tt < n; tt++) {
      const size_t row = size_t(b) * a.T + t0 + tt, e = row * a.C + col;
      sr[tt][j] = a.r[e];
      sk[tt][j] = a.k[e];
      sv[tt][j] = a.v[e];
      float w = a.w[row * a.w_stride + col];
      if (a.w_bias) w = expf(-expf(a.w_bias[col] + w));
      sw[tt][j] = w;
    }
    __syncthreads();
    for (int tt = 0; tt < n; tt++) {
      const float vj = sv[tt][j];
      float y = 0;
#pragma unroll
      for (int i = 0; i < N; i++) {
        const float kv = sk[tt][i] * vj;
        y += sr[tt][i] * (su[i] * kv + s[i]);
        s[i] = sw[tt][i] * s[i] + kv;
      }
      a.y[(size_t(b) * a.T + t0 + tt) * a.C + col] = y;
    }
  }
#pragma unroll
  for (int i = 0; i < N; i++) S[i * N + j] = s[i];
}

}  // namespace

cudaError_t wkv5(const Wkv5Args& a, cudaStream_t s) {
  if (a.B == 0 || a.T == 0) return cudaSuccess;
  const dim3 grid(unsigned(a.C / a.N), unsigned(a.B));
  RWKV_DISPATCH_HEAD_SIZE(a.N, N, wkv5_kernel<N><<<grid, N, 0, s>>>(a));
  return cudaGetLastError();
}

}  // namespace rwkv::cuda
