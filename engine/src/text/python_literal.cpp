#include "text/python_literal.h"

#include "rwkv/error.h"
#include "text/utf8.h"

namespace rwkv::text {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint32_t read_hex(std::string_view s, size_t& i, int digits) {
  uint32_t v = 0;
  for (int d = 0; d < digits; d++, i++) {
    const int h = i < s.size() ? hex_value(s[i]) : -1;
    if (h < 0) throw Error("bad \\x/\\u/\\U escape (needs " + std::to_string(digits) + " hex digits)");
    v = v * 16 + uint32_t(h);
  }
  return v;
}

}  // namespace

std::string parse_python_literal(std::string_view s, size_t& pos) {
  size_t i = pos;
  bool bytes = false;
  if (i < s.size() && (s[i] == 'b' || s[i] == 'B')) bytes = true, i++;
  if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) throw Error("expected a quoted literal");
  const char quote = s[i++];
  std::string out;
  for (;;) {
    if (i >= s.size()) throw Error("unterminated literal");
    const char c = s[i++];
    if (c == quote) break;
    if (c != '\\') {
      if (bytes && uint8_t(c) >= 0x80) throw Error("non-ASCII character in a bytes literal");
      out += c;
      continue;
    }
    if (i >= s.size()) throw Error("unterminated literal");
    const char e = s[i++];
    switch (e) {
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': {
        const uint32_t v = read_hex(s, i, 2);
        if (bytes) out += char(v);
        else utf8_append(v, out);  // in a str, \xHH is the code point U+00HH
        break;
      }
      case 'u':
      case 'U': {
        if (bytes) {  // not an escape in a bytes literal
          out += '\\';
          out += e;
          break;
        }
        const uint32_t v = read_hex(s, i, e == 'u' ? 4 : 8);
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
          throw Error("escape \\" + std::string(1, e) + " names no encodable character");
        utf8_append(v, out);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {  // octal, up to 3 digits
          uint32_t v = uint32_t(e - '0');
          for (int d = 0; d < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; d++) v = v * 8 + uint32_t(s[i++] - '0');
          if (bytes) out += char(v & 0xFF);
          else utf8_append(v, out);
        } else if (e == 'N' && !bytes) {
          throw Error("\\N{...} escapes are not supported");
        } else {  // Python keeps unknown escapes as they are
          out += '\\';
          out += e;
        }
    }
  }
  pos = i;
  return out;
}

}  // namespace rwkv::text
