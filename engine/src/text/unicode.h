// Unicode properties the NeoX tokenizer needs, from GLib: the character classes of the
// GPT-2 pre-tokenizer pattern and NFC normalisation with its stable boundaries.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace rwkv::text {

// \p{L}, \p{N}, \s (Unicode White_Space) or anything else.
enum class CharClass : uint8_t { Letter, Number, Space, Other };

CharClass char_class_slow(uint32_t cp);
const uint8_t* bmp_properties();  // per BMP code point: class (bits 0-1), NFC boundary (bit 2)

inline CharClass char_class(uint32_t cp) {
  return cp < 0x10000 ? CharClass(bmp_properties()[cp] & 3) : char_class_slow(cp);
}

// Whether NFC of text ending before cp is final whatever cp and the text after it are: cp
// starts (after decomposition) with a starter that composes with nothing before it.
bool nfc_boundary_before_slow(uint32_t cp);
inline bool nfc_boundary_before(uint32_t cp) {
  return cp < 0x10000 ? (bmp_properties()[cp] & 4) != 0 : nfc_boundary_before_slow(cp);
}

// Appends NFC(s) to out; s is valid UTF-8.
void nfc_append(std::string_view s, std::string& out);

// The start of the last character of valid UTF-8 s (of length > 0) at or after `from`
// that is an NFC boundary, or `from` when there is none.
size_t last_nfc_boundary(std::string_view s, size_t from);

}  // namespace rwkv::text
