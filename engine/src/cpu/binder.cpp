#include "cpu/binder.h"

#include <cstring>

#include "tensor/quantize.h"

namespace rwkv::cpu {

Binder::Binder(TensorMap& m, const LoadOptions& opts)
    : arch::Binder(m), store_(m), quantize_head_(opts.quantize_head), dequantize_(opts.dequantize) {
  if (opts.quantize) quantize_ = quantized_type(*opts.quantize);
}

float* Binder::keep(const std::vector<float>& values) {
  float* p = reinterpret_cast<float*>(store_.allocate(values.size() * sizeof(float)));
  std::memcpy(p, values.data(), values.size() * sizeof(float));
  return p;
}

Matrix Binder::bind(const std::string& name, int rows, int cols, float scale) {
  const Tensor& t = matrix_tensor(name, rows, cols);
  Matrix mat;
  mat.rows = rows;
  mat.cols = cols;
  mat.data = t.data;
  const bool whole_blocks = size_t(cols) % kQuantBlock == 0;
  if (scale == 1.0f && !dtype_is_quantized(t.dtype)) {
    if (quantize_ && whole_blocks && (name != "head.weight" || quantize_head_)) return quantized(t, mat, *quantize_);
    mat.type = t.dtype;
    return mat;
  }
  if (scale == 1.0f && whole_blocks && !dequantize_) return mat.type = t.dtype, mat;
  // Rescaled, or quantized where the kernels cannot take the blocks: converted once at load,
  // exactly (see README: weight storage).
  float* p = reinterpret_cast<float*>(store_.allocate(size_t(t.numel()) * sizeof(float)));
  tensor_to_f32(t, p);
  if (scale != 1.0f)
    for (size_t i = 0; i < size_t(t.numel()); i++) p[i] *= scale;
  mat.type = DType::F32;
  mat.data = p;
  return mat;
}

Matrix Binder::quantized(const Tensor& t, Matrix mat, DType to) {
  uint8_t* out = store_.allocate(size_t(mat.rows) * dtype_row_bytes(to, size_t(mat.cols)));
  quantize_rows(t, size_t(mat.rows), size_t(mat.cols), to, out);
  mat.type = to;
  mat.data = out;
  return mat;
}

std::vector<Matrix> Binder::stack(const std::vector<std::string>& names, int rows, int cols) {
  std::vector<Matrix> out;
  for (const auto& n : names) out.push_back(matrix(n, rows, cols));
  return out;
}

std::vector<Matrix> Binder::transposed(const std::string& name, int count, int rows, int cols) {
  const float* d = keep(host_transposed(name, count, rows, cols));
  tally(uint64_t(count) * uint64_t(rows) * uint64_t(cols) * sizeof(float));
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
