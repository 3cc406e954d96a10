// The RWKV-4 recurrence (docs/REFERENCE.md, RWKV-4) scanned over T tokens for B streams in one
// launch: a thread per (stream, channel) carries aa, bb, pp through the tokens.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>

#include "elem_type.h"

namespace rwkv::cuda {

struct Wkv4Args {
  int B = 0, T = 0, C = 0;
  const float* r = nullptr;       // [B*T, C] each, the projections (before sigmoid for r)
  const float* k = nullptr;
  const float* v = nullptr;
  const float* decay = nullptr;   // [C], -exp(time_decay)
  const float* first = nullptr;   // [C], time_first
  float* aa = nullptr;            // stream 0's aa; bb = aa + C, pp = aa + 2C; stream b at + b*state_stride
  size_t state_stride = 0;
  void* y = nullptr;              // [B*T, C] sigmoid(r) * wkv, in the operand type
};
cudaError_t wkv4(const Wkv4Args& a, ElemType type, cudaStream_t s);

}  // namespace rwkv::cuda
