#include "cpu/binder.h"

#include <algorithm>
#include <cstring>

#include "kernels/half.h"
#include "rwkv/log.h"
#include "tensor/quantize.h"

namespace rwkv::cpu {

Binder::Binder(TensorMap& m, const LoadOptions& opts)
    : arch::Binder(m), store_(m), quantize_head_(opts.quantize_head), dequantize_(opts.dequantize),
      bf16_(opts.bf16_products) {
  if (opts.quantize) quantize_ = quantized_type(*opts.quantize);
  if (bf16_ && !matmul_kernels().bf16_products)
    log(LogLevel::Warning, std::string("bf16 products: this CPU has no AVX-512 BF16 (kernels: ") + matmul_kernels().isa +
                               "); the bf16 weights run against fp32 activations");
}

Matrix Binder::bf16_copy(const Tensor& t, Matrix mat, float scale) {
  // Where the CPU lacks AVX-512 BF16 the exact BF16 kernel reads them (fp32 activations).
  mat.bf16_x = matmul_kernels().bf16_products != nullptr;
  mat.type = DType::BF16;
  if (t.dtype == DType::BF16 && scale == 1.0f) return mat;
  uint16_t* out = reinterpret_cast<uint16_t*>(store_.allocate(size_t(t.numel()) * 2));
  std::vector<float> chunk;
  const uint64_t n = uint64_t(t.numel()), step = uint64_t(1) << 20;
  for (uint64_t first = 0; first < n; first += step) {
    chunk.resize(size_t(std::min(step, n - first)));
    tensor_to_f32(t, chunk.data(), first, chunk.size());
    for (size_t i = 0; i < chunk.size(); i++) out[first + i] = float_to_bf16(chunk[i] * scale);
  }
  mat.data = out;
  return mat;
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
    if (bf16_) return bf16_copy(t, mat, 1.0f);
    mat.type = t.dtype;
    return mat;
  }
  if (scale == 1.0f && whole_blocks && !dequantize_) return mat.type = t.dtype, mat;
  if (bf16_) return bf16_copy(t, mat, scale);
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
