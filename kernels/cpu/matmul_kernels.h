// CPU matrix kernels: Y[t][o] = sum_k W[o][k] * X[t][k] over a block of output rows, with W
// in fp32, fp16 or bf16 (converted on the fly, accumulated in fp32). Every variant sums each
// output in the same order whatever the number of tokens, so one token at a time and many
// at once give bit-identical results. The instruction set is chosen once at run time.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rwkv::cpu {

enum class WeightType { F32, F16, BF16 };

using RowsFn = void (*)(const void* w, size_t k, int o0, int o1, const float* x, size_t ldx,
                        int t, float* y, size_t ldy);

struct MatmulKernels {
  const char* isa;  // "avx512", "avx2" or "generic"
  RowsFn rows[3];   // indexed by WeightType
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
