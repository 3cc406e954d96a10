#include "text/unicode.h"

#include <glib.h>

#include <memory>
#include <vector>

#include "rwkv/error.h"
#include "text/utf8.h"

namespace rwkv::text {

namespace {

// Characters that are the second half of a primary composite (they compose with a
// preceding starter): every canonical pair decomposition that composes back.
const std::vector<bool>& composes_backward() {
  static const std::vector<bool> table = [] {
    std::vector<bool> t(0x110000, false);
    for (gunichar c = 0; c < 0x110000; c++) {
      if (c >= 0xD800 && c < 0xE000) continue;
      gunichar a, b, x;
      if (g_unichar_decompose(c, &a, &b) && b != 0 && g_unichar_compose(a, b, &x) && x == c) t[b] = true;
    }
    return t;
  }();
  return table;
}

}  // namespace

CharClass char_class_slow(uint32_t cp) {
  switch (g_unichar_type(cp)) {
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
      return CharClass::Letter;
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return CharClass::Number;
    default:
      break;
  }
  // GLib's isspace is category-based; White_Space also has the controls VT and NEL.
  if (g_unichar_isspace(cp) || cp == 0x0B || cp == 0x85) return CharClass::Space;
  return CharClass::Other;
}

bool nfc_boundary_before_slow(uint32_t cp) {
  gunichar d[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  const gsize n = g_unichar_fully_decompose(cp, FALSE, d, G_UNICHAR_MAX_DECOMPOSITION_LENGTH);
  const gunichar first = n ? d[0] : cp;
  return g_unichar_combining_class(first) == 0 && !composes_backward()[first];
}

const uint8_t* bmp_properties() {
  static const std::vector<uint8_t> table = [] {
    std::vector<uint8_t> t(0x10000);
    for (uint32_t c = 0; c < 0x10000; c++) {
      if (c >= 0xD800 && c < 0xE000) continue;
      t[c] = uint8_t(uint8_t(char_class_slow(c)) | (nfc_boundary_before_slow(c) ? 4 : 0));
    }
    return t;
  }();
  return table.data();
}

namespace {

void normalize_into(std::string_view s, std::string& out) {
  std::unique_ptr<gchar, decltype(&g_free)> n(
      g_utf8_normalize(s.data(), gssize(s.size()), G_NORMALIZE_NFC), &g_free);
  if (!n) throw Error("NFC normalisation failed (invalid UTF-8)");
  out.append(n.get());
}

}  // namespace

void nfc_append(std::string_view s, std::string& out) {
  // ASCII is NFC already and every ASCII character is an NFC boundary, so only the
  // stretches of non-ASCII text (with the ASCII character before each, which a combining
  // mark may attach to) go through GLib. GLib stops at a NUL, so a NUL before a stretch is
  // left out of it (nothing composes with it).
  size_t i = 0, copied = 0;
  const size_t n = s.size();
  while (i < n) {
    if (uint8_t(s[i]) < 0x80) {
      i++;
      continue;
    }
    const size_t start = i > copied && s[i - 1] != '\0' ? i - 1 : i;
    out.append(s.substr(copied, start - copied));
    size_t end = i;
    while (end < n && uint8_t(s[end]) >= 0x80) end++;
    normalize_into(s.substr(start, end - start), out);
    i = copied = end;
  }
  out.append(s.substr(copied));
}

size_t last_nfc_boundary(std::string_view s, size_t from) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t i = s.size();
  while (i > from) {
    i--;
    while (i > from && (p[i] & 0xC0) == 0x80) i--;
    size_t len;
    if (nfc_boundary_before(utf8_decode(p + i, len))) return i;
  }
  return from;
}

}  // namespace rwkv::text
