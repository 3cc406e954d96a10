#include "arch/binder.h"

#include "rwkv/error.h"

namespace rwkv::arch {

namespace {

std::string shape_str(std::vector<int64_t> s) {
  Tensor t;
  t.shape = std::move(s);
  return t.shape_str();
}

}  // namespace

std::string layer_name(int layer, const char* suffix) {
  return "blocks." + std::to_string(layer) + "." + suffix;
}

const Tensor& Binder::matrix_tensor(const std::string& name, int rows, int cols) const {
  const Tensor& t = m_.get(name);
  if (t.shape != std::vector<int64_t>{rows, cols})
    throw Error("tensor '" + name + "' has shape " + t.shape_str() + ", expected " + shape_str({rows, cols}));
  return t;
}

std::vector<float> Binder::host_vec(const std::string& name, size_t n) const {
  const Tensor& t = m_.get(name);
  if (uint64_t(t.numel()) != n)
    throw Error("tensor '" + name + "' has shape " + t.shape_str() + ", expected " + std::to_string(n) + " values");
  return tensor_to_f32(t);
}

std::vector<float> Binder::host_transposed(const std::string& name, int count, int rows, int cols) const {
  const Tensor& t = m_.get(name);
  std::vector<int64_t> want = {cols, rows};
  if (count > 1) want.insert(want.begin(), count);
  if (t.shape != want) throw Error("tensor '" + name + "' has shape " + t.shape_str() + ", expected " + shape_str(want));
  const std::vector<float> src = tensor_to_f32(t);
  std::vector<float> dst(src.size());
  const size_t R = size_t(rows), K = size_t(cols);
  for (size_t b = 0; b < size_t(count); b++)
    for (size_t i = 0; i < K; i++)
      for (size_t j = 0; j < R; j++) dst[b * R * K + j * K + i] = src[b * R * K + i * R + j];
  return dst;
}

}  // namespace rwkv::arch
