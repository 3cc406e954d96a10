#include "formats/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rwkv/error.h"

namespace rwkv {

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
  // Non-blocking: opening a FIFO for reading would otherwise wait for a writer. A regular
  // file reads the same either way.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error("'" + path + "' is not a regular file");
  }
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->path_ = path;
  f->size_ = size_t(st.st_size);
  if (f->size_ > 0) {
    void* p = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int e = errno;
      ::close(fd);
      throw Error("cannot map '" + path + "': " + std::strerror(e));
    }
    f->data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return f;
}

MappedFile::~MappedFile() {
  if (data_) munmap(const_cast<uint8_t*>(data_), size_);
}

void ByteReader::fail(const std::string& msg) const {
  throw Error(what_ + ": " + msg + " (at byte " + std::to_string(pos_) + ")");
}

void ByteReader::seek(size_t p) {
  if (p > size_) fail("offset " + std::to_string(p) + " is past the end (" + std::to_string(size_) + " bytes)");
  pos_ = p;
}

const uint8_t* ByteReader::take(size_t n, const char* field) {
  if (n > left())
    fail(std::string("truncated: ") + field + " needs " + std::to_string(n) + " bytes, " +
         std::to_string(left()) + " left");
  const uint8_t* p = data_ + pos_;
  pos_ += n;
  return p;
}

uint16_t ByteReader::u16(const char* field) {
  const uint8_t* p = take(2, field);
  return uint16_t(p[0] | (p[1] << 8));
}

uint32_t ByteReader::u32(const char* field) {
  const uint8_t* p = take(4, field);
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

uint64_t ByteReader::u64(const char* field) {
  const uint64_t lo = u32(field);
  return lo | (uint64_t(u32(field)) << 32);
}

float ByteReader::f32(const char* field) {
  const uint32_t u = u32(field);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

double ByteReader::f64(const char* field) {
  const uint64_t u = u64(field);
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

}  // namespace rwkv
