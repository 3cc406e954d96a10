// Fuzzes rwkv::load_gguf: header, metadata, tensor infos, the llama.cpp converter undone;
// what loads also gives its tokenizer (tokenizer.ggml.*) and is built into a Model.
#include "fuzz_common.h"
#include "fuzz_model.h"
#include "rwkv/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::write_input(data, size);
  fuzz::expect_clean([&] {
    rwkv::TensorMap m = rwkv::load_gguf(path);
    fuzz::expect_clean([&] {
      if (auto tok = rwkv::tokenizer_from_gguf(m)) (void)tok->decode(tok->encode("Hello, world"));
    });
    fuzz::build_model(std::move(m));
  });
  return 0;
}
