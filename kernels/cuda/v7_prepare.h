// RWKV-7's per-token quantities between the projections and the recurrence (docs/REFERENCE.md,
// RWKV-7), one warp per (row, head), in place on the fp32 projections:
//   w := exp(-e^-0.5 sigmoid(w0 + w));  a = sigmoid(a0 + a)
//   kk = L2normalize_per_head(k * k_k);  k := k * (1 + (a - 1) * k_a)
//   a := kk * a (the recurrence's b);  neg_kk := -kk (its a)
//   layer 0: v_first := v;  later layers: v += (v_first - v) * sigmoid(v0 + v_lora)
#pragma once
#include <cuda_runtime_api.h>

namespace rwkv::cuda {

struct V7PrepareArgs {
  int rows = 0, C = 0, N = 0;
  float* w = nullptr;             // in: the decay LoRA's output; out: the decay
  float* a = nullptr;             // in: the a LoRA's output; out: kk * a
  float* k = nullptr;
  float* neg_kk = nullptr;        // out
  float* v = nullptr;
  const float* v_lora = nullptr;  // null in layer 0
  float* v_first = nullptr;
  const float* w0 = nullptr;      // [C] each
  const float* a0 = nullptr;
  const float* k_k = nullptr;
  const float* k_a = nullptr;
  const float* v0 = nullptr;
};
cudaError_t v7_prepare(const V7PrepareArgs& a, cudaStream_t s);

}  // namespace rwkv::cuda
