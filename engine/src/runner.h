// A backend's implementation of Model::eval for one architecture.
#pragma once
#include <memory>
#include <span>

#include "rwkv/model.h"

namespace rwkv {

class Runner {
 public:
  virtual ~Runner() = default;
  virtual void eval(State& state, std::span<const uint32_t> tokens, float* logits,
                    Logits which) = 0;
  virtual int threads() const = 0;
};

std::unique_ptr<Runner> make_cpu_runner(const ModelInfo& info, TensorMap& tensors,
                                        const LoadOptions& opts);

}  // namespace rwkv
