// Quantizing a tensor's rows: one quantizer for the CPU binder (quantize at load) and
// rwkv-cli quantize.
#pragma once
#include <cstddef>
#include <cstdint>

#include "rwkv/tensor.h"

namespace rwkv {

// t itself when it is a quantization target; throws rwkv::Error naming the choices otherwise.
DType quantized_type(DType t);

// t's values as [rows, cols] (cols whole blocks) quantized to `to`, row after row, into out
// (rows * dtype_row_bytes(to, cols) bytes).
void quantize_rows(const Tensor& t, size_t rows, size_t cols, DType to, uint8_t* out);

}  // namespace rwkv
