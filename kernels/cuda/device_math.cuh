// Device-side helpers shared by the kernels: conversions between fp32 and the operand types,
// the activation functions (accurate expf, as the CPU reference uses), and warp / block sums.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "elem_type.h"

namespace rwkv::cuda {

template <class T> __device__ __forceinline__ float to_f32(T v);
template <> __device__ __forceinline__ float to_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ float to_f32<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float to_f32<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class T> __device__ __forceinline__ T from_f32(float v);
template <> __device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_f32<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
__device__ __forceinline__ float silu(float x) { return x / (1.0f + expf(-x)); }

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sums K values over the block (blockDim.x a multiple of 32); every thread gets the totals.
// Safe to call repeatedly: it waits for the previous call's readers first.
template <int K>
__device__ __forceinline__ void block_sum(float (&v)[K]) {
  __shared__ float partial[K][32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads();
  for (int k = 0; k < K; k++) {
    const float s = warp_sum(v[k]);
    if (lane == 0) partial[k][warp] = s;
  }
  __syncthreads();
  for (int k = 0; k < K; k++) {
    float s = lane < warps ? partial[k][lane] : 0.0f;
    v[k] = warp_sum(s);
  }
}

// Launches kernel<T> with T the device type of `type` (float, __half or __nv_bfloat16).
#define RWKV_DISPATCH_ELEM(type, T, ...)                  \
  switch (type) {                                         \
    case ::rwkv::cuda::ElemType::F32: {                   \
      using T = float;                                    \
      __VA_ARGS__;                                        \
    } break;                                              \
    case ::rwkv::cuda::ElemType::F16: {                   \
      using T = __half;                                   \
      __VA_ARGS__;                                        \
    } break;                                              \
    case ::rwkv::cuda::ElemType::BF16: {                  \
      using T = __nv_bfloat16;                            \
      __VA_ARGS__;                                        \
    } break;                                              \
  }

}  // namespace rwkv::cuda
