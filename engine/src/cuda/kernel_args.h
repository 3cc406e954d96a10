// The argument blocks every layer fills the same way for the shared kernels (norm.h).
#pragma once
#include "kernels/cuda/norm.h"
#include "arch/binder.h"
#include "cuda/upload.h"

namespace rwkv::cuda {

// ln_shift_mix over x [rows = B*T, C]: LayerNorm `ln`, the token shift carried at `carry`
// (stream 0's; stream b's carry_stride floats on per stream), in the v6/v7 form with delta.
// The caller adds the mixes and their outputs.
inline ShiftMixArgs shift_mix_args(const arch::Norm<Uploader>& ln, const float* x, int rows, int T, int C, float* carry,
                                   size_t carry_stride, bool delta) {
  ShiftMixArgs m;
  m.x = x;
  m.rows = rows;
  m.T = T;
  m.C = C;
  m.ln_w = ln.w;
  m.ln_b = ln.b;
  m.carry = carry;
  m.carry_stride = carry_stride;
  m.delta = delta;
  return m;
}

// wkv_output of y [rows, C] in heads of N: GroupNorm `ln_x` (eps), no gate yet, into out.
inline WkvOutArgs wkv_out_args(const arch::Norm<Uploader>& ln_x, const float* y, int rows, int C, int N, float eps,
                               void* out) {
  WkvOutArgs o;
  o.y = y;
  o.rows = rows;
  o.C = C;
  o.N = N;
  o.eps = eps;
  o.ln_w = ln_x.w;
  o.ln_b = ln_x.b;
  o.out = out;
  return o;
}

}  // namespace rwkv::cuda
