// Copies a model's canonical tensors to the device, checking each name and shape: matrices
// in the operand type (converted and scaled on the host when they differ; quantized ones
// dequantized first), vectors in fp32.
#pragma once
#include <string>
#include <vector>

#include "cuda/blas.h"
#include "rwkv/tensor.h"

namespace rwkv::cuda {

class Uploader {
 public:
  Uploader(const TensorMap& m, ElemType type, DevicePool& pool) : m_(m), type_(type), pool_(pool) {}
  bool has(const std::string& name) const { return m_.has(name); }
  const std::vector<int64_t>& shape(const std::string& name) const { return m_.get(name).shape; }

  // A [rows, cols] matrix, times `scale`.
  DeviceMatrix matrix(const std::string& name, int rows, int cols, float scale = 1.0f);
  // Several [rows, cols] matrices stored one after another, for one stacked product.
  DeviceMatrix stack(const std::vector<std::string>& names, int rows, int cols);
  // The transpose of a [cols, rows] tensor, as [rows, cols] (low-rank factors are stored
  // [in, out]); count > 1: a [count, cols, rows] tensor gives count stacked matrices.
  DeviceMatrix transposed(const std::string& name, int count, int rows, int cols);
  // n values whatever the shape ([C] or [1,1,C]), in fp32.
  float* vec(const std::string& name, size_t n);
  float* vec(const std::vector<float>& values, const std::string& what);
  // n values of a tensor in fp32 on the host (for vectors derived at load).
  std::vector<float> host_vec(const std::string& name, size_t n) const;

 private:
  void put(const Tensor& t, void* dst, float scale);
  const TensorMap& m_;
  ElemType type_;
  DevicePool& pool_;
};

}  // namespace rwkv::cuda
