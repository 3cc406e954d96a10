#include "device_math.cuh"
#include "wkv_dispatch.cuh"
#include "wkv_heads.h"

namespace rwkv::cuda {

namespace {

// Tokens staged in shared memory at a time (six N-vectors per token; 48 KiB at most).
template <int N>
constexpr int kTile = N >= 128 ? 8 : 16;

template <int N>
__global__ void __launch_bounds__(N) wkv7_kernel(Wkv7Args a) {
  static_assert(N % 4 == 0, "state rows are moved as float4");
  constexpr int kT = kTile<N>;
  const int h = blockIdx.x, b = blockIdx.y, i = threadIdx.x;
  const size_t col = size_t(h) * N + i;
  float4* row = reinterpret_cast<float4*>(a.S + size_t(b) * a.state_stride + (size_t(h) * N + i) * N);
  float s[N];  // row i of the head's state: s[j] = S[i][j]
#pragma unroll
  for (int q = 0; q < N / 4; q++) {
    const float4 f = row[q];
    s[4 * q] = f.x;
    s[4 * q + 1] = f.y;
    s[4 * q + 2] = f.z;
    s[4 * q + 3] = f.w;
  }

  __shared__ float sr[kT][N], sw[kT][N], sk[kT][N], sv[kT][N], sa[kT][N], sb[kT][N];
  for (int t0 = 0; t0 < a.T; t0 += kT) {
    const int n = min(kT, a.T - t0);
    __syncthreads();  // the previous tile is consumed
    for (int tt = 0; tt < n; tt++) {
      const size_t e = (size_t(b) * a.T + t0 + tt) * a.C + col;
      sr[tt][i] = a.r[e];
      sw[tt][i] = a.w[e];
      sk[tt][i] = a.k[e];
      sv[tt][i] = a.v[e];
      sa[tt][i] = a.a[e];
      sb[tt][i] = a.b[e];
    }
    __syncthreads();
    for (int tt = 0; tt < n; tt++) {
      float dot_a = 0;
#pragma unroll
      for (int j = 0; j < N; j++) dot_a += s[j] * sa[tt][j];
      const float vi = sv[tt][i];
      float y = 0;
#pragma unroll
      for (int j = 0; j < N; j++) {
        s[j] = s[j] * sw[tt][j] + vi * sk[tt][j] + dot_a * sb[tt][j];
        y += s[j] * sr[tt][j];
      }
      a.y[(size_t(b) * a.T + t0 + tt) * a.C + col] = y;
    }
  }
#pragma unroll
  for (int q = 0; q < N / 4; q++) row[q] = make_float4(s[4 * q], s[4 * q + 1], s[4 * q + 2], s[4 * q + 3]);
}

}  // namespace

cudaError_t wkv7(const Wkv7Args& a, cudaStream_t s) {
  if (a.B == 0 || a.T == 0) return cudaSuccess;
  const dim3 grid(unsigned(a.C / a.N), unsigned(a.B));
  RWKV_DISPATCH_HEAD_SIZE(a.N, N, wkv7_kernel<N><<<grid, N, 0, s>>>(a));
  return cudaGetLastError();
}

}  // namespace rwkv::cuda
