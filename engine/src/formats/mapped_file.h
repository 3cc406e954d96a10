// A read-only memory-mapped file; tensors borrow its bytes without copying.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace rwkv {

class MappedFile {
 public:
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// Bounds-checked little-endian reader over a byte range; errors name the file and offset.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string what)
      : data_(data), size_(size), what_(std::move(what)) {}
  size_t pos() const { return pos_; }
  size_t size() const { return size_; }
  size_t left() const { return size_ - pos_; }
  bool at_end() const { return pos_ == size_; }
  void seek(size_t p);
  const uint8_t* take(size_t n, const char* field);  // pointer to n bytes, advances
  uint8_t u8(const char* field) { return *take(1, field); }
  uint16_t u16(const char* field);
  uint32_t u32(const char* field);
  uint64_t u64(const char* field);
  int32_t i32(const char* field) { return int32_t(u32(field)); }
  int64_t i64(const char* field) { return int64_t(u64(field)); }
  float f32(const char* field);
  double f64(const char* field);
  [[noreturn]] void fail(const std::string& msg) const;

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0;
  std::string what_;
};

}  // namespace rwkv
