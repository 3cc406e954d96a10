// The CPU backend's binder (arch/binder.h): vectors as fp32 host vectors, matrices used in
// place from the checkpoint's memory (fp32/fp16/bf16), quantized or rescaled ones converted
// once to fp32 into memory the tensor map owns; a Stack is its matrices side by side.
#pragma once
#include <string>
#include <vector>

#include "arch/binder.h"
#include "cpu/linear.h"

namespace rwkv::cpu {

class Binder : public arch::Binder {
 public:
  using Vec = std::vector<float>;
  using Mat = Matrix;
  using Stack = std::vector<Matrix>;

  explicit Binder(TensorMap& m) : arch::Binder(m), store_(m) {}
  Vec vec(const std::string& name, size_t n) const { return host_vec(name, n); }
  Vec vec(std::vector<float> values, const std::string&) const { return values; }
  Mat matrix(const std::string& name, int rows, int cols, float scale = 1.0f);
  Stack stack(const std::vector<std::string>& names, int rows, int cols);
  Mat transposed(const std::string& name, int rows, int cols) { return transposed(name, 1, rows, cols).front(); }
  Stack transposed(const std::string& name, int count, int rows, int cols);

 private:
  float* keep(const std::vector<float>& values);  // a copy the tensor map owns
  TensorMap& store_;
};

}  // namespace rwkv::cpu
