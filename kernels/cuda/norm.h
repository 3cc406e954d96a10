// Normalisations of the CUDA backend, over rows of the [rows, C] activations, with rows
// ordered stream-major (row = b*T + t for B streams of T tokens).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>

#include "elem_type.h"

namespace rwkv::cuda {

// LayerNorm fused with the token shift: xx = LN(x[row]); prev is the previous token's
// normalised row, or the stream's carry (its state's att_x / ffn_x) for t = 0; each mix
// output is written in the operand type:
//   v4/v5 form (delta = false): out_j = xx*m_j + prev*(1 - m_j)
//   v6/v7 form (delta = true):  out_j = xx + (prev - xx)*m_j
// The carry becomes LN(x) of the stream's last token. xx and dx = prev - xx are also
// written in fp32 when asked (v6 mixes them again after its low-rank step).
struct ShiftMixArgs {
  const float* x = nullptr;
  int rows = 0, T = 1, C = 0;
  const float* ln_w = nullptr;
  const float* ln_b = nullptr;
  float* carry = nullptr;       // stream 0's carry; stream b's at carry + b*carry_stride
  size_t carry_stride = 0;
  bool delta = false;
  int n_out = 0;                // at most kMaxMixes
  static constexpr int kMaxMixes = 6;
  const float* mix[kMaxMixes] = {};
  void* out[kMaxMixes] = {};    // [rows, C] each, in `type`
  float* xx_out = nullptr;      // optional
  float* dx_out = nullptr;      // optional
};
cudaError_t ln_shift_mix(const ShiftMixArgs& a, ElemType type, cudaStream_t s);

// out[i] = LN(x[first + i*stride]) for i < n (fp32 in, `type` out); ln0 and ln_out.
cudaError_t layer_norm_rows(const float* x, size_t first, size_t stride, int n, int C, const float* w,
                            const float* b, void* out, ElemType type, cudaStream_t s);

// The time mix's output stage: per head, GroupNorm (ln_x) of the recurrence's output y,
// then (v7) + (sum_i r_i k_i r_k_i) * v, then the gate, written in the operand type.
enum class Gate { None, Silu, Plain };
struct WkvOutArgs {
  const float* y = nullptr;
  int rows = 0, C = 0, N = 0;
  float eps = 0;
  const float* ln_w = nullptr;
  const float* ln_b = nullptr;
  Gate gate = Gate::None;
  const float* g = nullptr;     // [rows, C]
  const float* r_k = nullptr;   // [C]; with it, the v7 bonus from r, k, v ([rows, C] each)
  const float* r = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  void* out = nullptr;
};
cudaError_t wkv_output(const WkvOutArgs& a, ElemType type, cudaStream_t s);

}  // namespace rwkv::cuda
