#include "formats/rwkvcpp_writer.h"

#include <cerrno>
#include <cstring>

#include "formats/rwkvcpp_records.h"
#include "tensor/quantize.h"
#include "rwkv/error.h"

namespace rwkv::rwkvcpp {

FileWriter::FileWriter(const std::string& path)
    : path_(path), part_(path + ".part"), f_(std::fopen(part_.c_str(), "wb")) {
  if (!f_) fail(path_);
}

FileWriter::~FileWriter() {
  if (f_) std::fclose(f_);
  if (!committed_) std::remove(part_.c_str());
}

void FileWriter::fail(const std::string& path) {
  throw Error("cannot write '" + path + "': " + std::strerror(errno));
}

void FileWriter::put(const void* p, size_t n) {
  if (n && std::fwrite(p, 1, n, f_) != n) fail(path_);
  written_ += n;
}

void FileWriter::header(uint32_t n_vocab, uint32_t n_embd, uint32_t n_layer, DType file_type) {
  for (uint32_t v : {kMagic, 101u, n_vocab, n_embd, n_layer, uint32_t(type_code(file_type))}) put32(int32_t(v));
}

void FileWriter::record(const std::string& name, const std::vector<int32_t>& ne, DType dtype, const void* data,
                        size_t bytes) {
  put32(int32_t(ne.size()));
  put32(int32_t(name.size()));
  put32(type_code(dtype));
  for (int32_t d : ne) put32(d);
  put(name.data(), name.size());
  put(data, bytes);
}

void FileWriter::quantized_record(const Tensor& t, const std::vector<int32_t>& ne, DType type) {
  const DType to = quantized_type(type);
  const size_t cols = size_t(ne.at(0)), rows = size_t(ne.at(1));
  blocks_.resize(rows * dtype_row_bytes(to, cols));
  quantize_rows(t, rows, cols, to, blocks_.data());
  record(t.name, ne, type, blocks_.data(), blocks_.size());
}

uint64_t FileWriter::commit() {
  FILE* f = f_;
  f_ = nullptr;
  if (std::fflush(f) != 0 || std::fclose(f) != 0) fail(path_);
  if (std::rename(part_.c_str(), path_.c_str()) != 0) fail(path_);
  committed_ = true;
  return written_;
}

bool quantizable(const std::string& name, const std::vector<int32_t>& ne, DType dtype, bool with_head) {
  if (ne.size() != 2 || (dtype != DType::F32 && dtype != DType::F16)) return false;
  if (size_t(ne[0]) % kQuantBlock != 0) return false;
  if (name == "emb.weight" || (name == "head.weight" && !with_head)) return false;
  for (const char* low_rank : {"att.v1", "att.v2", "att.g1", "att.g2", "att.a1", "att.a2", "att.w1", "att.w2", "att.r_k"})
    if (name.find(low_rank) != std::string::npos) return false;
  return true;
}

}  // namespace rwkv::rwkvcpp
