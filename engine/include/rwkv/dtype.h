// Weight types: one enum and one descriptor table. Names, sizes, file codes and the CPU
// kernels' row (kernels/cpu/matmul_kernels.h indexes its tables by DType) all derive from
// kDTypes; a new type is a row here, its block layout in kernels/quant_blocks.h and its
// kernels. Header-only and free of the rest of the API, so the kernels can use it too.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rwkv {

// The values are written nowhere (files carry their own codes, below), but a model's
// fingerprint hashes them: append, never reorder.
enum class DType : uint8_t { F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 };

struct DTypeInfo {
  DType type;
  const char* name;      // "fp32", "q5_1", ...
  uint8_t block_values;  // values per block: 1 for the plain types, 32 for ggml's blocks
  uint8_t block_bytes;   // bytes per block (per value for plain types)
  // Block types start with an fp16 scale d, then (has_min) an fp16 minimum m, then
  // (high_bits) a u32 of each value's fifth bit, then the codes (kernels/quant_blocks.h).
  bool has_min, high_bits;
  uint8_t code_bits;    // bits of a block's integer codes (0 for plain types)
  int8_t zero;          // the code that stands for 0 in the symmetric types (value = (q - zero) d)
  int16_t rwkvcpp_code; // its type code in rwkv.cpp files; -1: none
  int16_t gguf_code;    // its ggml type in GGUF files
};

inline constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "fp32", 1, 4, false, false, 0, 0, 0, 0},
    {DType::F16, "fp16", 1, 2, false, false, 0, 0, 1, 1},
    {DType::BF16, "bf16", 1, 2, false, false, 0, 0, -1, 30},
    {DType::Q4_0, "q4_0", 32, 18, false, false, 4, 8, 2, 2},
    {DType::Q4_1, "q4_1", 32, 20, true, false, 4, 0, 3, 3},
    {DType::Q5_0, "q5_0", 32, 22, false, true, 5, 16, 7, 6},
    {DType::Q5_1, "q5_1", 32, 24, true, true, 5, 0, 8, 7},
    {DType::Q8_0, "q8_0", 32, 34, false, false, 8, 0, 9, 8},
};
inline constexpr int kDTypeCount = int(sizeof(kDTypes) / sizeof(kDTypes[0]));

constexpr const DTypeInfo& dtype_info(DType t) { return kDTypes[size_t(t)]; }
constexpr bool dtype_is_quantized(DType t) { return dtype_info(t).block_values > 1; }
constexpr size_t dtype_block_size(DType t) { return dtype_info(t).block_values; }
constexpr size_t dtype_block_bytes(DType t) { return dtype_info(t).block_bytes; }
// Bytes of one row of k values (k a whole number of blocks).
constexpr size_t dtype_row_bytes(DType t, size_t k) { return k / dtype_block_size(t) * dtype_block_bytes(t); }

static_assert([] {
  for (int i = 0; i < kDTypeCount; i++)
    if (int(kDTypes[i].type) != i) return false;
  return true;
}(), "kDTypes is indexed by DType");

// The quantized block's size: every block type holds 32 values.
inline constexpr size_t kQuantBlock = 32;

}  // namespace rwkv
