// The CUDA module's entry point: the backend the engine loads at run time.
#include <algorithm>
#include <cctype>

#include "kernels/cuda/wkv_heads.h"
#include "arch/versions.h"
#include "cuda/cuda_runner.h"
#include "cuda/device_info.h"
#include "model/device_backend.h"
#include "rwkv/error.h"

namespace rwkv {

namespace cuda {

namespace {

// Head sizes the matrix-state kernels support; throws naming the model's otherwise.
const ModelInfo& require_head_size(const ModelInfo& info) {
  if (info.head_size != 0 && !wkv_head_size_supported(info.head_size))
    throw Error("head size " + std::to_string(info.head_size) + " is not supported by the CUDA backend (supported: " +
                wkv_head_sizes() + ")");
  return info;
}

// A version's weights (fp16 models of RWKV-4 rescaled, arch/v4.h), its scratch, and its layer
// sequence over the GPU's operations.
template <class V>
class Layers final : public CudaRunner {
 public:
  Layers(const ModelInfo& info, const TensorMap& tensors, const Device& dev)
      : CudaRunner(require_head_size(info), tensors, dev),
        w_(V::bind(up_, info, /*fp16_rescale=*/type_ == ElemType::F16)),
        s_(*this, w_, info) {}

 protected:
  void layers(int B, int T) override {
    LayerOps o(exec(), pass_buffers(), B, T);
    for (int l = 0; l < info_.n_layer; l++) V::layer(o, w_, l, s_);
  }

 private:
  typename V::template Weights<Uploader> w_;
  typename V::template Scratch<LayerOps> s_;
};

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
    std::unique_ptr<Runner> r = arch::with_version(info.arch, [&](auto v) -> std::unique_ptr<Runner> {
      return std::make_unique<Layers<decltype(v)>>(info, tensors, dev);
    });
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
