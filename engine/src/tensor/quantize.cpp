#include "tensor/quantize.h"

#include <string>
#include <vector>

#include "kernels/quant_blocks.h"
#include "rwkv/error.h"

namespace rwkv {

DType quantized_type(DType t) {
  if (!dtype_is_quantized(t))
    throw Error(std::string("quantize: '") + dtype_name(t) + "' is not a quantized type (" + dtype_names(true) + ")");
  return t;
}

void quantize_rows(const Tensor& t, size_t rows, size_t cols, DType to, uint8_t* out) {
  const size_t row_bytes = dtype_row_bytes(to, cols), block_bytes = dtype_block_bytes(to);
  std::vector<float> row(cols);
  for (size_t r = 0; r < rows; r++) {
    tensor_to_f32(t, row.data(), r * cols, cols);
    for (size_t b = 0; b < cols / kQuantBlock; b++)
      quant::encode_block(to, row.data() + b * kQuantBlock, out + r * row_bytes + b * block_bytes);
  }
}

}  // namespace rwkv
