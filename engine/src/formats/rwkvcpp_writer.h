// Writing rwkv.cpp model files (version 101): the quantizer and the converter share the file
// writer and rwkv.cpp's rule for which matrices are quantized.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "rwkv/tensor.h"

namespace rwkv::rwkvcpp {

// An rwkv.cpp file written to PATH.part and renamed to PATH by commit(), so that a failure
// (a full disk, an unwritable directory) leaves no partial model behind; the part file is
// removed when the writer goes without a commit.
class FileWriter {
 public:
  explicit FileWriter(const std::string& path);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  void header(uint32_t n_vocab, uint32_t n_embd, uint32_t n_layer, DType file_type);
  // One record: ne in ggml order (PyTorch's reversed), `bytes` of `dtype` data.
  void record(const std::string& name, const std::vector<int32_t>& ne, DType dtype, const void* data, size_t bytes);
  // One matrix record (ne = {cols, rows}) of t's values quantized to `type`.
  void quantized_record(const Tensor& t, const std::vector<int32_t>& ne, DType type);
  uint64_t commit();  // returns the bytes written

 private:
  void put(const void* p, size_t n);
  void put32(int32_t v) { put(&v, 4); }  // rwkv.cpp files are little-endian, as is every host we build for
  [[noreturn]] void fail(const std::string& path);
  std::string path_, part_;
  FILE* f_;
  uint64_t written_ = 0;
  bool committed_ = false;
  std::vector<uint8_t> blocks_;  // quantized_record's
};

// rwkv.cpp's quantizer's choice: 2-D fp32/fp16 tensors whose rows are whole blocks, except the
// embedding, the head (unless with_head) and RWKV-7's low-rank matrices (they cost little and
// lose much). ne in ggml order.
bool quantizable(const std::string& name, const std::vector<int32_t>& ne, DType dtype, bool with_head);

}  // namespace rwkv::rwkvcpp
