#include "cuda/backend.h"

#include <algorithm>
#include <cctype>

#include "../../../kernels/cuda/wkv_heads.h"
#include "cuda/factory.h"
#include "cuda/state_batch.h"
#include "rwkv/error.h"

namespace rwkv {

namespace cuda {

void require_head_size(const ModelInfo& info) {
  if (!wkv_head_size_supported(info.head_size))
    throw Error("head size " + std::to_string(info.head_size) + " is not supported by the CUDA backend (supported: " +
                wkv_head_sizes() + ")");
}

}  // namespace cuda

int cuda_device_count() { return cuda::device_count(); }

std::unique_ptr<Runner> make_cuda_runner(const ModelInfo& info, const TensorMap& tensors, const std::string& device,
                                         std::string* resolved) {
  int index = 0;
  if (device != "cuda") {
    const std::string n = device.rfind("cuda:", 0) == 0 ? device.substr(5) : "";
    if (n.empty() || n.size() > 4 ||
        !std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isdigit(c); }))
      throw Error("bad device '" + device + "' (expected cuda or cuda:N)");
    index = std::stoi(n);
  }
  const cuda::Device dev = cuda::Device::open(index);
  if (resolved) *resolved = "cuda:" + std::to_string(index);
  cuda::DeviceGuard guard(index);
  std::unique_ptr<Runner> r;
  switch (info.arch) {
    case Arch::V4: r = cuda::make_v4(info, tensors, dev); break;
    case Arch::V5_1:
    case Arch::V5_2: r = cuda::make_v5(info, tensors, dev); break;
    case Arch::V6: r = cuda::make_v6(info, tensors, dev); break;
    case Arch::V7: r = cuda::make_v7(info, tensors, dev); break;
  }
  if (!r) throw Error("unknown architecture " + std::to_string(int(info.arch)));
  // The weights went up with plain cudaMemcpy, which a non-blocking stream does not wait
  // for: the first pass starts after the last copy has landed (cuda-review.md A4).
  cuda::check(cudaDeviceSynchronize(), dev, "uploading the weights");
  return r;
}

bool cuda_eval_batch(Runner& runner, std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) {
  auto* r = dynamic_cast<cuda::CudaRunner*>(&runner);
  if (!r) return false;
  r->eval_batch(states, tokens, logits);
  return true;
}

std::unique_ptr<StateBatch> cuda_new_state_batch(Runner& runner, size_t n) {
  auto* r = dynamic_cast<cuda::CudaRunner*>(&runner);
  if (!r) return nullptr;
  return std::make_unique<cuda::CudaStateBatch>(*r, n);
}

bool cuda_eval_state_batch(Runner& runner, StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                           std::span<const size_t> slots) {
  auto* r = dynamic_cast<cuda::CudaRunner*>(&runner);
  if (!r) return false;
  auto* b = dynamic_cast<cuda::CudaStateBatch*>(&batch);
  if (!b || b->owner() != r) throw Error("the state batch belongs to another model");
  r->eval_batch(*b, tokens, logits, slots);
  return true;
}

}  // namespace rwkv
