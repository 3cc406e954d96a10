#include "text/byte_level.h"

#include <map>

#include "rwkv/error.h"
#include "text/utf8.h"

namespace rwkv::text {

const std::array<uint32_t, 256>& byte_to_unicode() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; b++) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[b] = printable ? b : next++;
    }
    return t;
  }();
  return table;
}

std::string byte_level_decode(std::string_view spelled) {
  static const std::map<uint32_t, uint8_t> inverse = [] {
    std::map<uint32_t, uint8_t> m;
    for (uint32_t b = 0; b < 256; b++) m[byte_to_unicode()[b]] = uint8_t(b);
    return m;
  }();
  std::string out;
  const auto* p = reinterpret_cast<const uint8_t*>(spelled.data());
  for (size_t i = 0; i < spelled.size();) {
    const int r = utf8_sequence(p + i, spelled.size() - i);
    if (r <= 0) throw Error("token '" + std::string(spelled) + "' is not valid UTF-8");
    size_t len;
    const uint32_t cp = utf8_decode(p + i, len);
    auto it = inverse.find(cp);
    if (it == inverse.end())
      throw Error("token '" + std::string(spelled) + "' has a character outside the byte-level alphabet");
    out += char(it->second);
    i += len;
  }
  return out;
}

}  // namespace rwkv::text
