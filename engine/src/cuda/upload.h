// The CUDA backend's binder (arch/binder.h): copies a model's canonical tensors to the
// device, matrices in the operand type (converted and scaled on the host when they differ;
// quantized ones dequantized first), vectors in fp32; a Stack is one allocation of matrices
// one after another, for one stacked product.
#pragma once
#include <string>
#include <vector>

#include "arch/binder.h"
#include "cuda/blas.h"

namespace rwkv::cuda {

class Uploader : public arch::Binder {
 public:
  using Vec = const float*;
  using Mat = DeviceMatrix;
  using Stack = DeviceMatrix;

  Uploader(const TensorMap& m, ElemType type, DevicePool& pool) : arch::Binder(m), type_(type), pool_(pool) {}

  // A [rows, cols] matrix, times `scale`.
  DeviceMatrix matrix(const std::string& name, int rows, int cols, float scale = 1.0f);
  // Several [rows, cols] matrices stored one after another, for one stacked product.
  DeviceMatrix stack(const std::vector<std::string>& names, int rows, int cols);
  // The transpose of a [cols, rows] tensor, as [rows, cols] (low-rank factors are stored
  // [in, out]); count > 1: a [count, cols, rows] tensor gives count stacked matrices.
  DeviceMatrix transposed(const std::string& name, int count, int rows, int cols);
  DeviceMatrix transposed(const std::string& name, int rows, int cols) { return transposed(name, 1, rows, cols); }
  // n values whatever the shape ([C] or [1,1,C]), in fp32.
  float* vec(const std::string& name, size_t n);
  float* vec(const std::vector<float>& values, const std::string& what);

 private:
  void put(const Tensor& t, void* dst, float scale);
  ElemType type_;
  DevicePool& pool_;
};

}  // namespace rwkv::cuda
