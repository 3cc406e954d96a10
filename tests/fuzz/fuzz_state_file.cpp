// Fuzzes rwkv::load_state_file against a small random RWKV-4 model (the one the seeds were
// saved from, so the fingerprint matches). A file carries two CRC-32s (the state's and the
// file's); each input is also tried with both recomputed, so mutations reach past them.
#include <cstring>
#include <vector>

#include "text/random_model.h"
#include "support/crc32.h"
#include "fuzz_common.h"
#include "rwkv/state_file.h"

namespace {

std::shared_ptr<rwkv::Model> g_model;

uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

void put_crc(std::vector<uint8_t>& b, size_t begin, size_t end) {  // CRC of [begin, end - 4) into end - 4
  const uint32_t c = rwkv::crc32(b.data() + begin, end - 4 - begin);
  for (int i = 0; i < 4; i++) b[end - 4 + size_t(i)] = uint8_t(c >> (8 * i));
}

void load(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::write_input(data, size);
  fuzz::expect_clean([&] {
    rwkv::SavedState s = rwkv::load_state_file(path, *g_model);
    std::vector<float> logits(size_t(g_model->info().n_vocab));
    const uint32_t token = 1;
    g_model->eval(s.state, {&token, 1}, logits.data());
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_model = testing::random_v4(16);  // as make_seeds.cpp saves them
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  load(data, size);
  // magic 8, version 4, fingerprint 8, held-back length 4 + text, logit count 4 + logits.
  std::vector<uint8_t> b(data, data + size);
  if (b.size() < 28) return 0;
  const uint64_t held = le32(&b[20]);
  if (held > b.size() - 28) return 0;
  const uint64_t n_logits = le32(&b[24 + held]);
  const uint64_t state_at = 28 + held + 4 * n_logits;
  if (n_logits > b.size() / 4 || state_at + 8 > b.size()) return 0;
  put_crc(b, state_at, b.size() - 4);
  put_crc(b, 0, b.size());
  load(b.data(), b.size());
  return 0;
}
