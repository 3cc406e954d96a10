#include "device_math.cuh"
#include "v6_mix.h"

namespace rwkv::cuda {

namespace {

template <class OutT>
__global__ void v6_mix_kernel(V6MixArgs a) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= size_t(a.rows) * a.C) return;
  const int c = int(i % size_t(a.C));
  const float xx = a.xx[i], dx = a.dx[i];
  OutT* out = static_cast<OutT*>(a.out);
#pragma unroll
  for (int j = 0; j < 5; j++) out[j * a.slab + i] = from_f32<OutT>(xx + dx * (a.maa[j][c] + a.m[j * a.slab + i]));
}

}  // namespace

cudaError_t v6_mix(const V6MixArgs& a, ElemType type, cudaStream_t s) {
  const size_t n = size_t(a.rows) * size_t(a.C);
  if (n == 0) return cudaSuccess;
  constexpr int kThreads = 256;
  RWKV_DISPATCH_ELEM(type, T, v6_mix_kernel<T><<<unsigned((n + kThreads - 1) / kThreads), kThreads, 0, s>>>(a));
  return cudaGetLastError();
}

}  // namespace rwkv::cuda
