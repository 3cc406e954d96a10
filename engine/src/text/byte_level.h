// GPT-2's byte-level alphabet: each byte maps to a printable code point, so that BPE
// vocabularies (tokenizer.json) can spell any byte string as text.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace rwkv::text {

// byte -> code point: printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100 upwards in byte order.
const std::array<uint32_t, 256>& byte_to_unicode();

// The bytes a byte-level spelled token stands for; throws naming a character outside the
// alphabet.
std::string byte_level_decode(std::string_view spelled);

}  // namespace rwkv::text
