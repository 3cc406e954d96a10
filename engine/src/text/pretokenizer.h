// The GPT-2 / GPT-NeoX pre-tokenizer pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// as a direct matcher (leftmost-first alternation, as the reference regex engine runs it)
// that also knows when its answer depends on text not seen yet.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rwkv::text {

// Length in bytes of the pre-token at s[p] (p < n, s valid UTF-8). `closed`: the text ends
// at n. Otherwise returns 0 when more text could change the pre-token (a run reaching n, a
// contraction cut short, whitespace whose lookahead is unknown).
size_t pretoken_at(const uint8_t* s, size_t n, size_t p, bool closed);

}  // namespace rwkv::text
