// Writers for the checkpoint formats the engine reads, for tests: real files laid out as
// torch.save, the safetensors library and llama.cpp's GGUF writer lay them out, made from a
// TensorMap whose names are already those of the target layout (foreign_layouts.h renames).
// Values are converted to the requested storage dtype.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "rwkv/tensor.h"

namespace fmt_test {

// The values of t encoded as dtype (F32, F16, BF16; Q8_0 in blocks of 32 along the last dim).
std::vector<uint8_t> encode(const rwkv::Tensor& t, rwkv::DType dtype);

void write_file(const std::string& path, const std::vector<uint8_t>& bytes);

// ---- zip and pickle building blocks (also used to build malformed archives) ----

struct ZipRecord {
  std::string name;
  std::vector<uint8_t> bytes;
  uint16_t method = 0;  // 0 stored; 8 marks the entry deflated (bytes are written as given)
};
// A zip archive as PyTorch writes it: data aligned to 64 bytes with an "FB" padding extra
// field, CRC-32s, central directory, end record. zip64 forces zip64 end records and extra
// fields, as PyTorch writes them for archives over 4 GiB.
std::vector<uint8_t> zip_archive(const std::vector<ZipRecord>& records, bool zip64 = false);

// One tensor as torch pickles it: a view (offset, size, stride) of a storage.
struct PickledTensor {
  std::string name;
  std::string storage_type;  // "FloatStorage", "HalfStorage", "BFloat16Storage"
  std::string key;           // storage record data/<key>
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> size, stride;
};
// The data.pkl torch.save writes for a state dict (protocol 2). ordered_dict: an OrderedDict
// carrying state_dict()'s _metadata attribute (a BUILD), else a plain dict.
std::vector<uint8_t> state_dict_pickle(const std::vector<PickledTensor>& tensors, bool ordered_dict = true);

struct PthOptions {
  std::string archive = "archive";   // record prefix
  bool zip64 = false;
  bool ordered_dict = true;
  bool one_storage = false;          // every tensor a view into one shared storage
  std::set<std::string> transposed;  // 2-D tensors stored column-major (non-contiguous strides)
};
void write_pth(const rwkv::TensorMap& m, const std::string& path, rwkv::DType dtype, const PthOptions& opts = {});

// ---- safetensors ----
void write_safetensors(const rwkv::TensorMap& m, const std::string& path, rwkv::DType dtype,
                       const std::vector<std::pair<std::string, std::string>>& metadata = {{"format", "pt"}});

// ---- GGUF ----

// GGUF key/values in file order; every GGUF value type can be written.
class GgufMetadata {
 public:
  void u8(const std::string& k, uint8_t v);
  void i8(const std::string& k, int8_t v);
  void u16(const std::string& k, uint16_t v);
  void i16(const std::string& k, int16_t v);
  void u32(const std::string& k, uint32_t v);
  void i32(const std::string& k, int32_t v);
  void f32(const std::string& k, float v);
  void boolean(const std::string& k, bool v);
  void str(const std::string& k, const std::string& v);
  void u64(const std::string& k, uint64_t v);
  void i64(const std::string& k, int64_t v);
  void f64(const std::string& k, double v);
  void str_array(const std::string& k, const std::vector<std::string>& v);
  void i32_array(const std::string& k, const std::vector<int32_t>& v);
  void u8_array(const std::string& k, const std::vector<uint8_t>& v);
  void f32_array(const std::string& k, const std::vector<float>& v);
  void nested_array(const std::string& k, const std::vector<std::vector<int32_t>>& v);

  uint64_t count() const { return count_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  void key(const std::string& k, uint32_t type);
  std::vector<uint8_t> bytes_;
  uint64_t count_ = 0;
};

struct GgufOptions {
  uint32_t version = 3;
  uint32_t alignment = 32;       // written as general.alignment when not 32
  bool keep_quantized = false;   // quantized source tensors keep their blocks (Q4/Q5/Q8 types)
};
// dtype is the type of the large matrices; as llama.cpp's converter does, 1-D tensors and the
// small LoRA / lerp / bonus tensors stay F32, and Q8_0 falls back to F16 for rows that are
// not whole blocks.
void write_gguf(const rwkv::TensorMap& m, const std::string& path, rwkv::DType dtype, const GgufMetadata& meta,
                const GgufOptions& opts = {});
// The storage dtype write_gguf picks for one tensor.
rwkv::DType gguf_storage_dtype(const rwkv::Tensor& t, rwkv::DType dtype, bool keep_quantized);

}  // namespace fmt_test
