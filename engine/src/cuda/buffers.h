// Owned device and pinned host memory. Allocation failures are rwkv::Error messages that
// say what was being allocated, how many bytes, on which device and how much was free.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "cuda/device.h"

namespace rwkv::cuda {

// Where a Buffer's memory is: device memory, or page-locked host memory (the only host
// memory a CUDA graph may copy from or to).
enum class Memory { Device, Pinned };

template <Memory kind>
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Device& dev, size_t bytes, const std::string& what);
  ~Buffer() { release(); }
  Buffer(Buffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) { o.p_ = nullptr; o.bytes_ = 0; }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_;
      bytes_ = o.bytes_;
      o.p_ = nullptr;
      o.bytes_ = 0;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* get() const { return p_; }
  template <class T> T* as() const { return static_cast<T*>(p_); }
  size_t bytes() const { return bytes_; }

 private:
  void release();
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

using DeviceBuffer = Buffer<Memory::Device>;
using PinnedBuffer = Buffer<Memory::Pinned>;

// Device allocations that live as long as a model (weights, scratch), freed together.
class DevicePool {
 public:
  explicit DevicePool(const Device& dev) : dev_(dev) {}
  void* alloc(size_t bytes, const std::string& what);
  template <class T> T* alloc_n(size_t n, const std::string& what) {
    return static_cast<T*>(alloc(n * sizeof(T), what));
  }
  size_t bytes() const { return bytes_; }
  void clear() { buffers_.clear(); bytes_ = 0; }
  const Device& device() const { return dev_; }

 private:
  Device dev_;
  std::vector<DeviceBuffer> buffers_;
  size_t bytes_ = 0;
};

std::string format_bytes(size_t bytes);  // "1536 bytes (1.5 KiB)"

}  // namespace rwkv::cuda
