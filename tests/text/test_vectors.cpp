// Every tokenizer vector in ../shared/testdata/tokenizers (and the extra NeoX vectors
// beside this file) encodes to exactly the reference ids, and decodes back to its text.
#include "rwkv/error.h"
#include "rwkv/tensor.h"
#include "rwkv/tokenizer.h"
#include "vectors.h"

namespace {

int check_vectors(const rwkv::Tokenizer& tok, const std::vector<testing::Vector>& vs, const char* what) {
  int ok = 0, nfc_changed = 0;
  for (const auto& v : vs) {
    const auto ids = tok.encode(v.text);
    CHECK_MSG(ids == v.ids, "%s: %s: got %s, expected %s", what, nlohmann::json(v.from_hex ? "(bytes)" : v.text).dump().c_str(),
              testing::ids_str(ids).c_str(), testing::ids_str(v.ids).c_str());
    // World decodes any input back byte for byte. NeoX gives the NFC form of the text,
    // which is the text itself or another spelling that encodes the same.
    const std::string back = tok.decode(v.ids);
    if (tok.kind() == rwkv::TokenizerKind::World) CHECK_MSG(back == v.text, "%s: decode differs", what);
    else if (back != v.text) CHECK_MSG(tok.encode(back) == v.ids && !v.from_hex, "%s: decode of %s", what, back.c_str());
    nfc_changed += back != v.text;
    ok += ids == v.ids;
  }
  std::printf("%s: %d/%zu vectors exact; decode(encode(text)) == text for %zu%s\n", what, ok, vs.size(),
              vs.size() - size_t(nfc_changed), nfc_changed ? " (the others decode to their NFC form)" : "");
  return ok;
}

// The vocabulary spelled as llama.cpp's converter writes it into GGUF: repr() of the bytes.
std::string python_repr_body(std::string_view b) {
  const bool has_single = b.find('\'') != std::string_view::npos, has_double = b.find('"') != std::string_view::npos;
  const bool escape_single = has_single && has_double;  // repr() picks "..." when only ' occurs
  std::string o;
  for (unsigned char c : b) {
    if (c == '\\') o += "\\\\";
    else if (c == '\'' && escape_single) o += "\\'";
    else if (c == '\t') o += "\\t";
    else if (c == '\n') o += "\\n";
    else if (c == '\r') o += "\\r";
    else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      o += buf;
    } else o += char(c);
  }
  return o;
}

std::vector<testing::Vector> vectors(const char* name) {
  return testing::read_vectors(testing::testdata() + "/tokenizers/" + name + "-vectors.jsonl");
}

std::shared_ptr<rwkv::Tokenizer> world_tokenizer() {
  return rwkv::load_world_tokenizer(testing::testdata() + "/rwkvcpp/rwkv_vocab_v20230424.txt");
}

void world_case() {
  const auto world_vs = vectors("world");
  CHECK(world_vs.size() >= 40);
  auto world = world_tokenizer();
  CHECK(world->n_vocab() == 65530);
  CHECK(world->token_bytes(1) == std::string(1, '\0') && world->token_bytes(256) == "\xff");
  CHECK(world->end_of_text() == 0u && world->token_bytes(0).empty());
  check_vectors(*world, world_vs, "world");
  // The reference's own example.
  CHECK(world->encode("\nElon Musk has") == (std::vector<uint32_t>{11, 994, 2098, 29435, 21800}));
}

// The same vocabulary as GGUF metadata.
void world_gguf_case() {
  const auto world_vs = vectors("world");
  auto world = world_tokenizer();
  rwkv::TensorMap gguf;
  gguf.metadata["tokenizer.ggml.model"] = "rwkv";
  auto& tokens = gguf.string_arrays["tokenizer.ggml.tokens"];
  auto& types = gguf.int_arrays["tokenizer.ggml.token_type"];
  tokens.push_back("<s>"), types.push_back(3);
  for (uint32_t id = 1; id < world->n_vocab(); id++) tokens.push_back(python_repr_body(world->token_bytes(id))), types.push_back(1);
  while (tokens.size() < 65536) tokens.push_back("[PAD" + std::to_string(tokens.size()) + "]"), types.push_back(5);
  auto from_gguf = rwkv::tokenizer_from_gguf(gguf);
  CHECK(from_gguf && from_gguf->n_vocab() == 65536);
  if (from_gguf) {
    check_vectors(*from_gguf, world_vs, "world (GGUF metadata)");
    CHECK(from_gguf->encode("[PAD65535]<s>") == world->encode("[PAD65535]<s>"));
  }
}

void neox_case() {
  const auto neox_vs = vectors("neox");
  CHECK(neox_vs.size() >= 40);
  std::shared_ptr<rwkv::Tokenizer> neox;
  try {
    neox = rwkv::load_neox_tokenizer(testing::testdata() + "/rwkvcpp/20B_tokenizer.json");
  } catch (const rwkv::Error& e) {
    if (std::string(e.what()).find("built without") == std::string::npos) throw;
    std::printf("SKIP neox: %s\n", e.what());
  }
  if (neox) {
    CHECK(neox->n_vocab() == 50277);
    CHECK(neox->end_of_text() == 0u);
    check_vectors(*neox, neox_vs, "neox");
    const auto extra = testing::read_vectors(std::string(SOURCE_DIR) + "/neox-extra-vectors.jsonl");
    check_vectors(*neox, extra, "neox extra");
    // Invalid UTF-8 is replaced by U+FFFD (one per maximal ill-formed subpart) first.
    CHECK(neox->encode("a\xE2\x82" "b\xFF") == neox->encode("a\xEF\xBF\xBD" "b\xEF\xBF\xBD"));
    CHECK(neox->encode("\xF0\x9F\x98") == neox->encode("\xEF\xBF\xBD"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<testing::Case> cases = {
      {"world", world_case, true}, {"world-gguf", world_gguf_case, true}, {"neox", neox_case, true}};
  return testing::run_cases(argc, argv, cases, !testing::testdata().empty());
}
