// The CPU backend's binder (arch/binder.h): vectors as fp32 host vectors, matrices used in
// place from the checkpoint's memory (fp32/fp16/bf16, or quantized blocks that the kernels
// read as they are), quantized at load when LoadOptions::quantize asks, and converted once
// to fp32 where the kernels cannot take them (a rescale, rows that are not whole blocks,
// LoadOptions::dequantize), or rounded to bf16 with LoadOptions::bf16_products; a Stack is
// its matrices side by side.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "arch/binder.h"
#include "cpu/linear.h"
#include "rwkv/model.h"

namespace rwkv::cpu {

class Binder : public arch::Binder {
 public:
  using Vec = std::vector<float>;
  using Mat = Matrix;
  using Stack = std::vector<Matrix>;

  Binder(TensorMap& m, const LoadOptions& opts);
  Vec vec(const std::string& name, size_t n) { return vec(host_vec(name, n), name); }
  Vec vec(std::vector<float> values, const std::string&) {
    tally(values.size() * sizeof(float));
    return values;
  }
  Mat matrix(const std::string& name, int rows, int cols, float scale = 1.0f) {
    const Matrix m = bind(name, rows, cols, scale);
    tally(m.bytes());
    return m;
  }
  Stack stack(const std::vector<std::string>& names, int rows, int cols);
  Mat transposed(const std::string& name, int rows, int cols) { return transposed(name, 1, rows, cols).front(); }
  Stack transposed(const std::string& name, int count, int rows, int cols);

 private:
  Matrix bind(const std::string& name, int rows, int cols, float scale);
  float* keep(const std::vector<float>& values);  // a copy the tensor map owns
  Matrix quantized(const Tensor& t, Matrix mat, DType to);
  Matrix bf16_copy(const Tensor& t, Matrix mat, float scale);  // LoadOptions::bf16_products
  TensorMap& store_;
  std::optional<DType> quantize_;
  bool quantize_head_, dequantize_, bf16_;
};

}  // namespace rwkv::cpu
