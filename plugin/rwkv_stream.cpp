#include "rwkv_stream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "rwkv/error.h"
#include "rwkv/session.h"
#include "rwkv/tokenizer.h"

namespace gstrwkv {

namespace {

// Default respond prompt: a World chat turn (docs/REFERENCE.md, prompt formats).
constexpr const char* kRespondPrompt = "\n\nUser: {text}\n\nAssistant:";
constexpr const char* kClassifyPrompt = "\n\nUser: {text}\nWhich of these fits best: {labels}?\n\nAssistant:";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// The bytes of text the tokens stand for (token input has no text length of its own).
size_t bytes_of(const std::vector<rwkv::TokenScore>& toks) {
  size_t n = 0;
  for (const auto& t : toks) n += t.bytes.size();
  return n;
}

}  // namespace

// The word with the lowest total log-probability: each token counts toward the word holding
// its first non-space byte. A word still open at the end of the input is carried into the
// next call (words cut across buffers are judged whole).
void Stream::least_likely_word(const std::vector<rwkv::TokenScore>& toks, bool final, Score& out) {
  std::string best;
  double best_lp = std::numeric_limits<double>::infinity();
  auto close_word = [&] {
    if (word_scored_ && !word_.empty() && word_lp_ < best_lp) {
      best = word_;
      best_lp = word_lp_;
    }
    word_.clear();
    word_lp_ = 0;
    word_scored_ = false;
  };
  for (const auto& t : toks) {
    bool counted = false;
    for (char c : t.bytes) {
      if (is_space(c)) {
        close_word();
        continue;
      }
      // Cut an over-long word before a character that would not fit (never inside one).
      const auto b = static_cast<unsigned char>(c);
      const size_t char_bytes = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
      if (char_bytes && word_.size() + char_bytes > kMaxWordBytes) close_word();
      word_ += c;
      if (!counted && t.scored) {
        word_lp_ += t.logprob;
        word_scored_ = true;
        counted = true;
      }
    }
  }
  if (final) close_word();
  out.least_likely_word = best;
  out.least_likely_logprob = std::isfinite(best_lp) ? best_lp : 0.0;
}

double Score::bits_per_byte() const { return bytes ? -logprob / std::log(2.0) / double(bytes) : 0.0; }
double Totals::bits_per_byte() const { return bytes ? -logprob / std::log(2.0) / double(bytes) : 0.0; }

Score& Score::operator+=(const Score& o) {
  tokens += o.tokens;
  bytes += o.bytes;
  logprob += o.logprob;
  if (!o.least_likely_word.empty() && (least_likely_word.empty() || o.least_likely_logprob < least_likely_logprob)) {
    least_likely_word = o.least_likely_word;
    least_likely_logprob = o.least_likely_logprob;
  }
  aborted = aborted || o.aborted;
  return *this;
}

Stream::Stream(std::shared_ptr<rwkv::Model> model, const std::string& tokenizer, const std::string&) {
  auto tok = rwkv::tokenizer_for_model(*model, tokenizer);
  session_ = std::make_unique<rwkv::Session>(model, tok);
}

Stream::~Stream() = default;

Score Stream::score_tokens(const std::vector<rwkv::TokenScore>& toks, size_t bytes, bool final) {
  Score s;
  s.tokens = toks.size();
  s.bytes = bytes;
  // The running total adds token by token, as the piece's sum does: the summary then does
  // not depend on where the text was cut into buffers, to the last bit.
  for (const auto& t : toks)
    if (t.scored) {
      s.logprob += t.logprob;
      totals_.logprob += t.logprob;
    }
  least_likely_word(toks, final, s);
  totals_.tokens += s.tokens;
  totals_.bytes += s.bytes;
  return s;
}

namespace {

// Runs read(offset, count) over [0, size) in slices, calling `between` after each but the last.
Score in_slices(size_t size, size_t slice, const std::function<Score(size_t, size_t)>& read,
                const Stream::Between& between) {
  Score total;
  for (size_t at = 0; at < size; at += slice) {
    total += read(at, std::min(slice, size - at));
    if (at + slice < size && between && !between()) {
      total.aborted = true;
      break;
    }
  }
  return total;
}

}  // namespace

Score Stream::ingest(std::string_view text, const Between& between) {
  std::vector<rwkv::TokenScore> toks;
  return in_slices(text.size(), kSliceBytes, [&](size_t at, size_t n) {
    const std::string_view slice = text.substr(at, n);
    toks.clear();
    session_->ingest(slice, &toks);
    return score_tokens(toks, n, false);
  }, between);
}

Score Stream::ingest_tokens(std::span<const uint32_t> tokens, const Between& between) {
  std::vector<rwkv::TokenScore> toks;
  return in_slices(tokens.size(), kSliceTokens, [&](size_t at, size_t n) {
    toks.clear();
    session_->ingest(tokens.subspan(at, n), &toks);
    return score_tokens(toks, bytes_of(toks), false);
  }, between);
}

void Stream::flush() {
  std::vector<rwkv::TokenScore> toks;
  session_->flush(&toks);
  score_tokens(toks, 0, true);
}

namespace {

// The prompt a fork reads in respond and classify mode: {text} and {labels} filled in.
std::string prompt_for(const Settings& s, const char* default_template, const std::string& pending) {
  std::string labels;
  for (size_t i = 0; i < s.labels.size(); i++) labels += (i ? ", " : "") + s.labels[i];
  const std::string tmpl = s.prompt.empty() ? default_template : s.prompt;
  return replace_all(replace_all(tmpl, "{text}", trim(pending)), "{labels}", labels);
}

// Generates on the fork (which has read any prompt) until max_tokens, a stop sequence or an abort.
Answer generate_on(rwkv::Session& fork, const Settings& s, std::vector<std::string> stop,
                   const std::atomic<bool>& abort) {
  rwkv::GenerateParams p;
  p.sampler = s.sampling;
  p.max_tokens = s.max_tokens;
  p.stop = s.stop.empty() ? std::move(stop) : s.stop;
  const rwkv::GenerateResult r = fork.generate(p, [&](std::string_view) { return !abort.load(); });
  Answer a;
  a.aborted = r.reason == rwkv::StopReason::Callback;
  // Trimmed: a caption that starts with a line break shows nothing (webvttenc, textoverlay).
  a.text = trim(r.text);
  return a;
}

}  // namespace

// Each answers on a fork: the main state never sees prompts or answers.
Answer Stream::continue_text(const Settings& s, const std::atomic<bool>& abort) {
  rwkv::Session fork = session_->fork();
  return generate_on(fork, s, {}, abort);
}

Answer Stream::respond(const Settings& s, const std::string& pending, const std::atomic<bool>& abort) {
  rwkv::Session fork = session_->fork();
  fork.ingest(prompt_for(s, kRespondPrompt, pending));
  return generate_on(fork, s, {"\n\n"}, abort);
}

Answer Stream::classify(const Settings& s, const std::string& pending) {
  if (s.labels.empty()) throw rwkv::Error("classify mode needs the `labels` property");
  rwkv::Session fork = session_->fork();
  fork.ingest(prompt_for(s, kClassifyPrompt, pending));
  Answer a;
  double best = -std::numeric_limits<double>::infinity();
  for (const std::string& label : s.labels) {
    const double lp = fork.score(" " + label).logprob;
    a.labels.emplace_back(label, lp);
    if (lp > best) {
      best = lp;
      a.text = label;
    }
  }
  return a;
}

void Stream::punctuate(std::string_view utterance, const rwkv::PunctuateOptions& options) {
  if (!punct_) punct_ = std::make_unique<rwkv::Punctuator>(*session_, options);
  else punct_->set_options(options);
  std::vector<rwkv::TokenScore> toks;
  punct_->push(utterance, &toks);
  score_tokens(toks, bytes_of(toks), false);
}

void Stream::punctuate_finish() {
  if (!punct_) return;
  std::vector<rwkv::TokenScore> toks;
  punct_->finish(&toks);
  score_tokens(toks, bytes_of(toks), false);
}

bool Stream::punctuated(std::string& text) {
  if (!punct_ || !punct_->ready()) return false;
  text = punct_->pop();
  return true;
}

void Stream::punctuate_clear() {
  if (punct_) punct_->clear();
}

bool Stream::can_continue() const {
  return !session_->logits().empty() || session_->pending_bytes() > 0 ||
         (session_->tokens_consumed() == 0 && session_->tokenizer().end_of_text().has_value());
}

void Stream::restart(const std::string& preamble, bool keep_totals) {
  session_->reset();
  if (!keep_totals) punct_.reset();  // a new stream; after the reset signal queued utterances still wait
  word_.clear();
  word_lp_ = 0;
  word_scored_ = false;
  if (!keep_totals) totals_ = Totals();
  if (!preamble.empty()) session_->ingest(preamble);
}

double Stream::step_seconds() {
  rwkv::Session fork = session_->fork();
  const uint32_t token = 0;
  fork.ingest(std::span<const uint32_t>(&token, 1));  // warms the model's buffers
  const auto t0 = std::chrono::steady_clock::now();
  fork.ingest(std::span<const uint32_t>(&token, 1));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Stream::save(const std::string& path) { session_->save(path); }

void Stream::load(const std::string& path) { session_->restore(path); }

std::string Stream::detokenize(const std::vector<uint32_t>& tokens) const {
  return session_->tokenizer().decode(tokens);
}

uint64_t Stream::tokens_read() const { return session_->tokens_consumed(); }
uint64_t Stream::bytes_read() const { return session_->bytes_consumed(); }

std::string Stream::vocabulary() const { return session_->tokenizer().name(); }

std::string unescape(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char n = s[++i];
      o += n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n;
    } else {
      o += s[i];
    }
  }
  return o;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string item = trim(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace gstrwkv
