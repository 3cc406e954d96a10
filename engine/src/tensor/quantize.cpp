#include "tensor/quantize.h"

#include <string>
#include <vector>

#include "kernels/quant_blocks.h"
#include "rwkv/error.h"

namespace rwkv {

cpu::WeightType weight_type(DType t) {
  switch (t) {
    case DType::F32: return cpu::WeightType::F32;
    case DType::F16: return cpu::WeightType::F16;
    case DType::BF16: return cpu::WeightType::BF16;
    case DType::Q8_0: return cpu::WeightType::Q8_0;
    case DType::Q4_0: return cpu::WeightType::Q4_0;
    case DType::Q4_1: return cpu::WeightType::Q4_1;
    case DType::Q5_0: return cpu::WeightType::Q5_0;
    case DType::Q5_1: return cpu::WeightType::Q5_1;
  }
  return cpu::WeightType::F32;
}

cpu::WeightType quantized_type(DType t) {
  if (!dtype_is_quantized(t))
    throw Error(std::string("quantize: '") + dtype_name(t) + "' is not a quantized type (q8_0, q5_1, q5_0, q4_1 or q4_0)");
  return weight_type(t);
}

void quantize_rows(const Tensor& t, size_t rows, size_t cols, cpu::WeightType to, uint8_t* out) {
  const size_t row_bytes = cpu::weight_row_bytes(to, cols), block_bytes = cpu::weight_block_bytes(to);
  std::vector<float> row(cols);
  for (size_t r = 0; r < rows; r++) {
    tensor_to_f32(t, row.data(), r * cols, cols);
    for (size_t b = 0; b < cols / cpu::kQuantBlock; b++)
      quant::encode_block(to, row.data() + b * cpu::kQuantBlock, out + r * row_bytes + b * block_bytes);
  }
}

}  // namespace rwkv
