// The low-rank products (arch/lora.h) on the CPU: a whole chunk of tokens through two
// matrix-matrix products with the activation between.
#pragma once
#include "arch/lora.h"
#include "cpu/binder.h"

namespace rwkv::cpu {

using Lora = arch::Lora<Binder>;

// y[T, C_out] = B f(A x[T, C_in]); mid holds T * l.rank() floats.
void run_lora(ThreadPool& pool, const Lora& l, const float* x, int T, float* mid, float* y);

}  // namespace rwkv::cpu
