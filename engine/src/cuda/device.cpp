#include "cuda/device.h"

#include "rwkv/error.h"

namespace rwkv::cuda {

std::string Device::label() const { return "cuda:" + std::to_string(index) + " (" + name + ")"; }

namespace {

std::string cuda_version(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

}  // namespace

int device_count(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e == cudaSuccess) return n;
  cudaGetLastError();  // no driver or no device: not an error for the caller, but said
  if (why) {
    *why = cudaGetErrorString(e);
    int driver = 0, runtime = 0;
    if (e == cudaErrorInsufficientDriver && cudaDriverGetVersion(&driver) == cudaSuccess &&
        cudaRuntimeGetVersion(&runtime) == cudaSuccess)
      *why += driver == 0 ? " (no NVIDIA driver is loaded; this build's runtime is CUDA " + cuda_version(runtime) + ")"
                          : " (the NVIDIA driver supports CUDA " + cuda_version(driver) +
                                ", this build's runtime is CUDA " + cuda_version(runtime) + ": a newer driver is needed)";
  }
  return 0;
}

Device Device::open(int index) {
  std::string why;
  const int n = device_count(&why);
  if (n == 0 && !why.empty()) throw Error("device 'cuda:" + std::to_string(index) + "': " + why);
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
