#include "formats/transform.h"

#include <cmath>
#include <cstring>

#include "kernels/half.h"
#include "rwkv/error.h"

namespace rwkv {

void transpose_matrix(TensorMap& m, const std::string& name) {
  const Tensor& t = m.get(name);
  if (t.shape.size() < 2) throw Error("tensor '" + name + "' " + t.shape_str() + " is not a matrix");
  std::vector<float> src = tensor_to_f32(t), dst(src.size());
  std::vector<int64_t> shape = t.shape;
  const int64_t a = shape[shape.size() - 2], b = shape.back(), batch = t.numel() / (a * b);
  for (int64_t k = 0; k < batch; k++)
    for (int64_t i = 0; i < a; i++)
      for (int64_t j = 0; j < b; j++) dst[size_t(k * a * b + j * a + i)] = src[size_t(k * a * b + i * b + j)];
  std::swap(shape[shape.size() - 2], shape.back());
  m.put_f32(name, std::move(shape), std::move(dst));
}

void map_values(TensorMap& m, const std::string& name, const std::function<float(float)>& f) {
  const Tensor& t = m.get(name);
  std::vector<float> v = tensor_to_f32(t);
  for (float& x : v) x = f(x);
  std::vector<int64_t> shape = t.shape;
  m.put_f32(name, std::move(shape), std::move(v));
}

void split_rows(TensorMap& m, const std::string& name, std::initializer_list<const char*> parts,
                const std::string& prefix) {
  const Tensor& t = m.get(name);
  const int64_t k = int64_t(parts.size());
  if (t.shape.empty() || t.shape[0] != k)
    throw Error("tensor '" + name + "' " + t.shape_str() + ": expected " + std::to_string(k) + " rows");
  std::vector<float> v = tensor_to_f32(t);
  const int64_t rest = t.numel() / k;
  int64_t i = 0;
  for (const char* p : parts) {
    m.put_f32(prefix + p, {1, 1, rest},
              std::vector<float>(v.begin() + i * rest, v.begin() + (i + 1) * rest));
    i++;
  }
  m.remove(name);
}

void squeeze_to(TensorMap& m, const std::string& name, std::vector<int64_t> shape) {
  const Tensor& t = m.get(name);
  Tensor copy = t;
  copy.shape = std::move(shape);
  if (copy.numel() != t.numel())
    throw Error("tensor '" + name + "' " + t.shape_str() + " cannot be reshaped to " + copy.shape_str());
  m.remove(name);
  m.add(std::move(copy));
}

void scale_pow2(TensorMap& m, const std::string& name, int exponent) {
  if (exponent == 0) return;
  Tensor t = m.get(name);
  const float f = std::ldexp(1.0f, exponent);
  uint8_t* dst = m.allocate(t.nbytes);
  std::memcpy(dst, t.data, t.nbytes);
  auto overflow = [&] { throw Error("tensor '" + name + "' overflows " + dtype_name(t.dtype) + " when scaled by " +
                                    std::to_string(f)); };
  auto scale16 = [&](uint8_t* p, bool bf16) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    const float v = bf16 ? bf16_to_float(h) : half_to_float(h);
    h = bf16 ? float_to_bf16(v * f) : float_to_half(v * f);
    if (std::isfinite(v) && !std::isfinite(bf16 ? bf16_to_float(h) : half_to_float(h))) overflow();
    std::memcpy(p, &h, 2);
  };
  const size_t bb = dtype_block_bytes(t.dtype), blocks = t.nbytes / bb;
  for (size_t i = 0; i < blocks; i++) {
    uint8_t* b = dst + i * bb;
    switch (t.dtype) {
      case DType::F32: {
        float v;
        std::memcpy(&v, b, 4);
        const float s = v * f;
        if (std::isinf(s) && std::isfinite(v)) overflow();
        std::memcpy(b, &s, 4);
        break;
      }
      case DType::BF16: scale16(b, true); break;
      default:  // fp16, or a block's fp16 scale d and minimum m (rwkv/dtype.h)
        scale16(b, false);
        if (dtype_info(t.dtype).has_min) scale16(b + 2, false);
        break;
    }
  }
  t.data = dst;
  m.remove(name);
  m.add(std::move(t));
}

}  // namespace rwkv
