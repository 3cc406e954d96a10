#include "cuda/upload.h"

#include <algorithm>
#include <cstring>

#include "kernels/half.h"
#include "rwkv/error.h"

namespace rwkv::cuda {

namespace {

bool same_type(DType d, ElemType e) {
  return (d == DType::F32 && e == ElemType::F32) || (d == DType::F16 && e == ElemType::F16) ||
         (d == DType::BF16 && e == ElemType::BF16);
}

// fp32 values to the operand type, in place into dst.
void convert(const float* src, size_t n, ElemType type, float scale, void* dst) {
  if (type == ElemType::F32) {
    float* d = static_cast<float*>(dst);
    for (size_t i = 0; i < n; i++) d[i] = src[i] * scale;
    return;
  }
  uint16_t* d = static_cast<uint16_t*>(dst);
  for (size_t i = 0; i < n; i++)
    d[i] = type == ElemType::F16 ? float_to_half(src[i] * scale) : float_to_bf16(src[i] * scale);
}

void copy_to_device(const Device& dev, void* dst, const void* src, size_t bytes, const std::string& name) {
  const cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
  if (e != cudaSuccess) check(e, dev, ("uploading tensor '" + name + "'").c_str());
}

}  // namespace

void Uploader::put(const Tensor& t, void* dst, float scale) {
  const size_t n = size_t(t.numel());
  if (same_type(t.dtype, type_) && scale == 1.0f) {
    copy_to_device(pool_.device(), dst, t.data, n * elem_bytes(type_), t.name);
    return;
  }
  // Converted a slice at a time, bounding the host memory a large matrix needs.
  constexpr size_t kSlice = size_t(1) << 22;
  std::vector<float> f32(std::min(n, kSlice));
  std::vector<uint8_t> out(f32.size() * elem_bytes(type_));
  for (size_t first = 0; first < n; first += kSlice) {
    const size_t k = std::min(kSlice, n - first);
    tensor_to_f32(t, f32.data(), first, k);
    convert(f32.data(), k, type_, scale, out.data());
    copy_to_device(pool_.device(), static_cast<uint8_t*>(dst) + first * elem_bytes(type_), out.data(),
                   k * elem_bytes(type_), t.name);
  }
}

DeviceMatrix Uploader::matrix(const std::string& name, int rows, int cols, float scale) {
  const Tensor& t = matrix_tensor(name, rows, cols);
  DeviceMatrix w;
  w.rows = rows;
  w.cols = cols;
  w.type = type_;
  void* p = pool_.alloc(w.bytes(), "tensor '" + name + "'");
  put(t, p, scale);
  w.data = p;
  tally(w.bytes());
  return w;
}

DeviceMatrix Uploader::stack(const std::vector<std::string>& names, int rows, int cols) {
  DeviceMatrix w;
  w.rows = rows;
  w.cols = cols;
  w.count = int(names.size());
  w.type = type_;
  std::string what = "tensors";
  for (const auto& n : names) what += " '" + n + "'";
  uint8_t* p = static_cast<uint8_t*>(pool_.alloc(w.bytes(), what));
  for (size_t i = 0; i < names.size(); i++)
    put(matrix_tensor(names[i], rows, cols), p + i * w.elements() * elem_bytes(type_), 1.0f);
  w.data = p;
  tally(w.bytes());
  return w;
}

DeviceMatrix Uploader::transposed(const std::string& name, int count, int rows, int cols) {
  const std::vector<float> dst = host_transposed(name, count, rows, cols);
  DeviceMatrix w;
  w.rows = rows;
  w.cols = cols;
  w.count = count;
  w.type = type_;
  std::vector<uint8_t> out(dst.size() * elem_bytes(type_));
  convert(dst.data(), dst.size(), type_, 1.0f, out.data());
  void* p = pool_.alloc(out.size(), "tensor '" + name + "'");
  copy_to_device(pool_.device(), p, out.data(), out.size(), name);
  w.data = p;
  tally(out.size());
  return w;
}

float* Uploader::vec(const std::string& name, size_t n) { return vec(host_vec(name, n), "tensor '" + name + "'"); }

float* Uploader::vec(const std::vector<float>& values, const std::string& what) {
  float* p = pool_.alloc_n<float>(values.size(), what);
  copy_to_device(pool_.device(), p, values.data(), values.size() * sizeof(float), what);
  tally(values.size() * sizeof(float));
  return p;
}

}  // namespace rwkv::cuda
