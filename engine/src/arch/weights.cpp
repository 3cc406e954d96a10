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

std::vector<float> WeightBinder::vec(const std::string& name, size_t n) {
  const Tensor& t = m_.get(name);
  if (uint64_t(t.numel()) != n)
    throw Error("tensor '" + name + "' has shape " + t.shape_str() + ", expected " +
                std::to_string(n) + " values");
  return tensor_to_f32(t);
}

}  // namespace rwkv
