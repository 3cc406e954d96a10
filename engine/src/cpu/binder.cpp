#include "cpu/binder.h"

#include <cstring>

namespace rwkv::cpu {

float* Binder::keep(const std::vector<float>& values) {
  float* p = reinterpret_cast<float*>(store_.allocate(values.size() * sizeof(float)));
  std::memcpy(p, values.data(), values.size() * sizeof(float));
  return p;
}

Matrix Binder::matrix(const std::string& name, int rows, int cols, float scale) {
  const Tensor& t = matrix_tensor(name, rows, cols);
  Matrix mat;
  mat.rows = rows;
  mat.cols = cols;
  mat.data = t.data;
  if (scale == 1.0f && t.dtype == DType::F32) return mat;
  if (scale == 1.0f && t.dtype == DType::F16) return mat.type = WeightType::F16, mat;
  if (scale == 1.0f && t.dtype == DType::BF16) return mat.type = WeightType::BF16, mat;
  // Quantized or rescaled: converted once at load, exactly (see README: weight storage).
  float* p = reinterpret_cast<float*>(store_.allocate(size_t(t.numel()) * sizeof(float)));
  tensor_to_f32(t, p);
  if (scale != 1.0f)
    for (size_t i = 0; i < size_t(t.numel()); i++) p[i] *= scale;
  mat.type = WeightType::F32;
  mat.data = p;
  return mat;
}

std::vector<Matrix> Binder::stack(const std::vector<std::string>& names, int rows, int cols) {
  std::vector<Matrix> out;
  for (const auto& n : names) out.push_back(matrix(n, rows, cols));
  return out;
}

std::vector<Matrix> Binder::transposed(const std::string& name, int count, int rows, int cols) {
  const float* d = keep(host_transposed(name, count, rows, cols));
  std::vector<Matrix> out;
  for (size_t b = 0; b < size_t(count); b++) {
    Matrix mat;
    mat.rows = rows;
    mat.cols = cols;
    mat.data = d + b * size_t(rows) * size_t(cols);
    out.push_back(mat);
  }
  return out;
}

}  // namespace rwkv::cpu
