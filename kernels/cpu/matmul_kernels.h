// CPU matrix kernels: Y[t][o] = sum_k W[o][k] * X[t][k] over a block of output rows, with W
// in fp32, fp16 or bf16 (converted to fp32 in registers, accumulated in fp32) or in one of
// ggml's 32-value block formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1: integer dot products against
// activations rounded to 16 bits per block, matmul_tiles.h). Every variant sums each output
// in the same order whatever the number of tokens, so one token at a time and many at once
// (or many streams) give bit-identical results. The instruction set is chosen once at run
// time.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rwkv::cpu {

enum class WeightType { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 };
constexpr int kWeightTypes = 8;

// Quantized rows are whole blocks of 32 values; bytes per block as in ggml.
constexpr size_t kQuantBlock = 32;
constexpr size_t weight_block_bytes(WeightType t) {
  switch (t) {
    case WeightType::Q8_0: return 34;
    case WeightType::Q4_0: return 18;
    case WeightType::Q4_1: return 20;
    case WeightType::Q5_0: return 22;
    case WeightType::Q5_1: return 24;
    default: return 0;
  }
}
constexpr bool weight_is_quantized(WeightType t) { return weight_block_bytes(t) != 0; }
// Bytes of one row of k values (k a multiple of kQuantBlock for the quantized types).
constexpr size_t weight_row_bytes(WeightType t, size_t k) {
  return weight_is_quantized(t) ? k / kQuantBlock * weight_block_bytes(t) : k * (t == WeightType::F32 ? 4 : 2);
}

using RowsFn = void (*)(const void* w, size_t k, int o0, int o1, const float* x, size_t ldx,
                        int t, float* y, size_t ldy);

struct MatmulKernels {
  const char* isa;             // "avx512", "avx2" or "generic"
  RowsFn rows[kWeightTypes];   // indexed by WeightType
};

const MatmulKernels& matmul_kernels();
// For tests and benchmarks: the kernels of one instruction set, or nullptr if this CPU lacks it.
const MatmulKernels* matmul_kernels_for(const char* isa);

namespace detail {
extern const MatmulKernels kGeneric;
extern const MatmulKernels kAvx2;
extern const MatmulKernels kAvx512;
}  // namespace detail

}  // namespace rwkv::cpu
