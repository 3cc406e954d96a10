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

#include "rwkv/dtype.h"

namespace rwkv::cpu {

using rwkv::DType;  // the weight types (rwkv/dtype.h), which index the kernel tables

using RowsFn = void (*)(const void* w, size_t k, int o0, int o1, const float* x, size_t ldx,
                        int t, float* y, size_t ldy);

// The bf16 products: round() writes t tokens' activations as bf16 (to nearest even), each row
// padded with zeros to bf16_row(k) values, once per product; rows() reads them for any range
// of rows (each thread its own).
using Bf16RowsFn = void (*)(const void* w, size_t k, int o0, int o1, const uint16_t* xb, int t, float* y,
                            size_t ldy);
struct Bf16Kernels {
  void (*round)(const float* x, size_t k, size_t ldx, int t, uint16_t* xb);
  Bf16RowsFn rows;
};
constexpr size_t bf16_row(size_t k) { return (k + 31) / 32 * 32; }

struct MatmulKernels {
  const char* isa;             // "avx512", "avx2" or "generic"
  RowsFn rows[kDTypeCount];   // indexed by DType
  // bf16 weights against activations rounded to bf16 (LoadOptions::bf16_products), summed in
  // fp32: the AVX-512 set on a CPU with AVX-512 BF16, else null (the BF16 row then serves).
  const Bf16Kernels* bf16_products = nullptr;
};

const MatmulKernels& matmul_kernels();
// For tests and benchmarks: the kernels of one instruction set, or nullptr if this CPU lacks it.
const MatmulKernels* matmul_kernels_for(const char* isa);

namespace detail {
extern const MatmulKernels kGeneric;
extern const MatmulKernels kAvx2;
extern const MatmulKernels kAvx512;
extern const Bf16Kernels kBf16Products;
}  // namespace detail

}  // namespace rwkv::cpu
