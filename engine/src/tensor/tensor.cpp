#include "rwkv/tensor.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "kernels/half.h"
#include "kernels/quant_blocks.h"
#include "rwkv/error.h"

namespace rwkv {

const char* dtype_name(DType t) { return size_t(t) < size_t(kDTypeCount) ? dtype_info(t).name : "?"; }

std::string dtype_names(bool quantized_only) {
  std::string s;
  for (const DTypeInfo& d : kDTypes)
    if (!quantized_only || dtype_is_quantized(d.type)) s += std::string(s.empty() ? "" : ", ") + d.name;
  return s;
}

DType dtype_from_name(const std::string& name) {
  std::string n;
  for (char c : name) n += char(std::tolower(static_cast<unsigned char>(c)));
  if (n.size() == 3 && n[0] == 'f') n = "fp" + n.substr(1);
  for (const DTypeInfo& d : kDTypes)
    if (n == d.name) return d.type;
  throw Error("unknown data type '" + name + "' (" + dtype_names() + ")");
}

DType quantized_type_from_name(const std::string& name) {
  DType t = DType::F32;
  try {
    t = dtype_from_name(name);
  } catch (const Error&) {
  }
  if (!dtype_is_quantized(t))
    throw Error("quantize: '" + name + "' is not a quantized type (" + dtype_names(true) + ")");
  return t;
}

size_t dtype_bytes(DType t, uint64_t n) {
  const uint64_t bs = dtype_block_size(t);
  if (n % bs != 0)
    throw Error(std::string(dtype_name(t)) + " needs a multiple of " + std::to_string(bs) +
                " values, got " + std::to_string(n));
  if (n / bs > (uint64_t(1) << 58) / dtype_block_bytes(t)) throw Error("tensor size overflows");
  return size_t(n / bs * dtype_block_bytes(t));
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string Tensor::shape_str() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

using quant::rd16;

void tensor_to_f32(const Tensor& t, float* out, uint64_t first, uint64_t n) {
  const uint64_t total = uint64_t(t.numel());
  if (n == UINT64_MAX) n = total - first;
  if (first > total || n > total - first)
    throw Error("tensor '" + t.name + "': range past its end");
  switch (t.dtype) {
    case DType::F32: std::memcpy(out, t.data + first * 4, n * 4); return;
    case DType::F16:
      for (uint64_t i = 0; i < n; i++) out[i] = half_to_float(rd16(t.data + (first + i) * 2));
      return;
    case DType::BF16:
      for (uint64_t i = 0; i < n; i++) out[i] = bf16_to_float(rd16(t.data + (first + i) * 2));
      return;
    default: break;
  }
  const uint64_t bs = kQuantBlock, bb = dtype_block_bytes(t.dtype);
  float tmp[32];
  uint64_t i = 0;
  while (i < n) {
    const uint64_t idx = first + i, blk = idx / bs, off = idx % bs;
    quant::decode_block(t.dtype, t.data + blk * bb, tmp);  // layouts as in ggml files
    const uint64_t take = std::min<uint64_t>(bs - off, n - i);
    std::memcpy(out + i, tmp + off, take * 4);
    i += take;
  }
}

std::vector<float> tensor_to_f32(const Tensor& t) {
  std::vector<float> v(size_t(t.numel()));
  tensor_to_f32(t, v.data());
  return v;
}

void TensorMap::add(Tensor t) {
  for (int64_t d : t.shape)
    if (d < 0 || d > (int64_t(1) << 40))
      throw Error("tensor '" + t.name + "' has an absurd shape " + t.shape_str());
  const size_t want = dtype_bytes(t.dtype, uint64_t(t.numel()));
  if (t.nbytes != want)
    throw Error("tensor '" + t.name + "': " + std::to_string(t.nbytes) + " bytes for " +
                dtype_name(t.dtype) + " " + t.shape_str() + ", expected " + std::to_string(want));
  const std::string name = t.name;
  if (!tensors_.emplace(name, std::move(t)).second) throw Error("duplicate tensor '" + name + "'");
}

void TensorMap::put_f32(const std::string& name, std::vector<int64_t> shape,
                        std::vector<float> values) {
  Tensor t;
  t.name = name;
  t.dtype = DType::F32;
  t.shape = std::move(shape);
  if (uint64_t(t.numel()) != values.size())
    throw Error("tensor '" + name + "': " + std::to_string(values.size()) +
                " values do not fill shape " + t.shape_str());
  t.nbytes = values.size() * 4;
  uint8_t* p = allocate(t.nbytes);
  std::memcpy(p, values.data(), t.nbytes);
  t.data = p;
  tensors_.erase(name);
  add(std::move(t));
}

void TensorMap::remove(const std::string& name) { tensors_.erase(name); }

void TensorMap::rename(const std::string& from, const std::string& to) {
  if (from == to) return;
  auto it = tensors_.find(from);
  if (it == tensors_.end()) throw Error("missing tensor '" + from + "'");
  Tensor t = std::move(it->second);
  tensors_.erase(it);
  t.name = to;
  add(std::move(t));
}

const Tensor* TensorMap::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const Tensor& TensorMap::get(const std::string& name) const {
  const Tensor* t = find(name);
  if (!t) throw Error("missing tensor '" + name + "'" + (source.empty() ? "" : " in " + source));
  return *t;
}

uint8_t* TensorMap::allocate(size_t bytes) {
  // 64-byte aligned for SIMD loads.
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  if (!p) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes");
  owners_.push_back(std::shared_ptr<const void>(p, std::free));
  return static_cast<uint8_t*>(p);
}

}  // namespace rwkv
