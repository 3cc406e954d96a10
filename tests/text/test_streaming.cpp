// Streaming invariance: every vector, fed to the streaming encoder in pieces of every size
// 1..16 bytes and in random pieces, gives exactly encode(text); hold-back stays bounded and
// resumes exactly from its text (pending_text);
// the streaming decoder reproduces valid UTF-8 text whatever the grouping of tokens.
#include <random>

#include "rwkv/error.h"
#include "rwkv/tokenizer.h"
#include "text/utf8.h"
#include "vectors.h"

namespace {

std::vector<uint32_t> feed(rwkv::TextEncoder& enc, const std::string& text, const std::vector<size_t>& cuts,
                           size_t* max_pending = nullptr) {
  std::vector<uint32_t> ids;
  size_t at = 0;
  for (size_t c : cuts) {
    enc.push(std::string_view(text).substr(at, c - at), ids);
    if (max_pending) *max_pending = std::max(*max_pending, enc.pending_bytes());
    at = c;
  }
  enc.push(std::string_view(text).substr(at), ids);
  enc.flush(ids);
  CHECK(enc.pending_bytes() == 0);
  return ids;
}

std::vector<size_t> every(size_t n, size_t k) {
  std::vector<size_t> cuts;
  for (size_t c = k; c < n; c += k) cuts.push_back(c);
  return cuts;
}

std::vector<size_t> random_cuts(size_t n, std::mt19937& rng) {
  std::vector<size_t> cuts;
  if (n < 2) return cuts;
  const size_t count = rng() % (n / 2 + 1);
  for (size_t i = 0; i < count; i++) cuts.push_back(1 + rng() % (n - 1));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

bool valid_utf8(const std::string& s) {
  std::string out;
  rwkv::text::utf8_sanitize(s, true, out);
  return out == s;
}

// Returns the number of vectors checked.
size_t check_tokenizer(const rwkv::Tokenizer& tok, const std::vector<testing::Vector>& vs, size_t max_hold) {
  std::mt19937 rng(1234);
  size_t worst = 0;
  auto enc = tok.new_encoder();
  for (const auto& v : vs) {
    const auto whole = tok.encode(v.text);
    for (size_t k = 1; k <= 16; k++) {
      const auto got = feed(*enc, v.text, every(v.text.size(), k), &worst);
      CHECK_MSG(got == whole, "%s: split every %zu bytes of %s: %s vs %s", tok.name(), k,
                nlohmann::json(v.from_hex ? "(bytes)" : v.text).dump().c_str(), testing::ids_str(got).c_str(),
                testing::ids_str(whole).c_str());
    }
    for (int r = 0; r < 20; r++) {
      const auto cuts = random_cuts(v.text.size(), rng);
      CHECK_MSG(feed(*enc, v.text, cuts, &worst) == whole, "%s: random split of %s", tok.name(),
                nlohmann::json(v.from_hex ? "(bytes)" : v.text).dump().c_str());
    }
    // Resumed from its held-back text (what Session::save keeps), at every cut, a fresh
    // encoder goes on as the original would.
    for (size_t cut = 1; cut < v.text.size(); cut += 1 + v.text.size() / 24) {
      std::vector<uint32_t> a, b;
      enc->push(std::string_view(v.text).substr(0, cut), a);
      auto fresh = tok.new_encoder();
      fresh->push(enc->pending_text(), b);
      CHECK_MSG(b.empty() && fresh->pending_bytes() == enc->pending_bytes(), "%s: held-back text of %s at %zu re-emits",
                tok.name(), nlohmann::json(v.from_hex ? "(bytes)" : v.text).dump().c_str(), cut);
      b.insert(b.begin(), a.begin(), a.end());
      enc->push(std::string_view(v.text).substr(cut), a);
      enc->flush(a);
      fresh->push(std::string_view(v.text).substr(cut), b);
      fresh->flush(b);
      CHECK_MSG(b == whole, "%s: resumed at %zu of %s", tok.name(), cut,
                nlohmann::json(v.from_hex ? "(bytes)" : v.text).dump().c_str());
    }
    // A clone taken mid-text goes on as the original would.
    if (v.text.size() >= 2) {
      std::vector<uint32_t> a, b;
      enc->push(std::string_view(v.text).substr(0, v.text.size() / 2), a);
      auto copy = enc->clone();
      b = a;
      enc->push(std::string_view(v.text).substr(v.text.size() / 2), a);
      enc->flush(a);
      copy->push(std::string_view(v.text).substr(v.text.size() / 2), b);
      copy->flush(b);
      CHECK(a == whole && b == whole);
    }
    // The streaming decoder: complete UTF-8 only, the same text for any grouping.
    rwkv::TextDecoder dec(tok.shared_from_this());
    std::string one, all;
    for (uint32_t id : whole) {
      const std::string piece = dec.push(id);
      CHECK(valid_utf8(piece));
      one += piece;
    }
    one += dec.flush();
    all = dec.push(whole);
    all += dec.flush();
    CHECK(one == all);
    if (!v.from_hex && tok.kind() != rwkv::TokenizerKind::NeoX) CHECK_MSG(one == v.text, "%s: decode", tok.name());
    if (tok.kind() == rwkv::TokenizerKind::NeoX) CHECK(one == tok.decode(whole) && tok.encode(one) == whole);
    CHECK(valid_utf8(one));
  }
  // Everything at once, as one long text cut at random.
  std::string joined;
  for (const auto& v : vs) joined += v.text;
  const auto whole = tok.encode(joined);
  for (int r = 0; r < 10; r++) CHECK(feed(*enc, joined, random_cuts(joined.size(), rng), &worst) == whole);
  // Flush ends a text: two texts flushed apart are two encodings.
  std::vector<uint32_t> two;
  enc->push(vs[0].text, two);
  enc->flush(two);
  enc->push(vs[1].text, two);
  enc->flush(two);
  auto expect = tok.encode(vs[0].text);
  const auto second = tok.encode(vs[1].text);
  expect.insert(expect.end(), second.begin(), second.end());
  CHECK(two == expect);
  std::printf("%s: %zu texts, every split 1..16 and 20 random splits each; most held back %zu bytes\n", tok.name(),
              vs.size(), worst);
  CHECK_MSG(worst <= max_hold, "%s held back %zu bytes", tok.name(), worst);
  return vs.size();
}

std::vector<testing::Vector> world_vectors() {
  return testing::read_vectors(testing::testdata() + "/tokenizers/world-vectors.jsonl");
}

// World holds back at most a possible longer match: under the longest token (128 bytes).
void world_case() {
  check_tokenizer(*rwkv::load_world_tokenizer(testing::testdata() + "/rwkvcpp/rwkv_vocab_v20230424.txt"),
                  world_vectors(), 127);
}

void bytes_case() { check_tokenizer(*rwkv::make_bytes_tokenizer(), world_vectors(), 0); }

// The World decoder replaces ill-formed bytes, one U+FFFD per maximal subpart.
void world_decoder_case() {
  auto world = rwkv::load_world_tokenizer(testing::testdata() + "/rwkvcpp/rwkv_vocab_v20230424.txt");
  rwkv::TextDecoder dec(world);
  std::string text = dec.push(world->encode("hello\xff" "world\xe2\x82"));
  text += dec.flush();
  CHECK(text == "hello\xEF\xBF\xBDworld\xEF\xBF\xBD");
  CHECK(dec.push(world->encode("\xe2\x82" "A")) == "\xEF\xBF\xBD" "A");
  CHECK(dec.push(world->encode("\xF0\x9F")) == "" && dec.pending_bytes() == 2);
  CHECK(dec.push(world->encode("\x98\x80")) == "\xF0\x9F\x98\x80");
}

void neox_case() {
  auto neox_vs = testing::read_vectors(testing::testdata() + "/tokenizers/neox-vectors.jsonl");
  const auto extra = testing::read_vectors(std::string(SOURCE_DIR) + "/neox-extra-vectors.jsonl");
  neox_vs.insert(neox_vs.end(), extra.begin(), extra.end());
  try {
    auto neox = rwkv::load_neox_tokenizer(testing::testdata() + "/rwkvcpp/20B_tokenizer.json");
    // NeoX holds back an unfinished pre-token; these texts have no word longer than this.
    check_tokenizer(*neox, neox_vs, 80);
    // Text cut inside a special token, a space run, a contraction, a combining sequence.
    auto enc = neox->new_encoder();
    std::vector<uint32_t> ids;
    for (const char* piece : {"a<|endo", "ftext|>", "  ", "  b", " it'", "ll e", "\xCC\x81", "\xE1\x84", "\x80\xE1\x85\xA1"})
      enc->push(piece, ids);
    enc->flush(ids);
    CHECK(ids == neox->encode("a<|endoftext|>    b it'll e\xCC\x81\xE1\x84\x80\xE1\x85\xA1"));
  } catch (const rwkv::Error& e) {
    if (std::string(e.what()).find("built without") == std::string::npos) throw;
    std::printf("SKIP neox: %s\n", e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<testing::Case> cases = {{"world", world_case, true},
                                            {"bytes", bytes_case, true},
                                            {"world-decoder", world_decoder_case, true},
                                            {"neox", neox_case, true}};
  return testing::run_cases(argc, argv, cases, !testing::testdata().empty());
}
