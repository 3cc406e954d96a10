// Checkpoint dtypes as the CPU kernels' weight types, and quantizing a tensor's rows: one
// mapping and one quantizer for the CPU binder (quantize at load), rwkv-cli quantize and the
// dequantizer in tensor.cpp.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/cpu/matmul_kernels.h"
#include "rwkv/tensor.h"

namespace rwkv {

// The kernels' type for a checkpoint's dtype (every dtype has one).
cpu::WeightType weight_type(DType t);

// The kernels' type for a quantization target; throws rwkv::Error naming the choices when t
// is not a quantized type.
cpu::WeightType quantized_type(DType t);

// t's values as [rows, cols] (cols whole blocks) quantized to `to`, row after row, into out
// (rows * cpu::weight_row_bytes(to, cols) bytes).
void quantize_rows(const Tensor& t, size_t rows, size_t cols, cpu::WeightType to, uint8_t* out);

}  // namespace rwkv
