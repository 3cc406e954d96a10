#include "arch/weights.h"

#include "rwkv/error.h"

namespace rwkv {

std::string layer_name(int layer, const char* suffix) {
  return "blocks." + std::to_string(layer) + "." + suffix;
}

cpu::Matrix WeightBinder::matrix(const std::string& name, int rows, int cols) {
  const Tensor& t = m_.get(name);
  if (t.shape.size() != 2 || t.shape[0] != rows || t.shape[1] != cols)
    throw Error("tensor '" + name + "' has shape " + t.shape_str() + ", expected [" +
                std::to_string(rows) + ", " + std::to_string(cols) + "]");
  cpu::Matrix mat;
  mat.rows = rows;
  mat.cols = cols;
  switch (t.dtype) {
    case DType::F32: mat.type = cpu::WeightType::F32; mat.data = t.data; break;
    case DType::F16: mat.type = cpu::WeightType::F16; mat.data = t.data; break;
    case DType::BF16: mat.type = cpu::WeightType::BF16; mat.data = t.data; break;
    default: {
      // Quantized: dequantized once at load, exactly (see README: weight storage).
      float* p = reinterpret_cast<float*>(m_.allocate(size_t(t.numel()) * 4));
      tensor_to_f32(t, p);
      mat.type = cpu::WeightType::F32;
      mat.data = p;
    }
  }
  return mat;
}

cpu::Matrix WeightBinder::transposed(const std::string& name, int rows, int cols) {
  return transposed(name, 1, rows, cols).front();
}

std::vector<cpu::Matrix> WeightBinder::transposed(const std::string& name, int count, int rows, int cols) {
  const Tensor& t = m_.get(name);
  std::vector<int64_t> want = {cols, rows};
  if (count > 1) want.insert(want.begin(), count);
  if (t.shape != want) {
    Tensor expected;
    expected.shape = want;
    throw Error("tensor '" + name + "' has shape " + t.shape_str() + ", expected " + expected.shape_str());
  }
  const std::vector<float> src = tensor_to_f32(t);
  float* dst = reinterpret_cast<float*>(m_.allocate(src.size() * 4));
  const size_t R = size_t(rows), K = size_t(cols);
  std::vector<cpu::Matrix> out;
  for (size_t b = 0; b < size_t(count); b++) {
    float* d = dst + b * R * K;
    const float* s = src.data() + b * R * K;
    for (size_t i = 0; i < K; i++)
      for (size_t j = 0; j < R; j++) d[j * K + i] = s[i * R + j];
    cpu::Matrix mat;
    mat.rows = rows;
    mat.cols = cols;
    mat.data = d;
    out.push_back(mat);
  }
  return out;
}

std::vector<float> WeightBinder::vec(const std::string& name, size_t n) {
  const Tensor& t = m_.get(name);
  if (uint64_t(t.numel()) != n)
    throw Error("tensor '" + name + "' has shape " + t.shape_str() + ", expected " +
                std::to_string(n) + " values");
  return tensor_to_f32(t);
}

}  // namespace rwkv
