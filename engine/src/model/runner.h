// A backend's implementation of a model: Model::eval and the batch calls for one
// architecture. Backends live only behind this interface; model.cpp names none of them. The
// batch calls have host defaults (one stream after another, States in host memory); a
// backend that batches better overrides them.
#pragma once
#include <memory>
#include <span>

#include "rwkv/model.h"

namespace rwkv {

// Where one stream's logits go in Runner::eval_streams: nowhere, its last token's (n_vocab
// floats), or every token's (T x n_vocab).
struct StreamOut {
  float* logits = nullptr;
  Logits which = Logits::None;
  // What tokens [from, from + n) of a request of `count` tokens that wants these logits want:
  // every token's from row `from` on, the last only in the part that ends the request.
  StreamOut part(size_t from, size_t n, size_t count, size_t n_vocab) const {
    if (which == Logits::All) return {logits + from * n_vocab, Logits::All};
    return which == Logits::Last && from + n == count ? *this : StreamOut{};
  }
};

class Runner {
 public:
  explicit Runner(const ModelInfo& info) : info_(info) {}
  virtual ~Runner() = default;
  const ModelInfo& info() const { return info_; }
  virtual void eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) = 0;
  virtual int threads() const = 0;
  // Bytes of weights one token reads, as this backend holds them: every matrix and vector it
  // bound (the embedding, of which a token reads one row, left out).
  virtual uint64_t weight_bytes() const = 0;
  // Rows (tokens x streams) the runner handles in one go: the scheduler advances each
  // request by at most this many tokens per pass.
  virtual int pass_rows() const { return 128; }

  // T = tokens.size() / states.size() tokens for each state (state-major; checked by Model);
  // logits, when not null, receive each state's last n_vocab logits.
  virtual void eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits);
  // The scheduler's pass: counts[b] tokens of states[b] (one stream's tokens after another's;
  // the counts may differ), each state's logits as out[b] asks. The host default runs it in
  // steps: every stream for as many tokens as the shortest has left, then the rest (a step's
  // streams that want every token's logits one after another, the others as one eval_batch).
  virtual void eval_streams(std::span<State* const> states, std::span<const uint32_t> tokens,
                            std::span<const size_t> counts, std::span<const StreamOut> out);
  virtual std::unique_ptr<StateBatch> new_state_batch(size_t n);
  // The same for slots of a batch (slots distinct and in range, checked by Model; empty: all).
  // Throws when the batch was made by another runner.
  virtual void eval_batch(StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                          std::span<const size_t> slots);

 protected:
  // A state of a batch made by the host default new_state_batch (throws for another
  // runner's batch or a slot out of range).
  State& host_state(StateBatch& batch, size_t slot) const;
  ModelInfo info_;
};

std::unique_ptr<Runner> make_cpu_runner(const ModelInfo& info, TensorMap& tensors,
                                        const LoadOptions& opts);

// The one check that a State fits a model (architecture, layers, width, size).
void check_state_fits(const State& s, const ModelInfo& info);
// The one check that token ids are in the model's vocabulary.
void check_tokens_fit(std::span<const uint32_t> tokens, const ModelInfo& info);

}  // namespace rwkv
