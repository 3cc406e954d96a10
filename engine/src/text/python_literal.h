// Python string and bytes literals as repr() writes them ('...', "...", b'...'), the form
// the RWKV World vocabulary file stores its tokens in.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace rwkv::text {

// Parses the literal starting at s[pos]; returns its bytes (a str literal as UTF-8) and
// moves pos past the closing quote. Throws rwkv::Error naming the problem.
std::string parse_python_literal(std::string_view s, size_t& pos);

}  // namespace rwkv::text
