// The GPU a CUDA model runs on, and the checks that turn CUDA and cuBLAS failures into
// rwkv::Error messages naming the operation and the device.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

namespace rwkv::cuda {

struct Device {
  int index = 0;
  std::string name;                      // e.g. "NVIDIA H100 80GB HBM3"
  std::string label() const;             // "cuda:0 (NVIDIA H100 80GB HBM3)"
  static Device open(int index);         // checks the index against the devices present
};

// Devices the driver reports; 0 when there is no driver or no GPU.
// Devices present; 0 when the runtime cannot count them, with its error in *why: an NVIDIA
// driver older than this build's CUDA runtime is named as such, with both versions.
int device_count(std::string* why = nullptr);

// Makes `index` the calling thread's device for the guard's lifetime.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

// Throw rwkv::Error("cuda:N (name): WHAT failed: reason") unless the call succeeded.
void check(cudaError_t e, const Device& dev, const char* what);
void check(cublasStatus_t st, const Device& dev, const char* what);

}  // namespace rwkv::cuda
