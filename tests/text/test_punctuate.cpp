// rwkv::Punctuator (rwkv/punctuate.h): the same words come out of every utterance, whatever
// the text, tokenizer, architecture, lookahead or pauses (random text, seeded); utterances
// leave in order once `lookahead` words follow them; punctuated text passes unchanged; and
// the state has read exactly the restored text.
#include <random>
#include <string>
#include <vector>

#include "engine/testing.h"
#include "random_model.h"
#include "rwkv/model.h"
#include "rwkv/punctuate.h"
#include "rwkv/session.h"
#include "rwkv/tokenizer.h"

namespace {

using rwkv::Punctuator;
using rwkv::Session;

std::shared_ptr<rwkv::Model> load(const std::string& path) {
  rwkv::LoadOptions o;
  o.threads = 1;
  return rwkv::Model::load(path, o);
}

// Random transcript text: lowercase words (with "i", contractions, Latin-1 letters, digits),
// empty and blank utterances, odd white space, and now and then an utterance already written
// with marks and capitals.
std::string random_utterance(std::mt19937& rng) {
  static const char* words[] = {"i", "i'm", "we", "will", "go", "the", "cat", "élan", "naïve", "x2", "3", "'cause",
                                "don't", "hello", "world", "where", "are", "you", "ok", "zürich", "a", "book"};
  static const char* written[] = {"Hello, World.", "I said: \"no!\"", "Is it? Yes", "The end.", "ok OK"};
  static const char* spaces[] = {" ", " ", " ", "  ", "\n", "\t", " \n "};
  std::uniform_int_distribution<int> pick(0, 99);
  const int kind = pick(rng);
  if (kind < 8) return written[pick(rng) % 5];
  if (kind < 11) return kind == 8 ? "" : "   ";
  std::string s = pick(rng) < 20 ? " " : "";
  const int n = 1 + pick(rng) % 9;
  for (int i = 0; i < n; i++) {
    if (i) s += spaces[pick(rng) % 7];
    if (pick(rng) < 15) {  // a random lowercase word
      for (int k = 0, len = 1 + pick(rng) % 7; k < len; k++) s += char('a' + pick(rng) % 26);
    } else {
      s += words[pick(rng) % 22];
    }
  }
  if (pick(rng) < 20) s += "\n";
  return s;
}

// Feeds random utterances, finishing at random pauses; every output must hold its input's
// words, in order, one output per input. Returns the outputs.
std::vector<std::string> check_invariant(Session& session, uint32_t seed, int utterances) {
  std::mt19937 rng(seed);
  rwkv::PunctuateOptions o;
  o.lookahead = 1 + int(rng() % 4);
  Punctuator p(session, o);
  std::vector<std::string> in, out;
  auto take = [&] {
    while (p.ready()) {
      out.push_back(p.pop());
      const std::string& src = in[out.size() - 1];
      CHECK_MSG(rwkv::same_words(src, out.back()), "\"%s\" came out as \"%s\"", src.c_str(), out.back().c_str());
    }
  };
  for (int i = 0; i < utterances; i++) {
    in.push_back(random_utterance(rng));
    p.push(in.back());
    if (rng() % 5 == 0) p.finish();
    take();
  }
  p.finish();
  take();
  CHECK(out.size() == in.size() && p.queued() == 0);
  return out;
}

void test_same_words() {
  using rwkv::same_words;
  CHECK(rwkv::same_words("hello world", "Hello, world."));
  CHECK(rwkv::same_words("i think so", "I think so?"));
  CHECK(rwkv::same_words(" a\n b ", " A.\n B! "));
  CHECK(rwkv::same_words("élan", "Élan"));
  CHECK(rwkv::same_words("", ""));
  CHECK(!same_words("hello world", "hello"));                // a word dropped
  CHECK(!same_words("hello", "hello world"));                // a word added
  CHECK(!same_words("hello world", "hello word"));           // respelt
  CHECK(!same_words("hello world", "hello  world"));         // white space changed
  CHECK(!same_words("hello world", "world hello"));          // order
  CHECK(!same_words("hello world", "HEllo world"));          // more than the first letter
  CHECK(!same_words("hello world", "hello; world"));         // a mark it may not write
  CHECK(!same_words("hello world", "hello,, world"));        // two marks
  CHECK(rwkv::is_punctuated("Hello") && rwkv::is_punctuated("yes.") && rwkv::is_punctuated("Ärger"));
  CHECK(!rwkv::is_punctuated("i'm here don't go élan 42"));
}

void test_invariant_bytes() {
  auto model = load(testing::byte_model());
  Session s(model, rwkv::make_bytes_tokenizer());
  for (uint32_t seed = 1; seed <= 3; seed++) check_invariant(s, seed, 20);
}

void test_invariant_world(const std::string& dir) {
  auto world = rwkv::load_world_tokenizer(dir + "/rwkvcpp/rwkv_vocab_v20230424.txt");
  rwkv::LoadOptions o;
  o.threads = 1;
  std::shared_ptr<const rwkv::Model> model = rwkv::Model::from_tensors(testing::random_v4_tensors(65536), o);
  Session s(model, world);
  for (uint32_t seed = 11; seed <= 12; seed++) check_invariant(s, seed, 15);
}

void test_invariant_neox(const std::string& dir) {
  auto neox = rwkv::load_tokenizer(dir + "/rwkvcpp/20B_tokenizer.json");
  rwkv::LoadOptions o;
  o.threads = 1;
  std::shared_ptr<const rwkv::Model> model =
      rwkv::Model::from_tensors(testing::random_v4_tensors(int(neox->n_vocab())), o);
  Session s(model, neox);
  for (uint32_t seed = 21; seed <= 22; seed++) check_invariant(s, seed, 15);
}

// Every architecture: the invariant, and the state has read the restored text: the same
// logits as a session that read the outputs, joined by single spaces, directly.
void test_architectures(const std::string& dir) {
  for (const char* f : {"tiny-rwkv-4v0-660K-FP32.bin", "tiny-rwkv-5v2-730K-FP16.bin", "tiny-rwkv-6v0-3m-Q5_1.bin",
                        "tiny-rwkv-7v0-834K-FP32.bin"}) {
    std::printf("%s\n", f);
    auto model = load(dir + "/rwkvcpp/" + f);
    Session s(model, rwkv::make_bytes_tokenizer()), direct(model, rwkv::make_bytes_tokenizer());
    const auto out = check_invariant(s, 31, 20);
    std::string text;
    for (const std::string& u : out) {
      for (size_t i = 0; i < u.size();) {  // words separated by one space, as the punctuator reads them
        while (i < u.size() && std::isspace(static_cast<unsigned char>(u[i]))) i++;
        size_t e = i;
        while (e < u.size() && !std::isspace(static_cast<unsigned char>(u[e]))) e++;
        if (e > i) text += (text.empty() ? "" : " ") + u.substr(i, e - i);
        i = e;
      }
    }
    direct.ingest(text);
    s.flush();
    direct.flush();
    CHECK(s.tokens_consumed() == direct.tokens_consumed());
    const std::vector<float> a(s.logits().begin(), s.logits().end()), b(direct.logits().begin(), direct.logits().end());
    CHECK(a.size() == b.size() && testing::max_abs_diff(a, b) < 1e-4f);
  }
}

// An utterance leaves once `lookahead` words follow its last word (or at finish), in order.
void test_timing() {
  auto model = load(testing::byte_model());
  for (int lookahead : {1, 2, 3}) {
    Session s(model, rwkv::make_bytes_tokenizer());
    rwkv::PunctuateOptions o;
    o.lookahead = lookahead;
    Punctuator p(s, o);
    p.push("we went home");
    CHECK(!p.ready());
    int words = 0;
    for (const char* w : {"and", "then", "we", "slept"}) {
      p.push(w);
      words++;
      CHECK_MSG(p.ready() == (words >= lookahead), "lookahead %d, %d words after: ready %d", lookahead, words,
                int(p.ready()));
    }
    CHECK(rwkv::same_words("we went home", p.pop()));
    const char* rest[] = {"and", "then", "we", "slept"};
    size_t taken = 0;
    for (; taken < 4; taken++) {
      const int after = 3 - int(taken);  // words that follow this one
      CHECK(p.ready() == (after >= lookahead));
      if (!p.ready()) break;
      CHECK(rwkv::same_words(rest[taken], p.pop()));
    }
    p.finish();  // a pause: the rest leaves
    for (; taken < 4; taken++) CHECK(p.ready() && rwkv::same_words(rest[taken], p.pop()));
    CHECK(p.queued() == 0);
  }
}

// Marks and capitals where the rules fix them; written text unchanged; a flush drops what waits.
void test_rules() {
  auto model = load(testing::byte_model());
  Session s(model, rwkv::make_bytes_tokenizer());
  Punctuator p(s);
  p.push("i think so");
  p.push("Is it? Yes, it is.");
  p.push("and i'm sure");
  p.finish();
  const std::string first = p.pop(), written = p.pop(), third = p.pop();
  CHECK(first.starts_with("I think"));  // the stream starts a sentence; "i" is "I"
  CHECK(written == "Is it? Yes, it is.");
  CHECK(third.starts_with("And I'm"));  // after a written sentence end
  p.push("one two three");
  CHECK(p.queued() == 1);
  p.clear();
  CHECK(p.queued() == 0 && !p.ready());
  rwkv::PunctuateOptions bad;
  bad.lookahead = 0;
  CHECK_THROWS(p.set_options(bad), "lookahead");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = testing::testdata();
  const bool have = !testing::byte_model().empty();
  return testing::run_cases(argc, argv, {
      {"same-words", test_same_words, false},
      {"invariant-bytes", test_invariant_bytes, true},
      {"invariant-world", [&] { test_invariant_world(dir); }, true},
      {"invariant-neox", [&] { test_invariant_neox(dir); }, true},
      {"architectures", [&] { test_architectures(dir); }, true},
      {"timing", test_timing, true},
      {"rules", test_rules, true},
  }, have && !dir.empty());
}
