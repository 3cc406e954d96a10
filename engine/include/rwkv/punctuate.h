// Restoring punctuation and capitals to a live transcript: speech recognisers write lowercase
// words without marks, cut into utterances at pauses. At each word boundary the session's
// model scores the candidate marks (none , . ? !) and capitalisations of the next word on
// forks of the state, which has read everything before, reading `lookahead` words ahead;
// the best is read into the state and the next boundary follows.
//
// The state reads the restored text, not the raw words: the model was trained on written
// text with marks and capitals, so raw lowercase text would move every later prediction
// away from what it knows, and each decision is then conditioned on the ones before (a
// sentence just ended makes a capital likely). docs/REFERENCE.md, "Punctuation", has the
// scoring rule.
//
// Only marks after words and the case of a word's first letter change: never a word added,
// dropped or respelt (same_words() checks it). An utterance that already carries marks or
// capitals (subtitle cues, typed text) passes unchanged and is read as it is.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rwkv/session.h"

namespace rwkv {

struct PunctuateOptions {
  // Words after a boundary read before its mark is chosen (>= 1): an utterance is complete
  // when this many words follow its last one, or at finish(). 3: on the bundled model's
  // held-out texts sentence ends gain 2-3 points of F1 over 2 for 1.4 times the cost, and 4
  // is no better (BENCHMARKS.md).
  int lookahead = 3;
  // Nats added to each mark after an utterance's last word: a pause is evidence of a
  // sentence end or a comma, not proof of one. 0.5: sentence-end F1 rises by 3-6 points over
  // 0 where a recogniser's cuts follow half the sentence ends, and by 11 on the Debian
  // Manifesto cut at random; it costs 2 on the held-out modern text cut at random
  // (BENCHMARKS.md, "Punctuation").
  double pause_bonus = 0.5;
  // Nats added to a comma wherever it is a candidate: the bundled model under-predicts commas
  // in text read without marks. 1, chosen on its held-out modern text: comma F1 0.05 -> 0.18
  // there, sentence ends and capitals level (BENCHMARKS.md).
  double comma_bonus = 1.0;
};

struct PunctuateStats {
  uint64_t words = 0;          // words read into the state (restored)
  uint64_t decisions = 0;      // boundaries the model chose between candidates at
  uint64_t candidates = 0;     // candidate continuations scored
  uint64_t tokens_scored = 0;  // tokens evaluated for them
  uint64_t tokens_read = 0;    // tokens of restored text read into the state
};

class Punctuator {
 public:
  // Reads into `session`, which must outlive the punctuator.
  explicit Punctuator(Session& session, PunctuateOptions options = {});

  void set_options(const PunctuateOptions& options);
  const PunctuateOptions& options() const { return opts_; }

  // Queues one utterance (a transcript buffer, any text) and decides every boundary that
  // now has its lookahead. `read` (optional) receives the tokens read into the state.
  void push(std::string_view utterance, std::vector<TokenScore>* read = nullptr);
  // Decides every queued word with the words there are: the stream pauses or ends (GAP,
  // EOS, a drain, a deadline). The next utterance's first word then decides only its case.
  void finish(std::vector<TokenScore>* read = nullptr);

  // Whether the oldest queued utterance is complete; pop() returns its restored text.
  bool ready() const;
  std::string pop();
  size_t queued() const { return utts_.size(); }
  // Drops the queued utterances (a flush); the state keeps what it has read.
  void clear();

  const PunctuateStats& stats() const { return stats_; }

 private:
  struct Word {
    std::string text;          // as received
    bool fixed = false;        // from an utterance that passes unchanged
    bool last = false;         // its utterance's last word
    std::string mark, cased;   // decided mark after it; the word as read
    bool mark_done = false;
  };
  struct Utterance {
    std::string raw;
    std::vector<std::pair<size_t, size_t>> spans;  // each word's [begin, end) in raw
  };
  struct Candidate {
    std::string mark, cased;  // the mark after the last word read; the next word as written
  };
  struct Scored {
    std::string text;  // read after the state
    std::string mark;  // the mark it writes after the last word read ("" when already decided)
  };
  bool step(bool finishing, std::vector<TokenScore>* read);
  size_t best(const std::vector<Scored>& cands, bool boundary_after, double pause_bonus);
  double score(const std::string& text, bool boundary_after);
  void read_text(const std::string& text, std::vector<TokenScore>* read);

  Session& session_;
  PunctuateOptions opts_;
  std::deque<Utterance> utts_;
  std::deque<Word> words_;     // the queued utterances' words, in order
  size_t read_ = 0;            // words_[0, read_) are in the state
  std::optional<Word> prev_;   // the last word read, once its utterance has left
  std::vector<bool> boundary_;  // tokens that begin with white space: a word ends before them
  PunctuateStats stats_;
};

// Whether text already carries marks or capitals (it then passes unchanged).
bool is_punctuated(std::string_view text);
// Whether `output` is `input` changed only by marks (. , ? !) inserted after words and the
// case of words' first letters, white space and word order kept.
bool same_words(std::string_view input, std::string_view output);

}  // namespace rwkv
