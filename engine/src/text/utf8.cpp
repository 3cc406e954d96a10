#include "text/utf8.h"

#include <algorithm>

namespace rwkv::text {

int utf8_sequence(const uint8_t* s, size_t n) {
  const uint8_t b = s[0];
  if (b < 0x80) return 1;
  int need;
  uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b >= 0xC2 && b <= 0xDF) need = 1;
  else if (b == 0xE0) need = 2, lo = 0xA0;
  else if (b == 0xED) need = 2, hi = 0x9F;  // no surrogates
  else if (b >= 0xE1 && b <= 0xEF) need = 2;
  else if (b == 0xF0) need = 3, lo = 0x90;
  else if (b == 0xF4) need = 3, hi = 0x8F;  // nothing above U+10FFFF
  else if (b >= 0xF1 && b <= 0xF3) need = 3;
  else return -1;
  for (int i = 1; i <= need; i++) {
    if (size_t(i) >= n) return 0;
    const uint8_t c = s[i];
    if (i == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return -i;
  }
  return need + 1;
}

size_t utf8_sanitize(std::string_view sv, bool final, std::string& out) {
  const auto* s = reinterpret_cast<const uint8_t*>(sv.data());
  const size_t n = sv.size();
  size_t i = 0, copied = 0;  // s[copied..i) is well-formed and not yet appended
  while (i < n) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    const int r = utf8_sequence(s + i, n - i);
    if (r > 0) {
      i += size_t(r);
      continue;
    }
    out.append(sv.substr(copied, i - copied));
    if (r == 0 && !final) return i;
    out.append(kReplacement);
    i += r == 0 ? n - i : size_t(-r);
    copied = i;
  }
  out.append(sv.substr(copied, i - copied));
  return n;
}

void Utf8Sanitizer::push(std::string_view s, std::string& out) {
  if (!tail_.empty()) {
    // Resolve the held character with at most 3 new bytes. With 3 more bytes it is always
    // resolved (a held prefix plus 3 bytes is at least 4), so the scan stops past tail_.
    const size_t take = std::min<size_t>(s.size(), 3);
    const std::string joined = tail_ + std::string(s.substr(0, take));
    const size_t used = utf8_sanitize(joined, false, out);
    if (take == s.size()) {
      tail_ = joined.substr(used);
      return;
    }
    s.remove_prefix(used - tail_.size());
    tail_.clear();
  }
  const size_t used = utf8_sanitize(s, false, out);
  tail_.assign(s.substr(used));
}

void Utf8Sanitizer::flush(std::string& out) {
  if (!tail_.empty()) utf8_sanitize(tail_, true, out);
  tail_.clear();
}

void utf8_append(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

}  // namespace rwkv::text
