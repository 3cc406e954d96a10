// The tolerance of quantized models against their dequantized weights (white-box: it knows
// which kernels run).
#pragma once
#include <algorithm>
#include <cstring>

#include "kernels/cpu/matmul_kernels.h"

namespace testing {

// How far a quantized model may be from the same model on its dequantized fp32 weights.
// Both run the same 8-float-lane kernels on AVX2 and generic CPUs, and the quantized ones
// decode each block exactly, so the results are equal. On AVX-512 the fp32 kernels use
// 16-float lanes while the quantized ones are AVX2's: the sums differ in fp32 rounding order
// only, about k * 2^-24 of the largest term each, far below 1e-5 of the logits' scale.
inline float quantized_tolerance(float scale) {
  return std::strcmp(rwkv::cpu::matmul_kernels().isa, "avx512") == 0 ? 1e-5f * std::max(1.0f, scale) : 0.0f;
}

}  // namespace testing
