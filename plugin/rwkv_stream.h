// What an rwkv element does with its model, free of GStreamer: reads text into the main
// state (scoring it on the way), and at a trigger answers on a fork of that state per the
// element's mode. The element owns time, caps and events; this owns the session.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rwkv/model.h"
#include "rwkv/punctuate.h"
#include "rwkv/sampler.h"

namespace rwkv {
class Session;
struct TokenScore;
}

namespace gstrwkv {

enum class Trigger { Buffer, Sentence, Interval, Silence, Eos, Manual };

struct Settings {
  std::string prompt;    // respond/classify template; {text} = text since the last trigger
  std::string preamble;  // read into a fresh state at start
  std::vector<std::string> labels;
  std::vector<std::string> stop;
  int max_tokens = 64;
  rwkv::SamplerParams sampling;
};

// How likely a piece of input was under the state before it.
struct Score {
  size_t tokens = 0, bytes = 0;
  double logprob = 0;  // nats
  std::string least_likely_word;
  double least_likely_logprob = 0;
  bool aborted = false;  // reading stopped early; what was read stays in the state
  double bits_per_byte() const;
  Score& operator+=(const Score& o);
};

struct Totals {
  uint64_t tokens = 0, bytes = 0;
  double logprob = 0;
  double bits_per_byte() const;
};

struct Answer {
  std::string text;                                   // the output
  std::vector<std::pair<std::string, double>> labels;  // classify: every label's logprob
  bool aborted = false;
};

class Stream {
 public:
  // tokenizer: a path or "auto" (resolved beside model_path, in a GGUF file, or by n_vocab).
  Stream(std::shared_ptr<rwkv::Model> model, const std::string& tokenizer, const std::string& model_path);
  ~Stream();

  // Input is read in slices (kSliceBytes of text, kSliceTokens ids), so memory stays bounded
  // by a slice whatever the size of the input; `between` runs after each slice and ends the
  // reading early when it returns false (a flush arriving during a long buffer).
  using Between = std::function<bool()>;
  Score ingest(std::string_view text, const Between& between = {});
  Score ingest_tokens(std::span<const uint32_t> tokens, const Between& between = {});
  // Reads the text the streaming tokenizer holds back (end of stream).
  void flush();
  // Punctuate mode (rwkv/punctuate.h): queues one utterance, read into the state as it is
  // restored (counted in the totals); finish decides what waits with the words there are;
  // punctuated() takes the oldest complete utterance's text, false when there is none.
  void punctuate(std::string_view utterance, const rwkv::PunctuateOptions& options);
  void punctuate_finish();
  bool punctuated(std::string& text);
  void punctuate_clear();  // a flush: queued utterances dropped
  // Continue, respond and classify mode's answers, on a fork of the state. `pending`: the
  // text since the last answer, for the prompt's {text}; `abort` stops a generation.
  Answer continue_text(const Settings& s, const std::atomic<bool>& abort);
  Answer respond(const Settings& s, const std::string& pending, const std::atomic<bool>& abort);
  Answer classify(const Settings& s, const std::string& pending);
  // Whether continue mode has something to continue from: text read (or held back), or a
  // tokenizer with an end-of-text token to start from.
  bool can_continue() const;
  // Back to the start of a stream: the initial state, then `preamble` read (not scored, not
  // counted in the totals). keep_totals: the totals go on counting (the reset signal).
  void restart(const std::string& preamble, bool keep_totals);
  // Seconds one token takes in step mode, measured on a fork (the state is untouched).
  double step_seconds();
  void save(const std::string& path);
  void load(const std::string& path);

  std::string detokenize(const std::vector<uint32_t>& tokens) const;
  std::string vocabulary() const;  // the tokenizer's name, for application/x-rwkv-tokens caps
  // Where the state is in the whole stream (restored states included): tokens evaluated and
  // bytes of text read, held-back text included. Saved with the state.
  uint64_t tokens_read() const;
  uint64_t bytes_read() const;
  Totals totals() const { return totals_; }

 private:
  static constexpr size_t kSliceBytes = 4096, kSliceTokens = 4096;
  // A "word" without white space (Chinese, Japanese, a URL) is cut here: the least likely
  // word stays a word, not the whole text.
  static constexpr size_t kMaxWordBytes = 64;
  Score score_tokens(const std::vector<rwkv::TokenScore>& tokens, size_t bytes, bool final);
  void least_likely_word(const std::vector<rwkv::TokenScore>& tokens, bool final, Score& out);
  std::unique_ptr<rwkv::Session> session_;
  std::unique_ptr<rwkv::Punctuator> punct_;  // reads into session_; made at the first utterance
  Totals totals_;
  std::string word_;  // the word being read, with its log-probability so far
  double word_lp_ = 0;
  bool word_scored_ = false;
};

// "a\\nb" -> "a\nb" (\\n, \\t, \\\\ escapes, for property strings from gst-launch).
std::string unescape(const std::string& s);
// "a,b, c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> split_list(const std::string& s);

}  // namespace gstrwkv
