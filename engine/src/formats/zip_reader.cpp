#include "formats/zip_reader.h"

#include "support/crc32.h"
#include "formats/mapped_file.h"
#include "rwkv/error.h"

namespace rwkv {

namespace {

constexpr uint32_t kEndSig = 0x06054b50;       // end of central directory
constexpr uint32_t kEnd64Sig = 0x06064b50;     // zip64 end of central directory
constexpr uint32_t kLocator64Sig = 0x07064b50; // zip64 end locator
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr size_t kEndSize = 22, kLocatorSize = 20, kCentralSize = 46, kLocalSize = 30;

// The end record is the last 22 bytes plus a comment of up to 64 KiB: search backwards.
size_t find_end_record(const uint8_t* p, size_t n, const std::string& what) {
  if (n < kEndSize) throw Error(what + ": too short for a zip archive (" + std::to_string(n) + " bytes)");
  const size_t lowest = n - kEndSize > 0xffff ? n - kEndSize - 0xffff : 0;
  for (size_t i = n - kEndSize + 1; i-- > lowest;) {
    if (p[i] == 0x50 && p[i + 1] == 0x4b && p[i + 2] == 0x05 && p[i + 3] == 0x06) {
      const size_t comment = size_t(p[i + 20]) | (size_t(p[i + 21]) << 8);
      if (i + kEndSize + comment == n) return i;
    }
  }
  throw Error(what + ": no zip end-of-central-directory record (truncated or not a zip archive)");
}

// Replaces 0xFFFFFFFF placeholders from the zip64 extra field (id 1), in the order the
// format fixes: size, compressed size, local header offset.
void apply_zip64_extra(ByteReader extra, ZipEntry& e, bool need_size, bool need_csize, bool need_offset) {
  while (extra.left() >= 4) {
    const uint16_t id = extra.u16("extra field id"), len = extra.u16("extra field size");
    const uint8_t* body = extra.take(len, "extra field");
    if (id != 1) continue;
    ByteReader z(body, len, "zip64 extra field of '" + e.name + "'");
    if (need_size) e.size = z.u64("size");
    if (need_csize) e.compressed_size = z.u64("compressed size");
    if (need_offset) e.local_offset = z.u64("local header offset");
    return;
  }
  if (need_size || need_csize || need_offset)
    throw Error("zip entry '" + e.name + "' needs a zip64 extra field and has none");
}

}  // namespace

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string what)
    : data_(data), size_(size), what_(std::move(what)) {
  const size_t end_pos = find_end_record(data, size, what_);
  ByteReader r(data, size, what_);
  r.seek(end_pos + 4);
  const uint16_t disk = r.u16("disk number"), cd_disk = r.u16("central directory disk");
  r.u16("entries on this disk");
  uint64_t count = r.u16("entry count");
  uint64_t cd_size = r.u32("central directory size");
  uint64_t cd_offset = r.u32("central directory offset");
  if (disk != 0 || cd_disk != 0) r.fail("multi-part zip archives are not supported");

  if (count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    if (end_pos < kLocatorSize) r.fail("zip64 placeholders without a zip64 end locator");
    r.seek(end_pos - kLocatorSize);
    if (r.u32("zip64 locator signature") != kLocator64Sig) r.fail("zip64 placeholders without a zip64 end locator");
    r.u32("zip64 end disk");
    const uint64_t end64 = r.u64("zip64 end record offset");
    if (end64 > end_pos - kLocatorSize) r.fail("zip64 end record offset " + std::to_string(end64) + " is past the locator");
    r.seek(size_t(end64));
    if (r.u32("zip64 end signature") != kEnd64Sig) r.fail("bad zip64 end-of-central-directory signature");
    r.u64("zip64 end record size");
    r.u16("version made by");
    r.u16("version needed");
    r.u32("disk number");
    r.u32("central directory disk");
    r.u64("entries on this disk");
    count = r.u64("entry count");
    cd_size = r.u64("central directory size");
    cd_offset = r.u64("central directory offset");
  }
  if (cd_offset > size || cd_size > size - cd_offset)
    r.fail("central directory (offset " + std::to_string(cd_offset) + ", " + std::to_string(cd_size) +
           " bytes) lies outside the file");
  if (count > cd_size / kCentralSize)
    r.fail("absurd entry count " + std::to_string(count) + " for a " + std::to_string(cd_size) +
           "-byte central directory");

  ByteReader cd(data + cd_offset, size_t(cd_size), what_ + " central directory");
  entries_.reserve(size_t(count));
  for (uint64_t i = 0; i < count; i++) {
    if (cd.u32("central header signature") != kCentralSig) cd.fail("bad central directory header signature");
    ZipEntry e;
    cd.u16("version made by");
    cd.u16("version needed");
    e.flags = cd.u16("flags");
    e.method = cd.u16("compression method");
    cd.u32("modification time");
    e.crc32 = cd.u32("crc-32");
    e.compressed_size = cd.u32("compressed size");
    e.size = cd.u32("size");
    const uint16_t name_len = cd.u16("name length"), extra_len = cd.u16("extra length");
    const uint16_t comment_len = cd.u16("comment length");
    cd.u16("disk start");
    cd.u16("internal attributes");
    cd.u32("external attributes");
    e.local_offset = cd.u32("local header offset");
    e.name.assign(reinterpret_cast<const char*>(cd.take(name_len, "entry name")), name_len);
    const uint8_t* extra = cd.take(extra_len, "extra field");
    cd.take(comment_len, "entry comment");
    apply_zip64_extra(ByteReader(extra, extra_len, what_), e, e.size == 0xffffffff,
                      e.compressed_size == 0xffffffff, e.local_offset == 0xffffffff);
    if (!by_name_.emplace(e.name, entries_.size()).second) cd.fail("duplicate entry '" + e.name + "'");
    entries_.push_back(std::move(e));
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

std::span<const uint8_t> ZipReader::read(const ZipEntry& e) const {
  const std::string where = what_ + ", entry '" + e.name + "'";
  if (e.method != 0)
    throw Error(where + ": compressed (method " + std::to_string(e.method) +
                "); only stored (uncompressed) entries are supported");
  if (e.flags & 1) throw Error(where + ": encrypted entries are not supported");
  if (e.compressed_size != e.size)
    throw Error(where + ": stored entry with compressed size " + std::to_string(e.compressed_size) +
                " != size " + std::to_string(e.size));
  if (e.local_offset > size_ || size_ - e.local_offset < kLocalSize)
    throw Error(where + ": local header offset " + std::to_string(e.local_offset) + " is past the end of the file");
  ByteReader r(data_, size_, where);
  r.seek(size_t(e.local_offset));
  if (r.u32("local header signature") != kLocalSig) r.fail("bad local header signature");
  r.take(22, "local header");
  const uint16_t name_len = r.u16("name length"), extra_len = r.u16("extra length");
  const uint8_t* name = r.take(name_len, "entry name");
  if (std::string(reinterpret_cast<const char*>(name), name_len) != e.name)
    r.fail("local header names a different entry");
  r.take(extra_len, "extra field");
  if (e.size > r.left())
    r.fail("data (" + std::to_string(e.size) + " bytes) runs past the end of the file");
  return {r.take(size_t(e.size), "entry data"), size_t(e.size)};
}

std::span<const uint8_t> ZipReader::read_checked(const ZipEntry& e) const {
  const auto bytes = read(e);
  const uint32_t crc = crc32(bytes.data(), bytes.size());
  if (crc != e.crc32)
    throw Error(what_ + ", entry '" + e.name + "': CRC-32 mismatch (corrupt archive)");
  return bytes;
}

}  // namespace rwkv
