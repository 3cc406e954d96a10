// The CPU backend's runner: the embedding with ln0, chunking of long inputs, ln_out + head
// for the tokens whose logits are wanted, and between them a version's layers
// (arch/versions.h) over cpu::LayerOps, run over the tokens of B streams at once, each stream
// its own number: the matrix products take all rows (each weight read once for the pass), the
// token shifts and recurrences each stream's own. Step mode is one token; B streams in step
// mode are one pass.
#pragma once
#include <mutex>
#include <vector>

#include "arch/ends.h"
#include "cpu/binder.h"
#include "cpu/linear.h"
#include "cpu/thread_pool.h"
#include "model/runner.h"

namespace rwkv::cpu {

class CpuRunner : public Runner {
 public:
  CpuRunner(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts);
  void eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) override;
  void eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) override;
  void eval_batch(StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                  std::span<const size_t> slots) override;
  void eval_streams(std::span<State* const> states, std::span<const uint32_t> tokens,
                    std::span<const size_t> counts, std::span<const StreamOut> out) override;
  int threads() const override { return pool_.size(); }
  uint64_t weight_bytes() const override { return binder_.bound_bytes(); }
  int pass_rows() const override { return kChunk; }

  static constexpr int kChunk = 128;  // rows (tokens x streams) per pass; bounds scratch memory

 protected:
  // Runs all layers over x [rows, C] (the residual stream of B = states.size() streams, stream
  // b's tokens at rows first[b] .. first[b + 1] - 1; updated in place).
  virtual void layers(std::span<State* const> states, float* x, std::span<const int> first) = 0;

  Binder binder_;  // for the constructors (it refers to the tensor map), then its tally
  ThreadPool pool_;

 private:
  // counts[b] tokens of states[b] (one state's after another's); each state's logits as
  // out[b] asks (one entry per state).
  void run(std::span<State* const> states, std::span<const uint32_t> tokens, std::span<const size_t> counts,
           std::span<const StreamOut> out);
  // The same with every state's last logits at logits + b * n_vocab, or none.
  void run_last(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits);
  const Tensor* emb_;
  arch::Ends<Binder> ends_;
  // The head's product for rows bound for scattered places (streams of a pass that want every
  // token's logits); kept, as it is large (up to kChunk x n_vocab), and shared.
  std::mutex head_out_lock_;
  std::vector<float> head_out_;
};


}  // namespace rwkv::cpu
