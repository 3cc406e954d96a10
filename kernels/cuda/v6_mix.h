// RWKV-6's data-dependent token shift, second step (docs/REFERENCE.md, RWKV-6): with xx, dx from
// the fused LayerNorm + shift and m_j the low-rank products,
//   out_j = xx + dx * (maa_j + m_j)   for j = w, k, v, r, g.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>

#include "elem_type.h"

namespace rwkv::cuda {

struct V6MixArgs {
  int rows = 0, C = 0;
  const float* xx = nullptr;     // [rows, C]
  const float* dx = nullptr;
  const float* m = nullptr;      // 5 slabs [rows, C], slab j at m + j*slab
  const float* maa[5] = {};      // [C] each
  void* out = nullptr;           // 5 slabs in the operand type, slab j at out + j*slab
  size_t slab = 0;               // elements between slabs
};
cudaError_t v6_mix(const V6MixArgs& a, ElemType type, cudaStream_t s);

}  // namespace rwkv::cuda
