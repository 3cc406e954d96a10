// The CUDA module's entry point: the backend the engine loads at run time.
#include <algorithm>
#include <cctype>

#include "kernels/cuda/wkv_heads.h"
#include "cuda/device_info.h"
#include "cuda/factory.h"
#include "model/device_backend.h"
#include "rwkv/error.h"

namespace rwkv {

namespace cuda {

void require_head_size(const ModelInfo& info) {
  if (!wkv_head_size_supported(info.head_size))
    throw Error("head size " + std::to_string(info.head_size) + " is not supported by the CUDA backend (supported: " +
                wkv_head_sizes() + ")");
}

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
    std::unique_ptr<Runner> r;
    switch (info.arch) {
      case Arch::V4: r = make_v4(info, tensors, dev); break;
      case Arch::V5_1:
      case Arch::V5_2: r = make_v5(info, tensors, dev); break;
      case Arch::V6: r = make_v6(info, tensors, dev); break;
      case Arch::V7: r = make_v7(info, tensors, dev); break;
    }
    if (!r) throw Error("unknown architecture " + std::to_string(int(info.arch)));
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
