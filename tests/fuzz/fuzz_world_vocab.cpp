// Fuzzes the RWKV World vocabulary parser (rwkv_vocab_v20230424.txt: `<id> <Python str or
// bytes literal> <byte length>` a line); a vocabulary that loads encodes and decodes text.
#include "fuzz_common.h"
#include "rwkv/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::write_input(data, size);
  fuzz::expect_clean([&] {
    auto tok = rwkv::load_world_tokenizer(path);
    for (uint32_t id = 0; id < tok->n_vocab() && id < 64; id++) (void)tok->token_bytes(id);
    fuzz::expect_clean([&] {
      const std::string text(reinterpret_cast<const char*>(data), size < 256 ? size : 256);
      if (tok->decode(tok->encode(text)) != text) {
        std::fprintf(stderr, "World vocabulary: decode(encode(text)) != text\n");
        std::abort();
      }
    });
  });
  return 0;
}
