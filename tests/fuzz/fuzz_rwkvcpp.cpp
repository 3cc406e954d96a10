// Fuzzes rwkv::load_rwkvcpp: rwkv.cpp model files (.bin); what loads is canonicalised and built into a Model.
#include "fuzz_common.h"
#include "fuzz_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::write_input(data, size);
  fuzz::expect_clean([&] { fuzz::build_model(rwkv::load_rwkvcpp(path)); });
  return 0;
}
