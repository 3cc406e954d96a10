// Added tokens (special tokens, NeoX's runs of spaces) matched leftmost-longest in text,
// with the streaming rule: a position where a token may start once more text arrives is
// undecided, and so is everything after it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text/byte_trie.h"

namespace rwkv::text {

struct AddedMatch {
  size_t pos = 0;        // where the text before the next token (or undecided spot) ends
  size_t length = 0;     // the token's length; 0: no token at pos
  uint32_t id = 0;
  bool undecided = false;  // pos is where more text could start or lengthen a token
};

// Scans s from `from`. Without a token or undecided spot, pos = s.size().
AddedMatch find_added(const ByteTrie& tokens, std::string_view s, size_t from, bool final);

}  // namespace rwkv::text
