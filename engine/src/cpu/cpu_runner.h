// What every CPU architecture shares: the embedding with ln0, chunking of long inputs,
// scratch memory, and ln_out + head for the tokens whose logits are wanted. An architecture
// supplies its layers, run over a chunk of T tokens at once (step mode is T = 1).
#pragma once
#include <vector>

#include "arch/ends.h"
#include "cpu/binder.h"
#include "cpu/linear.h"
#include "cpu/thread_pool.h"
#include "runner.h"

namespace rwkv::cpu {

class CpuRunner : public Runner {
 public:
  CpuRunner(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts);
  void eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) override;
  int threads() const override { return pool_.size(); }

  static constexpr int kChunk = 128;  // tokens per pass; bounds scratch memory

 protected:
  // Runs all layers over x [T, C] (the residual stream, updated in place).
  virtual void layers(State& state, float* x, int T, float* scratch) = 0;
  // Floats of scratch needed per token by layers().
  virtual size_t scratch_per_token() const = 0;

  ThreadPool pool_;

 private:
  const Tensor* emb_;
  arch::Ends<Binder> ends_;
};

std::unique_ptr<Runner> make_v4(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts);
// RWKV-5.1 and 5.2.
std::unique_ptr<Runner> make_v5(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts);
std::unique_ptr<Runner> make_v6(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts);
std::unique_ptr<Runner> make_v7(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts);

}  // namespace rwkv::cpu
