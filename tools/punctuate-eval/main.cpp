// rwkv-punctuate-eval --model PATH [--tokenizer PATH|auto] --text FILE [--words N] [--seed S]
// [--lookahead N[,N...]] [--pause-bonus X[,X...]] [--comma-bonus X] [--live] [--pauses-at-ends P]
// [--threads N]
//
// How well punctuate mode restores written text from what a speech recogniser gives: the
// text's punctuation and case are stripped, it is cut into utterances of 3-9 words at random
// places (not at sentence ends: a recogniser cuts at pauses), restored with rwkv/punctuate.h,
// and compared word by word with the original. Prints F1 (with precision and recall) of
// sentence ends (. ? !), of commas (, ; : in the original, the marks inside a sentence
// the restorer can write) and of capitalised words, beside two baselines: the text left as
// it is, and each utterance's first word capitalised and a period after its last. The cost:
// model tokens evaluated per input token, and words per second.
// --live decides each utterance when it ends (the element's hold expiring before the next
// arrives), so no lookahead crosses an utterance; without it the next utterances' words are
// read ahead (a file, or speech without long pauses).
// Every restored utterance is checked to hold the same words as its input (same_words):
// any that does not is an error (exit 1).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "args.h"
#include "rwkv/error.h"
#include "rwkv/model.h"
#include "rwkv/punctuate.h"
#include "rwkv/session.h"

namespace {

using namespace rwkv;

struct RefWord {
  std::string plain;  // lowercase, without marks
  bool end = false, comma = false, cap = false;
};

bool is_letter_or_digit(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// The first letter's case (ASCII and Latin-1), skipping leading quotes and brackets.
bool starts_capital(const std::string& w) {
  for (size_t i = 0; i < w.size(); i++) {
    const auto c = static_cast<unsigned char>(w[i]);
    if (c >= 'A' && c <= 'Z') return true;
    if (c == 0xC3 && i + 1 < w.size()) {
      const auto d = static_cast<unsigned char>(w[i + 1]);
      return d >= 0x80 && d <= 0x9E && d != 0x97;
    }
    if (is_letter_or_digit(c)) return false;
  }
  return false;
}

// Written words -> what a recogniser would write: lowercase, only letters, digits and the
// apostrophes and hyphens inside words; the marks after each word kept as the reference.
std::vector<RefWord> reference(const std::string& text, size_t limit) {
  std::vector<RefWord> out;
  std::istringstream in(text);
  for (std::string w; out.size() < limit && in >> w;) {
    RefWord r;
    r.cap = starts_capital(w);
    size_t b = 0, e = w.size();
    while (b < e && !is_letter_or_digit(static_cast<unsigned char>(w[b]))) b++;
    while (e > b && !is_letter_or_digit(static_cast<unsigned char>(w[e - 1]))) e--;
    for (size_t i = b; i < e; i++) {
      const auto c = static_cast<unsigned char>(w[i]);
      if (is_letter_or_digit(c) || c == '\'' || c == '-') r.plain += char(c >= 'A' && c <= 'Z' ? c + 32 : c);
      if (c == 0xC3 && i + 1 < e) {  // Latin-1 capitals to small
        const auto d = static_cast<unsigned char>(w[++i]);
        r.plain += char(d >= 0x80 && d <= 0x9E && d != 0x97 ? d + 0x20 : d);
      }
    }
    if (r.plain.empty()) {  // a dash or a lone mark: it ends the word before it
      if (!out.empty()) {
        out.back().end = out.back().end || w.find_first_of(".?!") != std::string::npos;
      }
      continue;
    }
    const std::string tail = w.substr(e);
    r.end = tail.find_first_of(".?!") != std::string::npos;
    r.comma = !r.end && tail.find_first_of(",;:") != std::string::npos;
    out.push_back(std::move(r));
  }
  return out;
}

struct Prediction {
  bool end = false, comma = false, cap = false;
};

Prediction predicted(const std::string& w) {
  Prediction p;
  p.cap = starts_capital(w);
  const char last = w.empty() ? 0 : w.back();
  p.end = last == '.' || last == '?' || last == '!';
  p.comma = last == ',';
  return p;
}

struct F1 {
  size_t tp = 0, fp = 0, fn = 0;
  void add(bool pred, bool ref) { tp += pred && ref, fp += pred && !ref, fn += !pred && ref; }
  double precision() const { return tp + fp ? double(tp) / double(tp + fp) : 0.0; }
  double recall() const { return tp + fn ? double(tp) / double(tp + fn) : 0.0; }
  double f1() const { return tp ? 2.0 * double(tp) / double(2 * tp + fp + fn) : 0.0; }
  std::string str() const {
    char b[64];
    std::snprintf(b, sizeof b, "%.3f (P %.2f R %.2f)", f1(), precision(), recall());
    return b;
  }
};

struct Scores {
  F1 end, comma, cap;
  void add(const Prediction& p, const RefWord& r) { end.add(p.end, r.end), comma.add(p.comma, r.comma), cap.add(p.cap, r.cap); }
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string w; in >> w;) v.push_back(w);
  return v;
}

std::vector<double> parse_list(const std::string& s) {
  std::vector<double> v;
  std::istringstream in(s);
  for (std::string item; std::getline(in, item, ',');) v.push_back(std::stod(item));
  return v;
}

void row(const char* name, const Scores& s, const std::string& cost) {
  std::printf("| %s | %s | %s | %s | %s |\n", name, s.end.str().c_str(), s.comma.str().c_str(), s.cap.str().c_str(),
              cost.c_str());
}

int run(const std::vector<std::string>& argv) {
  cli::Args a(argv, {"model", "tokenizer", "text", "words", "seed", "lookahead", "pause-bonus", "live", "threads",
               "pauses-at-ends", "comma-bonus"},
              {"live"});
  std::ifstream f(a.require("text"), std::ios::binary);
  if (!f) throw Error("cannot read " + a.get("text"));
  const std::string text((std::istreambuf_iterator<char>(f)), {});
  const auto ref = reference(text, size_t(a.get_int("words", 5000, 10, 100000000)));
  std::mt19937 rng(uint32_t(a.get_int("seed", 1, 0, 1L << 31)));
  std::uniform_int_distribution<size_t> len(3, 9);
  // A recogniser cuts where the speaker pauses: with --pauses-at-ends P also after a sentence
  // end with probability P (speakers often pause there), else after 3-9 words wherever they fall.
  const double pause_at_end = a.get_double("pauses-at-ends", 0.0);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<std::pair<size_t, size_t>> utts;  // [first word, end)
  for (size_t at = 0; at < ref.size();) {
    const size_t n = std::min(len(rng), ref.size() - at);
    size_t cut = at + n;
    for (size_t i = at; i + 1 < at + n; i++)
      if (ref[i].end && pause_at_end > 0 && coin(rng) < pause_at_end) {
        cut = i + 1;
        break;
      }
    utts.emplace_back(at, cut);
    at = cut;
  }
  auto utterance = [&](size_t u) {
    std::string s;
    for (size_t i = utts[u].first; i < utts[u].second; i++) s += (s.empty() ? "" : " ") + ref[i].plain;
    return s;
  };

  auto model = Model::load(a.model(), a.load_options());
  auto tok = tokenizer_for_model(*model, a.get("tokenizer", "auto"));
  const bool live = a.has("live");
  std::string all;
  for (size_t u = 0; u < utts.size(); u++) all += (u ? " " : "") + utterance(u);
  const size_t input_tokens = tok->encode(all).size();
  std::printf("%s: %zu words in %zu utterances of up to 9 words (seed %ld; cut after a sentence end with "
              "probability %.2f), %zu input tokens (%s tokenizer), %s\n\n",
              a.get("text").c_str(), ref.size(), utts.size(), a.get_int("seed", 1, 0, 1L << 31), pause_at_end,
              input_tokens, tok->name(), live ? "each utterance decided when it ends (live)" : "lookahead across utterances");
  std::printf("| restorer | sentence ends F1 | commas F1 | capitals F1 | cost |\n|---|---|---|---|---|\n");

  Scores as_is, period;
  for (size_t u = 0; u < utts.size(); u++)
    for (size_t i = utts[u].first; i < utts[u].second; i++) {
      as_is.add(Prediction{}, ref[i]);
      period.add(Prediction{i + 1 == utts[u].second, false, i == utts[u].first}, ref[i]);
    }
  row("as recognised", as_is, "-");
  row("period per utterance", period, "-");

  for (const double lookahead : parse_list(a.get("lookahead", std::to_string(PunctuateOptions().lookahead))))
    for (const double bonus : parse_list(a.get("pause-bonus", std::to_string(PunctuateOptions().pause_bonus)))) {
      Session session(model, tok);
      PunctuateOptions po;
      po.lookahead = int(lookahead);
      po.pause_bonus = bonus;
      po.comma_bonus = a.get_double("comma-bonus", po.comma_bonus);
      Punctuator p(session, po);
      Scores s;
      size_t next_out = 0, broken = 0;
      auto take = [&] {
        while (p.ready()) {
          const std::string out = p.pop(), in = utterance(next_out);
          if (!same_words(in, out)) {
            broken++;
            std::fprintf(stderr, "changed words: \"%s\" -> \"%s\"\n", in.c_str(), out.c_str());
          }
          const auto words = split(out);
          for (size_t i = 0; i < words.size() && utts[next_out].first + i < utts[next_out].second; i++)
            s.add(predicted(words[i]), ref[utts[next_out].first + i]);
          next_out++;
        }
      };
      const auto t0 = std::chrono::steady_clock::now();
      for (size_t u = 0; u < utts.size(); u++) {
        p.push(utterance(u));
        if (live) p.finish();
        take();
      }
      p.finish();
      take();
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const auto& st = p.stats();
      char cost[160], name[64];
      std::snprintf(cost, sizeof cost, "%.1f tokens evaluated per input token, %.0f words/s",
                    double(st.tokens_scored + st.tokens_read) / double(input_tokens), double(ref.size()) / secs);
      std::snprintf(name, sizeof name, "rwkv lookahead %d, pause bonus %.2f", po.lookahead, po.pause_bonus);
      row(name, s, cost);
      if (broken) throw Error(std::to_string(broken) + " utterances came out with other words");
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return rwkv::cli::run_tool("rwkv-punctuate-eval", argc, argv, run); }
