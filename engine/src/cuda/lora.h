// The low-rank products (arch/lora.h) on the GPU: two matrix products with the activation
// between.
#pragma once
#include "arch/lora.h"
#include "cuda/exec.h"
#include "cuda/upload.h"

namespace rwkv::cuda {

using Lora = arch::Lora<Uploader>;

// y[rows, C_out] = B f(A x[rows, C_in]) (x in the operand type); mid and mid_op hold
// rows * l.rank() values.
void run_lora(const Exec& e, const Lora& l, const void* x, int rows, float* mid, void* mid_op, float* y);

}  // namespace rwkv::cuda
