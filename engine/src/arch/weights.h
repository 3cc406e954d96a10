// Binds canonical tensors to what a runner uses, checking each name and shape: vectors as
// fp32, matrices in place (fp32/fp16/bf16) or dequantized to fp32 when quantized.
#pragma once
#include <string>
#include <vector>

#include "cpu/linear.h"
#include "rwkv/tensor.h"

namespace rwkv {

class WeightBinder {
 public:
  explicit WeightBinder(TensorMap& m) : m_(m) {}
  bool has(const std::string& name) const { return m_.has(name); }
  // A [rows, cols] matrix; throws naming the tensor when it is missing or mis-shaped.
  cpu::Matrix matrix(const std::string& name, int rows, int cols);
  // n values whatever the shape (BlinkDL stores [1,1,C], others [C]).
  std::vector<float> vec(const std::string& name, size_t n);
  // The transpose of a [cols, rows] tensor as an fp32 [rows, cols] matrix: low-rank factors
  // are stored [in, out], matmul wants [out, in]. With count > 1 the tensor is
  // [count, cols, rows] and each leading index gives one matrix.
  cpu::Matrix transposed(const std::string& name, int rows, int cols);
  std::vector<cpu::Matrix> transposed(const std::string& name, int count, int rows, int cols);
  // A tensor's shape, for sizes the model info does not fix (e.g. low-rank dimensions).
  const std::vector<int64_t>& shape(const std::string& name) const { return m_.get(name).shape; }

 private:
  TensorMap& m_;
};

std::string layer_name(int layer, const char* suffix);  // "blocks.<l>.<suffix>"

}  // namespace rwkv
