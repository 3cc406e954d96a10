#include "cuda/device.h"

#include "rwkv/error.h"

namespace rwkv::cuda {

std::string Device::label() const { return "cuda:" + std::to_string(index) + " (" + name + ")"; }

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: not an error for the caller
    return 0;
  }
  return n;
}

Device Device::open(int index) {
  const int n = device_count();
  if (index < 0 || index >= n)
    throw Error("device 'cuda:" + std::to_string(index) + "' does not exist (" + std::to_string(n) +
                " CUDA device" + (n == 1 ? "" : "s") + " present)");
  Device d;
  d.index = index;
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, index), Device{index, "?"}, "cudaGetDeviceProperties");
  d.name = prop.name;
  return d;
}

DeviceGuard::DeviceGuard(int index) {
  if (cudaGetDevice(&previous_) != cudaSuccess) previous_ = -1;
  if (previous_ != index && cudaSetDevice(index) != cudaSuccess)
    throw Error("cuda:" + std::to_string(index) + ": cudaSetDevice failed: " +
                cudaGetErrorString(cudaGetLastError()));
}

DeviceGuard::~DeviceGuard() {
  int now = -1;
  if (previous_ >= 0 && cudaGetDevice(&now) == cudaSuccess && now != previous_) cudaSetDevice(previous_);
}

void check(cudaError_t e, const Device& dev, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the device stays usable
  throw Error(dev.label() + ": " + what + " failed: " + cudaGetErrorString(e) + " (" + cudaGetErrorName(e) + ")");
}

void check(cublasStatus_t st, const Device& dev, const char* what) {
  if (st == CUBLAS_STATUS_SUCCESS) return;
  throw Error(dev.label() + ": " + what + " failed: " + cublasGetStatusString(st) + " (" +
              cublasGetStatusName(st) + ")");
}

}  // namespace rwkv::cuda
