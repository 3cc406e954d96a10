// The CUDA module's entry point: the backend the engine loads at run time.
#include <algorithm>
#include <cctype>

#include "cuda/cuda_runner.h"
#include "cuda/device_info.h"
#include "model/device_backend.h"
#include "rwkv/error.h"

namespace rwkv {

namespace cuda {

namespace {

class CudaBackend final : public DeviceBackend {
 public:
  int device_count(std::string* why) override { return cuda::device_count(why); }

  std::unique_ptr<Runner> make_runner(const ModelInfo& info, const TensorMap& tensors, const std::string& device,
                                      std::string* resolved) override {
    int index = 0;
    if (device != "cuda") {
      const std::string n = device.rfind("cuda:", 0) == 0 ? device.substr(5) : "";
      if (n.empty() || n.size() > 4 ||
          !std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isdigit(c); }))
        throw Error("bad device '" + device + "' (expected cuda or cuda:N)");
      index = std::stoi(n);
    }
    const Device dev = Device::open(index);
    if (resolved) *resolved = "cuda:" + std::to_string(index);
    DeviceGuard guard(index);
    std::unique_ptr<Runner> r = cuda::make_runner(info, tensors, dev);
    // The weights went up with plain cudaMemcpy, which a non-blocking stream does not wait
    // for: the first pass starts after the last copy has landed.
    check(cudaDeviceSynchronize(), dev, "uploading the weights");
    return r;
  }

  DeviceInfo device_info(int index) override { return cuda::device_info(index); }
};

}  // namespace

}  // namespace cuda

}  // namespace rwkv

extern "C" __attribute__((visibility("default"))) rwkv::DeviceBackend* rwkv_cuda_backend_entry() {
  static rwkv::cuda::CudaBackend backend;
  return &backend;
}
