// The neutral tensor map every checkpoint format loads into: name, dtype, shape (PyTorch
// order, outermost first) and bytes. Bytes point into a memory-mapped file where the format
// allows it, or into storage the map owns.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rwkv/dtype.h"

namespace rwkv {

const char* dtype_name(DType t);
// The DType named "fp32", "f16", "q5_1", "Q8_0", ... (case-insensitive, fpN or fN); throws
// rwkv::Error listing the names for anything else.
DType dtype_from_name(const std::string& name);
// A quantization target ("q8_0", "Q5_1", ...); throws naming the quantized types for
// anything else. What LoadOptions::quantize and `rwkv-cli quantize` parse their names with.
DType quantized_type_from_name(const std::string& name);
// The names of the types, "fp32, fp16, ..." (all, or the quantized ones), for messages.
std::string dtype_names(bool quantized_only = false);
// Bytes for n values; throws when n is not a whole number of blocks.
size_t dtype_bytes(DType t, uint64_t n);

struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;

  int64_t numel() const;
  std::string shape_str() const;
};

// Converts n values starting at element `first` of t to fp32 (dequantizing if needed).
void tensor_to_f32(const Tensor& t, float* out, uint64_t first = 0, uint64_t n = UINT64_MAX);
std::vector<float> tensor_to_f32(const Tensor& t);

class TensorMap {
 public:
  // Adds a tensor; its byte size must match dtype and shape. Throws on a duplicate name.
  void add(Tensor t);
  // Replaces (or adds) a tensor with fp32 data the map owns.
  void put_f32(const std::string& name, std::vector<int64_t> shape, std::vector<float> values);
  void remove(const std::string& name);
  void rename(const std::string& from, const std::string& to);
  const Tensor* find(const std::string& name) const;
  const Tensor& get(const std::string& name) const;  // throws "missing tensor 'NAME'"
  bool has(const std::string& name) const { return find(name) != nullptr; }
  const std::map<std::string, Tensor>& tensors() const { return tensors_; }
  size_t size() const { return tensors_.size(); }

  // Keeps the backing of borrowed bytes (a mapped file) alive as long as the map.
  void keep_alive(std::shared_ptr<const void> owner) { owners_.push_back(std::move(owner)); }
  // Storage owned by the map, for converted or dequantized tensors.
  uint8_t* allocate(size_t bytes);

  std::string format;                            // "rwkv.cpp", "pth", "safetensors", "gguf"
  std::string source;                            // the file it came from
  std::map<std::string, std::string> metadata;   // format-level key/values (strings)
  std::map<std::string, std::vector<std::string>> string_arrays;  // e.g. a GGUF vocabulary
  std::map<std::string, std::vector<int64_t>> int_arrays;

 private:
  std::map<std::string, Tensor> tensors_;
  std::vector<std::shared_ptr<const void>> owners_;
};

}  // namespace rwkv
