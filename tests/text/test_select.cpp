// Which tokenizer a model gets: a file beside it (when its size fits n_vocab), the GGUF
// tokenizer, n_vocab 256 -> bytes; errors that name the file to provide; the World
// vocabulary file's Python literal forms and its errors.
#include <chrono>
#include <filesystem>

#include "random_model.h"
#include "rwkv/error.h"
#include "rwkv/tokenizer.h"
#include "engine/testing.h"

namespace fs = std::filesystem;

namespace {

std::shared_ptr<rwkv::Model> model_at(rwkv::TensorMap m, const std::string& source) {
  m.source = source;
  rwkv::LoadOptions o;
  o.threads = 1;
  return rwkv::Model::from_tensors(std::move(m), o);
}

std::shared_ptr<rwkv::Tokenizer> vocab_from(const std::string& dir, const std::string& body) {
  const std::string p = dir + "/vocab.txt";
  testing::write_bytes(p, std::vector<uint8_t>(body.begin(), body.end()));
  return rwkv::load_world_tokenizer(p);
}

}  // namespace

int main() {
  const std::string data = testing::require_testdata();
  const std::string dir = testing::temp_dir("text-select");
  const std::string vocab = data + "/rwkvcpp/rwkv_vocab_v20230424.txt";
  rwkv::LoadOptions o;
  o.threads = 1;

  // The tiny models sit beside both tokenizer files, but neither fits n_vocab 256.
  auto tiny = rwkv::Model::load(data + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin", o);
  CHECK(rwkv::tokenizer_for_model(*tiny)->kind() == rwkv::TokenizerKind::Bytes);
  CHECK(rwkv::tokenizer_for_model(*tiny, "bytes")->kind() == rwkv::TokenizerKind::Bytes);
  CHECK_THROWS(rwkv::tokenizer_for_model(*tiny, vocab), "has 65530 tokens but the model only 256");
  CHECK_THROWS(rwkv::load_tokenizer(data + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin"), "is not a tokenizer file");
  CHECK_THROWS(rwkv::load_tokenizer(dir + "/absent.txt"), "cannot open tokenizer");

  // A file is parsed once while in use: the same tokenizer for every caller, again once the
  // file has changed (or no one holds it).
  {
    const std::string copy = dir + "/shared_vocab.txt";
    fs::copy_file(vocab, copy, fs::copy_options::overwrite_existing);
    auto a = rwkv::load_tokenizer(copy), b = rwkv::load_tokenizer(copy);
    CHECK_MSG(a == b, "one tokenizer file was parsed twice while in use");
    CHECK(rwkv::load_tokenizer(dir + "/./shared_vocab.txt") == a);  // the same file by another path
    fs::last_write_time(copy, fs::last_write_time(copy) + std::chrono::seconds(5));
    auto c = rwkv::load_tokenizer(copy);
    CHECK_MSG(c != a && c->n_vocab() == a->n_vocab(), "a changed file was not parsed again");
    CHECK(rwkv::load_tokenizer(copy) == c);
  }

  // World-sized and NeoX-sized models without a tokenizer: the error names the file.
  CHECK_THROWS(rwkv::tokenizer_for_model(*model_at(testing::random_v4_tensors(65536), dir + "/m.bin")),
               "put rwkv_vocab_v20230424.txt beside it");
  const char* neox_missing = rwkv::neox_tokenizer_available() ? "put 20B_tokenizer.json beside it" : "built without";
  CHECK_THROWS(rwkv::tokenizer_for_model(*model_at(testing::random_v4_tensors(50277), dir + "/m.bin")), neox_missing);
  CHECK_THROWS(rwkv::tokenizer_for_model(*model_at(testing::random_v4_tensors(300), "")), "set tokenizer to a tokenizer file");
  // With the vocabulary beside the model it is found.
  fs::copy_file(vocab, dir + "/rwkv_vocab_v20230424.txt", fs::copy_options::overwrite_existing);
  auto world_model = model_at(testing::random_v4_tensors(65536), dir + "/m.bin");
  CHECK(rwkv::tokenizer_for_model(*world_model)->kind() == rwkv::TokenizerKind::World);
  // ... but not for a NeoX-sized model, which is told what it lacks.
  CHECK_THROWS(rwkv::tokenizer_for_model(*model_at(testing::random_v4_tensors(50277), dir + "/m.bin")), neox_missing);

  // GGUF metadata.
  rwkv::TensorMap g = testing::random_v4_tensors(8);
  g.metadata["tokenizer.ggml.model"] = "rwkv";
  auto& toks = g.string_arrays["tokenizer.ggml.tokens"];
  toks = {"<s>", "a", "b", "ab", "\\x00", "\\\\", "\\'q", "\\n\\t"};
  g.int_arrays["tokenizer.ggml.token_type"] = {3, 1, 1, 1, 1, 1, 1, 1};
  auto gm = model_at(g, "");
  auto gt = rwkv::tokenizer_for_model(*gm);
  CHECK(gt->kind() == rwkv::TokenizerKind::World && gt->n_vocab() == 8);
  CHECK(gt->encode(std::string("aab\0\\'q\n\t", 9)) == (std::vector<uint32_t>{1, 3, 4, 5, 6, 7}));
  g.metadata["tokenizer.ggml.model"] = "gpt2";
  g.metadata["tokenizer.ggml.pre"] = "qwen2";
  CHECK_THROWS(rwkv::tokenizer_from_gguf(g), "'gpt2' (pre-tokenizer 'qwen2') is not supported");

  // Python literal forms of the vocabulary file.
  auto v = vocab_from(dir,
                      "1 'a' 1\n2 '\\x41' 1\n3 '\\xe9' 2\n4 b'\\xe9' 1\n5 '\\u00e9x' 3\n6 '\\U0001F600' 4\n"
                      "7 \"'\" 1\n8 '\\'\\\\' 2\n9 '\\t\\n\\r' 3\n10 '\\0' 1\n11 b'\\\\u' 2\n12 'a b' 3\n");
  CHECK(v->token_bytes(2) == "A" && v->token_bytes(3) == "\xC3\xA9" && v->token_bytes(4) == "\xE9");
  CHECK(v->token_bytes(5) == "\xC3\xA9x" && v->token_bytes(6) == "\xF0\x9F\x98\x80" && v->token_bytes(7) == "'");
  CHECK(v->token_bytes(8) == "'\\" && v->token_bytes(9) == "\t\n\r" && v->token_bytes(10) == std::string(1, '\0'));
  CHECK(v->token_bytes(11) == "\\u" && v->token_bytes(12) == "a b");
  CHECK(v->encode("a b") == std::vector<uint32_t>{12});
  CHECK_THROWS(vocab_from(dir, "1 'a' 1\n2 'bc' 3\n"), "line 2: token is 2 bytes, the line says 3");
  CHECK_THROWS(vocab_from(dir, "1 'a' 1\n1 'b' 1\n"), "line 2: token id 1 appears twice");
  CHECK_THROWS(vocab_from(dir, "1 'a 1\n"), "line 1:");
  CHECK_THROWS(vocab_from(dir, "1 '\\xZZ' 1\n"), "bad \\x");
  CHECK_THROWS(vocab_from(dir, "1 'a' 1\n2 'a' 1\n"), "same text");
  // A vocabulary without some byte cannot encode it, and says so.
  CHECK_THROWS(v->encode("z"), "no World token for byte 0x7a");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return testing::finish();
}
