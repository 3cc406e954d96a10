// A text session: a shared model, a tokenizer and one recurrent state, fed text as it
// arrives (a live transcript in arbitrary pieces) and asked to score or continue it.
//
// The session keeps the logits after the last evaluated token, so score() and generate()
// can predict the next token at any time. A fresh session has no prediction for its first
// token: when one is needed, the tokenizer's end-of-text token (RWKV's document separator)
// is fed first; with a tokenizer that has none (bytes) the first token stays unscored and
// generate() needs some text first.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rwkv/model.h"
#include "rwkv/sampler.h"
#include "rwkv/tokenizer.h"

namespace rwkv {

struct TokenScore {
  uint32_t id = 0;
  std::string bytes;    // the token's bytes
  double logprob = 0;   // natural log of its probability; NaN when it had no prediction
  bool scored = false;
};

struct ScoreResult {
  std::vector<TokenScore> tokens;
  double logprob = 0;         // sum over scored tokens, nats
  size_t scored_tokens = 0;
  size_t scored_bytes = 0;    // bytes of the scored tokens
  double bits_per_byte() const;
  // Index of the least likely scored token, or SIZE_MAX.
  size_t least_likely() const;
};

struct GenerateParams {
  SamplerParams sampler;
  int max_tokens = 256;
  std::vector<std::string> stop;     // ends generation; the stop text itself is not returned
  bool stop_at_end_of_text = true;   // the tokenizer's end-of-text token ends generation
};

enum class StopReason { MaxTokens, StopSequence, EndOfText, Callback };
const char* stop_reason_name(StopReason r);

struct GenerateResult {
  std::string text;
  size_t tokens = 0;
  StopReason reason = StopReason::MaxTokens;
};

// Receives each piece of generated text (complete UTF-8); returning false stops generation.
using TextCallback = std::function<bool(std::string_view piece)>;

class Session {
 public:
  Session(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer);
  Session(const Session& other);
  Session& operator=(const Session& other);
  Session(Session&&) noexcept = default;
  Session& operator=(Session&&) noexcept = default;
  ~Session();

  // A deep copy (state, held-back text, logits) sharing the model and tokenizer.
  Session fork() const { return *this; }

  // Feeds text through the streaming encoder; the tokens it fixes are evaluated. With
  // `scores`, each evaluated token is appended with its log-probability.
  void ingest(std::string_view text, std::vector<TokenScore>* scores = nullptr);
  void ingest(std::span<const uint32_t> tokens, std::vector<TokenScore>* scores = nullptr);
  // Ends the current text: held-back text is encoded and evaluated.
  void flush(std::vector<TokenScore>* scores = nullptr);

  // Log-probability of `text` following what was ingested (held-back text included), with
  // per-token detail. The session is unchanged.
  ScoreResult score(std::string_view text) const;

  // Flushes, then samples up to max_tokens tokens, feeding each into the state. The state
  // ends up holding the generated tokens (a stop sequence's too; not an end-of-text token).
  GenerateResult generate(const GenerateParams& params, const TextCallback& on_text = {});

  void reset();  // the initial state; held-back text and logits dropped

  const Model& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return *tok_; }
  const State& state() const { return state_; }
  // Replaces the state (e.g. one restored with State::deserialize). `logits` are those saved
  // with it; without them a state that has seen tokens cannot predict until more text.
  // `bytes_consumed` restores the input position with it (held-back text excluded).
  void set_state(State state, std::span<const float> logits = {}, uint64_t bytes_consumed = 0);
  // The session's whole context in a state file (state_file.h: state, logits, held-back
  // text, input position), written atomically. restore() reads one back after the checks
  // load_state_file makes (this model's, undamaged) and goes on exactly where the saved
  // session stood: the same tokens and scores follow for the same input.
  void save(const std::string& path) const;
  void restore(const std::string& path);
  // The logits after the last evaluated token; empty when there are none.
  std::span<const float> logits() const;

  uint64_t tokens_consumed() const { return state_.tokens_seen; }
  uint64_t bytes_consumed() const { return bytes_; }       // bytes given to ingest(text)
  size_t pending_bytes() const { return encoder_->pending_bytes(); }

 private:
  void eval(std::span<const uint32_t> tokens, std::vector<TokenScore>* scores);
  bool ensure_logits(bool prime);

  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Tokenizer> tok_;
  State state_;
  std::unique_ptr<TextEncoder> encoder_;
  std::vector<float> logits_;
  bool has_logits_ = false;
  uint64_t bytes_ = 0;
};

}  // namespace rwkv
