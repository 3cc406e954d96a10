// Fuzzes the GPT-NeoX tokenizer.json parser (BPE vocabulary, merges, added tokens,
// normaliser and pre-tokenizer checks); a tokenizer that loads encodes and decodes text.
#include "fuzz_common.h"
#include "rwkv/tokenizer.h"

namespace {
bool g_available = true;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_available = rwkv::neox_tokenizer_available();
  if (!g_available) std::fprintf(stderr, "fuzz_neox_json: built without the NeoX tokenizer; nothing to fuzz\n");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!g_available) return 0;
  const std::string& path = fuzz::write_input(data, size);
  fuzz::expect_clean([&] {
    auto tok = rwkv::load_neox_tokenizer(path);
    const std::string text(reinterpret_cast<const char*>(data), size < 256 ? size : 256);
    const auto ids = tok->encode(text);
    (void)tok->decode(ids);
    rwkv::TextDecoder dec(tok);
    (void)dec.push(ids);
    (void)dec.flush();
  });
  return 0;
}
