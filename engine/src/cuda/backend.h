// The CUDA backend as the rest of the engine sees it (built with RWKV_HAVE_CUDA only).
#pragma once
#include <memory>
#include <span>
#include <string>

#include "runner.h"

namespace rwkv {

// GPUs the driver reports; 0 without a driver or a device.
int cuda_device_count();

// A runner on device "cuda" (device 0) or "cuda:N"; `resolved` receives "cuda:N".
std::unique_ptr<Runner> make_cuda_runner(const ModelInfo& info, const TensorMap& tensors, const std::string& device,
                                         std::string* resolved);

// Model::eval_batch on a CUDA runner (one batched pass per group of streams); false when
// `runner` is not a CUDA runner.
bool cuda_eval_batch(Runner& runner, std::span<State* const> states, std::span<const uint32_t> tokens,
                     float* logits);

// Model::new_state_batch on a CUDA runner; null when `runner` is not one.
std::unique_ptr<StateBatch> cuda_new_state_batch(Runner& runner, size_t n);
// Model::eval_batch on a StateBatch (slots already resolved and checked); false when `runner`
// is not a CUDA runner. Throws when the batch belongs to another model.
bool cuda_eval_state_batch(Runner& runner, StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                           std::span<const size_t> slots);

}  // namespace rwkv
