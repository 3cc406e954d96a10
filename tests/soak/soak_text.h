// The soak's input: a base text (models/heldout.txt) cycled, each pass starting at a random
// offset, with a burst of 1-64 random bytes (any value: controls, invalid UTF-8) every 1-8 KiB,
// so the stream is mostly real prose the model predicts well plus input it does not expect.
#pragma once
#include <random>
#include <string>

namespace soak {

inline std::string make_text(const std::string& base, size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  out.reserve(bytes);
  size_t pos = rng() % base.size(), next_burst = 1024 + rng() % 7168;
  while (out.size() < bytes) {
    if (next_burst-- == 0) {
      for (size_t n = 1 + rng() % 64; n > 0 && out.size() < bytes; n--) out.push_back(char(rng() & 0xff));
      next_burst = 1024 + rng() % 7168;
      continue;
    }
    out.push_back(base[pos]);
    if (++pos == base.size()) pos = rng() % base.size();  // the next pass
  }
  return out;
}

}  // namespace soak
