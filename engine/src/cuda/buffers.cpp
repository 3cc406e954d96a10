#include "cuda/buffers.h"

#include <cstdio>

#include "rwkv/error.h"

namespace rwkv::cuda {

std::string format_bytes(size_t bytes) {
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    u++;
  }
  std::string s = std::to_string(bytes) + " bytes";
  if (u >= 0) {
    char b[32];
    std::snprintf(b, sizeof b, " (%.1f %s)", v, units[u]);
    s += b;
  }
  return s;
}

namespace {

[[noreturn]] void out_of_memory(const Device& dev, cudaError_t e, size_t bytes, const std::string& what,
                                bool pinned) {
  cudaGetLastError();
  std::string msg = dev.label() + ": cannot allocate " + format_bytes(bytes) + " of " +
                    (pinned ? "pinned host memory" : "device memory") + " for " + what + ": " +
                    cudaGetErrorString(e);
  size_t free_b = 0, total_b = 0;
  if (!pinned && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
    msg += " (" + format_bytes(free_b) + " free of " + format_bytes(total_b) + ")";
  cudaGetLastError();
  throw Error(msg);
}

}  // namespace

template <Memory kind>
Buffer<kind>::Buffer(const Device& dev, size_t bytes, const std::string& what) : bytes_(bytes) {
  if (bytes == 0) return;
  const cudaError_t e = kind == Memory::Device ? cudaMalloc(&p_, bytes) : cudaMallocHost(&p_, bytes);
  if (e != cudaSuccess) out_of_memory(dev, e, bytes, what, kind == Memory::Pinned);
}

template <Memory kind>
void Buffer<kind>::release() {
  if (!p_) return;
  if (kind == Memory::Device) cudaFree(p_);
  else cudaFreeHost(p_);
  p_ = nullptr;
}

template class Buffer<Memory::Device>;
template class Buffer<Memory::Pinned>;

void* DevicePool::alloc(size_t bytes, const std::string& what) {
  buffers_.emplace_back(dev_, bytes, what);
  bytes_ += bytes;
  return buffers_.back().get();
}

}  // namespace rwkv::cuda
