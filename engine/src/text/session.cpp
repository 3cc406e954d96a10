#include "rwkv/session.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rwkv/error.h"

namespace rwkv {

namespace {

// Logits are produced this many tokens at a time when every token is scored, bounding the
// buffer to kScoreChunk * n_vocab floats.
constexpr size_t kScoreChunk = 64;

double log_softmax_at(const float* logits, size_t n, uint32_t id) {
  float max = logits[0];
  for (size_t i = 1; i < n; i++) max = std::max(max, logits[i]);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += std::exp(double(logits[i]) - double(max));
  return double(logits[id]) - double(max) - std::log(sum);
}

}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::MaxTokens: return "max_tokens";
    case StopReason::StopSequence: return "stop_sequence";
    case StopReason::EndOfText: return "end_of_text";
    case StopReason::Callback: return "callback";
  }
  return "?";
}

double ScoreResult::bits_per_byte() const {
  return scored_bytes ? -logprob / std::log(2.0) / double(scored_bytes) : 0.0;
}

size_t ScoreResult::least_likely() const {
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < tokens.size(); i++)
    if (tokens[i].scored && (best == SIZE_MAX || tokens[i].logprob < tokens[best].logprob)) best = i;
  return best;
}

Session::Session(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer)
    : model_(std::move(model)), tok_(std::move(tokenizer)) {
  if (!model_ || !tok_) throw Error("session: needs a model and a tokenizer");
  if (tok_->n_vocab() > uint32_t(model_->info().n_vocab))
    throw Error(std::string("session: the ") + tok_->name() + " tokenizer has " + std::to_string(tok_->n_vocab()) +
                " tokens but the model only " + std::to_string(model_->info().n_vocab));
  state_ = model_->new_state();
  encoder_ = tok_->new_encoder();
}

Session::Session(const Session& o)
    : model_(o.model_), tok_(o.tok_), state_(o.state_), encoder_(o.encoder_->clone()),
      logits_(o.logits_), has_logits_(o.has_logits_), bytes_(o.bytes_) {}

Session& Session::operator=(const Session& o) {
  if (this != &o) *this = Session(o);
  return *this;
}

Session::~Session() = default;

std::span<const float> Session::logits() const {
  return has_logits_ ? std::span<const float>(logits_) : std::span<const float>();
}

bool Session::ensure_logits(bool prime) {
  if (has_logits_) return true;
  const auto eot = tok_->end_of_text();
  if (!prime || state_.tokens_seen != 0 || !eot) return false;
  eval(std::span<const uint32_t>(&*eot, 1), nullptr);
  return true;
}

void Session::eval(std::span<const uint32_t> tokens, std::vector<TokenScore>* scores) {
  if (tokens.empty()) return;
  const size_t V = size_t(model_->info().n_vocab);
  logits_.resize(V);
  if (!scores) {
    model_->eval(state_, tokens, logits_.data(), Logits::Last);
    has_logits_ = true;
    return;
  }
  ensure_logits(true);
  std::vector<float> all;
  for (size_t done = 0; done < tokens.size();) {
    const size_t T = std::min(kScoreChunk, tokens.size() - done);
    const auto chunk = tokens.subspan(done, T);
    all.resize(T * V);
    model_->eval(state_, chunk, all.data(), Logits::All);
    for (size_t t = 0; t < T; t++) {
      TokenScore s;
      s.id = chunk[t];
      if (s.id < tok_->n_vocab()) s.bytes = tok_->token_bytes(s.id);
      const float* prev = t ? all.data() + (t - 1) * V : has_logits_ ? logits_.data() : nullptr;
      s.scored = prev != nullptr;
      s.logprob = prev ? log_softmax_at(prev, V, s.id) : std::numeric_limits<double>::quiet_NaN();
      scores->push_back(std::move(s));
    }
    std::copy(all.end() - std::ptrdiff_t(V), all.end(), logits_.begin());
    has_logits_ = true;
    done += T;
  }
}

void Session::ingest(std::string_view text, std::vector<TokenScore>* scores) {
  std::vector<uint32_t> ids;
  encoder_->push(text, ids);
  bytes_ += text.size();
  eval(ids, scores);
}

void Session::ingest(std::span<const uint32_t> tokens, std::vector<TokenScore>* scores) {
  flush(scores);  // held-back text comes first
  eval(tokens, scores);
}

void Session::flush(std::vector<TokenScore>* scores) {
  std::vector<uint32_t> ids;
  encoder_->flush(ids);
  eval(ids, scores);
}

ScoreResult Session::score(std::string_view text) const {
  Session s(*this);
  ScoreResult r;
  s.ingest(text, &r.tokens);
  s.flush(&r.tokens);
  for (const TokenScore& t : r.tokens)
    if (t.scored) {
      r.logprob += t.logprob;
      r.scored_tokens++;
      r.scored_bytes += t.bytes.size();
    }
  return r;
}

GenerateResult Session::generate(const GenerateParams& params, const TextCallback& on_text) {
  GenerateResult res;
  flush();
  if (params.max_tokens <= 0) return res;
  if (!ensure_logits(true))
    throw Error(state_.tokens_seen == 0
                    ? std::string("nothing to continue from: ingest a prompt first (the ") + tok_->name() +
                          " tokenizer has no end-of-text token to start from)"
                    : "the restored state came without its logits: ingest some text first");
  Sampler sampler(params.sampler);
  TextDecoder decoder(tok_);
  const size_t limit = std::min<size_t>(tok_->n_vocab(), logits_.size());  // ids that have text
  const auto eot = tok_->end_of_text();
  std::string held;  // decoded text that may be the start of a stop sequence

  auto emit = [&](std::string_view piece) {
    if (piece.empty()) return true;
    res.text.append(piece);
    return !on_text || on_text(piece);
  };
  // Emits what can no longer be part of a stop sequence; true when generation must end.
  auto settle = [&](bool last) {
    size_t at = std::string::npos;
    for (const std::string& s : params.stop)
      if (!s.empty()) at = std::min(at, held.find(s));
    if (at != std::string::npos) {
      emit(std::string_view(held).substr(0, at));
      res.reason = StopReason::StopSequence;
      return true;
    }
    size_t keep = 0;
    if (!last)
      for (const std::string& s : params.stop) {
        if (s.empty()) continue;
        for (size_t k = std::min(s.size() - 1, held.size()); k > keep; k--)
          if (held.compare(held.size() - k, k, s, 0, k) == 0) {
            keep = k;
            break;
          }
      }
    const bool go_on = emit(std::string_view(held).substr(0, held.size() - keep));
    held.erase(0, held.size() - keep);
    if (!go_on && !last) res.reason = StopReason::Callback;
    return !go_on;
  };

  for (int n = 0; n < params.max_tokens; n++) {
    const uint32_t id = sampler.sample(std::span<const float>(logits_.data(), limit));
    if (params.stop_at_end_of_text && eot && id == *eot) {
      res.reason = StopReason::EndOfText;
      break;
    }
    sampler.accept(id);
    eval(std::span<const uint32_t>(&id, 1), nullptr);
    res.tokens++;
    held += decoder.push(id);
    if (settle(false)) return res;
  }
  held += decoder.flush();
  settle(true);
  return res;
}

void Session::reset() {
  state_.reset();
  encoder_->reset();
  has_logits_ = false;
  bytes_ = 0;
}

void Session::set_state(State state, std::span<const float> logits, uint64_t bytes_consumed) {
  const ModelInfo& i = model_->info();
  if (state.arch() != i.arch || state.n_layer() != i.n_layer || state.n_embd() != i.n_embd)
    throw Error("session: the state belongs to another model (" + std::string(arch_name(state.arch())) + ", " +
                std::to_string(state.n_layer()) + " layers, n_embd " + std::to_string(state.n_embd()) + ")");
  if (!logits.empty() && logits.size() != size_t(i.n_vocab))
    throw Error("session: " + std::to_string(logits.size()) + " logits given, the model has n_vocab " +
                std::to_string(i.n_vocab));
  state_ = std::move(state);
  encoder_->reset();
  logits_.assign(logits.begin(), logits.end());
  has_logits_ = !logits.empty();
  bytes_ = bytes_consumed;
}

}  // namespace rwkv
