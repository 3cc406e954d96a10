// Fuzzes rwkv::load_pth: PyTorch checkpoints (zip archive, pickle, storages); what loads is
// canonicalised and built into a Model. The loader checks the CRC-32 of data.pkl, so each
// input is also tried with the CRC-32s in its central directory recomputed: mutations of
// the pickle then reach the unpickler.
#include <vector>

#include "support/crc32.h"
#include "fuzz_common.h"
#include "fuzz_model.h"

namespace {

uint32_t le(const std::vector<uint8_t>& b, size_t at, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) v |= uint32_t(b[at + size_t(i)]) << (8 * i);
  return v;
}

// Sets each stored entry's CRC-32 (central header) to that of its bytes; false if nothing
// was changed or the archive is too damaged to walk.
bool fix_crcs(std::vector<uint8_t>& b) {
  if (b.size() < 22) return false;
  size_t end = b.size() - 22;
  while (end > 0 && le(b, end, 4) != 0x06054b50) end--;
  if (le(b, end, 4) != 0x06054b50) return false;
  const size_t count = le(b, end + 10, 2);
  size_t at = le(b, end + 16, 4);
  bool changed = false;
  for (size_t i = 0; i < count && at + 46 <= b.size() && le(b, at, 4) == 0x02014b50; i++) {
    const size_t size = le(b, at + 24, 4), local = le(b, at + 42, 4);
    const size_t next = at + 46 + le(b, at + 28, 2) + le(b, at + 30, 2) + le(b, at + 32, 2);
    if (local + 30 <= b.size()) {
      const size_t data = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
      if (data <= b.size() && size <= b.size() - data) {
        const uint32_t crc = rwkv::crc32(b.data() + data, size);
        if (crc != le(b, at + 16, 4)) {
          for (int k = 0; k < 4; k++) b[at + 16 + size_t(k)] = uint8_t(crc >> (8 * k));
          changed = true;
        }
      }
    }
    at = next;
  }
  return changed;
}

void load(const uint8_t* data, size_t size) {
  const std::string& path = fuzz::write_input(data, size);
  fuzz::expect_clean([&] { fuzz::build_model(rwkv::load_pth(path)); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  load(data, size);
  std::vector<uint8_t> b(data, data + size);
  if (fix_crcs(b)) load(b.data(), b.size());
  return 0;
}
