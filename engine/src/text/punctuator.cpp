#include "rwkv/punctuate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "rwkv/error.h"

namespace rwkv {

namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Each word's [begin, end) in text: runs of bytes that are not white space.
std::vector<std::pair<size_t, size_t>> word_spans(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t i = 0; i < text.size();) {
    if (is_space(text[i])) {
      i++;
      continue;
    }
    const size_t b = i;
    while (i < text.size() && !is_space(text[i])) i++;
    spans.emplace_back(b, i);
  }
  return spans;
}

// The word with its first letter in capitals (ASCII and Latin-1; leading quotes and brackets
// skipped). A word that starts with a digit or a letter of another script is returned as it is.
std::string capitalized(std::string w) {
  for (size_t i = 0; i < w.size(); i++) {
    const auto c = static_cast<unsigned char>(w[i]);
    if (c >= 'a' && c <= 'z') {
      w[i] = char(c - 'a' + 'A');
      return w;
    }
    if (c == 0xC3 && i + 1 < w.size()) {  // U+00E0..U+00FE, but not the division sign
      const auto d = static_cast<unsigned char>(w[i + 1]);
      if (d >= 0xA0 && d <= 0xBE && d != 0xB7) w[i + 1] = char(d - 0x20);
      return w;
    }
    if (c != '\'' && c != '"' && c != '(' && c != '[') return w;
  }
  return w;
}

// "i", "i'm", "i'll", "i've", "i'd" (and with a typographic apostrophe): always "I".
bool is_first_person(std::string_view w) {
  return w == "i" || w.starts_with("i'") || w.starts_with("i\xE2\x80\x99");
}

bool is_sentence_mark(std::string_view m) { return m == "." || m == "?" || m == "!"; }

// Whether text as written ends a sentence: . ? ! before any closing quotes or brackets.
bool written_sentence_end(std::string_view w) {
  while (!w.empty() && (w.back() == '"' || w.back() == '\'' || w.back() == ')' || w.back() == ']')) w.remove_suffix(1);
  return !w.empty() && is_sentence_mark(w.substr(w.size() - 1));
}

constexpr const char* kMarks[] = {"", ",", ".", "?", "!"};

}  // namespace

bool is_punctuated(std::string_view text) {
  for (size_t i = 0; i < text.size(); i++) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 'A' && c <= 'Z') || c == '.' || c == ',' || c == '?' || c == '!' || c == ';' || c == ':') return true;
    if (c == 0xC3 && i + 1 < text.size()) {  // Latin-1 capitals U+00C0..U+00DE
      const auto d = static_cast<unsigned char>(text[i + 1]);
      if (d >= 0x80 && d <= 0x9E && d != 0x97) return true;
    }
  }
  return false;
}

bool same_words(std::string_view input, std::string_view output) {
  const auto in = word_spans(input), out = word_spans(output);
  if (in.size() != out.size()) return false;
  size_t in_at = 0, out_at = 0;
  for (size_t i = 0; i < in.size(); i++) {
    // The white space before each word, and after the last, is kept byte for byte.
    if (input.substr(in_at, in[i].first - in_at) != output.substr(out_at, out[i].first - out_at)) return false;
    const std::string w(input.substr(in[i].first, in[i].second - in[i].first));
    std::string_view o = output.substr(out[i].first, out[i].second - out[i].first);
    bool ok = false;
    for (const char* m : kMarks) {
      const std::string_view mark(m);
      if (!o.ends_with(mark)) continue;
      const std::string_view body = o.substr(0, o.size() - mark.size());
      if (body == w || body == capitalized(w)) ok = true;
    }
    if (!ok) return false;
    in_at = in[i].second;
    out_at = out[i].second;
  }
  return input.substr(in_at) == output.substr(out_at);
}

Punctuator::Punctuator(Session& session, PunctuateOptions options) : session_(session) {
  set_options(options);
  const Tokenizer& tok = session_.tokenizer();
  boundary_.resize(tok.n_vocab());
  for (uint32_t id = 0; id < tok.n_vocab(); id++) {
    const std::string_view b = tok.token_bytes(id);
    boundary_[id] = !b.empty() && is_space(b[0]);
  }
}

void Punctuator::set_options(const PunctuateOptions& options) {
  if (options.lookahead < 1) throw Error("punctuate: lookahead must be at least 1 word");
  opts_ = options;
}

void Punctuator::push(std::string_view utterance, std::vector<TokenScore>* read) {
  Utterance u{std::string(utterance), word_spans(utterance)};
  const bool fixed = is_punctuated(utterance);
  for (size_t i = 0; i < u.spans.size(); i++) {
    Word w;
    w.text = u.raw.substr(u.spans[i].first, u.spans[i].second - u.spans[i].first);
    w.fixed = fixed;
    w.last = i + 1 == u.spans.size();
    words_.push_back(std::move(w));
  }
  utts_.push_back(std::move(u));
  while (step(false, read)) {
  }
}

void Punctuator::finish(std::vector<TokenScore>* read) {
  while (step(true, read)) {
  }
}

void Punctuator::read_text(const std::string& text, std::vector<TokenScore>* read) {
  std::vector<TokenScore> toks;
  session_.ingest(text, &toks);
  stats_.tokens_read += toks.size();
  if (read) read->insert(read->end(), toks.begin(), toks.end());
}

// Log-probability of `text` after the state (held-back text included), and with
// boundary_after that of a word boundary following it (the next token begins with white
// space): how a mark is judged when no next word is known yet.
double Punctuator::score(const std::string& text, bool boundary_after) {
  Session f = session_.fork();
  std::vector<TokenScore> toks;
  f.ingest(text, &toks);
  f.flush(&toks);
  stats_.candidates++;
  stats_.tokens_scored += toks.size();
  double lp = 0;
  for (const TokenScore& t : toks)
    if (t.scored) lp += t.logprob;
  if (boundary_after) {
    const std::span<const float> logits = f.logits();
    const size_t n = std::min(logits.size(), boundary_.size());
    if (n == 0) return lp;
    const float mx = *std::max_element(logits.begin(), logits.begin() + std::ptrdiff_t(n));
    double all = 0, space = 0;
    for (size_t i = 0; i < n; i++) {
      const double e = std::exp(double(logits[i] - mx));
      all += e;
      if (boundary_[i]) space += e;
    }
    lp += space > 0 ? std::log(space / all) : -1e9;
  }
  return lp;
}

// The best candidate, by log-probability (of a word boundary after the
// text too, with boundary_after) plus the pause bonus for a mark and the comma bonus. A lone
// candidate is taken unscored.
size_t Punctuator::best(const std::vector<Scored>& cands, bool boundary_after, double pause_bonus) {
  if (cands.size() < 2) return 0;
  stats_.decisions++;
  size_t best = 0;
  double best_lp = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < cands.size(); i++) {
    const std::string& mark = cands[i].mark;
    const double lp = score(cands[i].text, boundary_after) + (mark.empty() ? 0.0 : pause_bonus) +
                      (mark == "," ? opts_.comma_bonus : 0.0);
    if (lp > best_lp) best_lp = lp, best = i;
  }
  return best;
}

// One boundary: the mark after the last word read (unless decided) and the case of the next
// word, chosen together. Returns whether it made progress.
bool Punctuator::step(bool finishing, std::vector<TokenScore>* read) {
  Word* p = read_ > 0 ? &words_[read_ - 1] : prev_ ? &*prev_ : nullptr;
  std::vector<std::string> marks;
  if (!p || p->mark_done) marks = {p ? p->mark : ""};
  else if (p->fixed) marks = {""};
  else marks.assign(std::begin(kMarks), std::end(kMarks));
  const bool mark_open = p && !p->mark_done;
  const double bonus = p && p->last ? opts_.pause_bonus : 0.0;

  if (read_ == words_.size()) {  // no next word: only a pause decides the last mark
    if (mark_open && marks.size() == 1) {  // written text: nothing to wait for
      p->mark_done = true;
      return true;
    }
    if (!finishing || !mark_open) return false;
    std::vector<Scored> alone;  // each mark followed by a word boundary
    for (const std::string& m : marks) alone.push_back({m, m});
    p->mark = marks[best(alone, true, bonus)];
    p->mark_done = true;
    if (!p->mark.empty()) read_text(p->mark, read);
    return true;
  }

  Word& c = words_[read_];
  std::vector<Candidate> cands;
  for (const std::string& m : marks) {
    const bool starts_sentence = !p || is_sentence_mark(m) || (m.empty() && p->fixed && written_sentence_end(p->text));
    if (c.fixed) cands.push_back({m, c.text});
    else if (is_first_person(c.text) || starts_sentence) cands.push_back({m, capitalized(c.text)});
    else {
      cands.push_back({m, c.text});
      const std::string cap = capitalized(c.text);
      if (cap != c.text) cands.push_back({m, cap});
    }
  }
  const size_t ahead = words_.size() - read_;  // the next word and those after it
  if (cands.size() > 1 && !finishing && ahead < size_t(opts_.lookahead)) return false;

  // Words are read separated by one space (a caption's line breaks carry no meaning here).
  const std::string sep = p || session_.tokens_consumed() > 0 || session_.pending_bytes() > 0 ? " " : "";
  std::string tail;
  for (size_t j = 1; j < std::min<size_t>(ahead, size_t(opts_.lookahead)); j++) tail += " " + words_[read_ + j].text;
  std::vector<Scored> scored;
  for (const Candidate& k : cands) {
    const std::string mark = mark_open ? k.mark : "";
    scored.push_back({mark + sep + k.cased + tail, mark});
  }
  const Candidate& chosen = cands[best(scored, false, bonus)];
  std::string text = sep + chosen.cased;
  if (mark_open) {
    p->mark = chosen.mark;
    p->mark_done = true;
    text = p->mark + text;
  }
  c.cased = chosen.cased;
  read_text(text, read);
  read_++;
  stats_.words++;
  return true;
}

bool Punctuator::ready() const {
  if (utts_.empty()) return false;
  const size_t n = utts_.front().spans.size();
  return n == 0 || (read_ >= n && words_[n - 1].mark_done);
}

std::string Punctuator::pop() {
  if (!ready()) throw Error("punctuate: no complete utterance to take");
  Utterance u = std::move(utts_.front());
  utts_.pop_front();
  const size_t n = u.spans.size();
  std::string out = std::move(u.raw);
  for (size_t i = n; i-- > 0;) {  // from the back, so earlier spans stay valid
    const Word& w = words_[i];
    if (!w.fixed) out.replace(u.spans[i].first, u.spans[i].second - u.spans[i].first, w.cased + w.mark);
  }
  if (n > 0) prev_ = words_[n - 1];
  words_.erase(words_.begin(), words_.begin() + std::ptrdiff_t(n));
  read_ -= n;
  return out;
}

void Punctuator::clear() {
  if (read_ > 0) prev_ = words_[read_ - 1];
  utts_.clear();
  words_.clear();
  read_ = 0;
}

}  // namespace rwkv
