// The stored (uncompressed) entries of a zip archive, as PyTorch writes its checkpoints.
// The central directory is authoritative (local headers may carry zip64 placeholders);
// zip64 end records and extra fields are honoured, so archives over 4 GiB work. Entry bytes
// are borrowed from the caller's buffer, never copied.
#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace rwkv {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored; anything else is compressed
  uint16_t flags = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_offset = 0;
};

class ZipReader {
 public:
  // Parses the central directory of the archive in [data, data + size); `what` names it in errors.
  ZipReader(const uint8_t* data, size_t size, std::string what);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // The bytes of a stored entry; throws for compressed or encrypted entries and for entries
  // whose local header or data lie outside the archive.
  std::span<const uint8_t> read(const ZipEntry& e) const;
  // read() plus a CRC-32 check of the bytes (for small records; tensor data is not checked).
  std::span<const uint8_t> read_checked(const ZipEntry& e) const;

 private:
  const uint8_t* data_;
  size_t size_;
  std::string what_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t> by_name_;
};

}  // namespace rwkv
