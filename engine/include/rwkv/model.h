// A loaded RWKV model: read-only weights shared by any number of states. Thread-safe for
// concurrent eval() calls on different states.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "rwkv/state.h"
#include "rwkv/tensor.h"

namespace rwkv {

struct LoadOptions {
  int threads = 0;            // CPU worker threads; 0 = all cores
  std::string device = "cpu";
  float groupnorm_eps = 0;    // 0 = the model's default (see ModelInfo::groupnorm_eps)
};

// Which logits eval() writes.
enum class Logits { None, Last, All };

class Runner;

class Model {
 public:
  static std::shared_ptr<Model> load(const std::string& path, const LoadOptions& opts = {});
  // From an already canonical tensor map (takes ownership).
  static std::shared_ptr<Model> from_tensors(TensorMap tensors, const LoadOptions& opts = {});
  ~Model();

  const ModelInfo& info() const { return info_; }
  const TensorMap& tensors() const { return tensors_; }
  int threads() const;

  State new_state() const;

  // A hash of the weights (names, shapes, dtypes and sampled bytes of every tensor), so a
  // saved state can name the model it belongs to. Computed once, on first use.
  uint64_t fingerprint() const;

  // Feeds tokens into the state (updated in place). logits receives n_vocab floats for the
  // last token (Logits::Last) or for every token, token-major (Logits::All).
  void eval(State& state, std::span<const uint32_t> tokens, float* logits,
            Logits which = Logits::Last) const;

 private:
  Model() = default;
  ModelInfo info_;
  TensorMap tensors_;
  std::unique_ptr<Runner> runner_;
  mutable std::once_flag fingerprint_once_;
  mutable uint64_t fingerprint_ = 0;
};

}  // namespace rwkv
