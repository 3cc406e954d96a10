// UTF-8 well-formedness with the Unicode "maximal subpart" rule (as Python's and WHATWG's
// decoders apply it): each maximal ill-formed subpart becomes one U+FFFD.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rwkv::text {

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// At s[0..n), n > 0: the length of a well-formed character (> 0); 0 when s is a proper
// prefix of one (more bytes may complete it); or minus the length of the maximal
// ill-formed subpart.
int utf8_sequence(const uint8_t* s, size_t n);

// Appends the well-formed UTF-8 of s to out, ill-formed subparts as U+FFFD. Returns the
// bytes consumed: all of s when `final`, else up to an unfinished character at the end.
size_t utf8_sanitize(std::string_view s, bool final, std::string& out);

// Streaming form: holds back an unfinished character between calls.
class Utf8Sanitizer {
 public:
  void push(std::string_view s, std::string& out);
  void flush(std::string& out);  // an unfinished character becomes U+FFFD
  void reset() { tail_.clear(); }
  const std::string& pending_bytes() const { return tail_; }

 private:
  std::string tail_;
};

// Decodes the character at s[i] of valid UTF-8; sets len.
inline uint32_t utf8_decode(const uint8_t* s, size_t& len) {
  const uint8_t b = s[0];
  if (b < 0x80) { len = 1; return b; }
  if (b < 0xE0) { len = 2; return (uint32_t(b & 0x1F) << 6) | (s[1] & 0x3F); }
  if (b < 0xF0) { len = 3; return (uint32_t(b & 0x0F) << 12) | (uint32_t(s[1] & 0x3F) << 6) | (s[2] & 0x3F); }
  len = 4;
  return (uint32_t(b & 0x07) << 18) | (uint32_t(s[1] & 0x3F) << 12) | (uint32_t(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

void utf8_append(uint32_t cp, std::string& out);

}  // namespace rwkv::text
