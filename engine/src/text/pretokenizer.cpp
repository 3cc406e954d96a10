#include "text/pretokenizer.h"

#include "text/unicode.h"
#include "text/utf8.h"

namespace rwkv::text {

namespace {

inline CharClass class_at(const uint8_t* s, size_t q, size_t& len) {
  if (s[q] < 0x80) {
    len = 1;
    return char_class(s[q]);
  }
  return char_class(utf8_decode(s + q, len));
}

// The end of the run of class k that starts at q.
size_t run_end(const uint8_t* s, size_t n, size_t q, CharClass k) {
  size_t len;
  while (q < n && class_at(s, q, len) == k) q += len;
  return q;
}

}  // namespace

size_t pretoken_at(const uint8_t* s, size_t n, size_t p, bool closed) {
  // 's 't 're 've 'm 'll 'd (case-sensitive)
  if (s[p] == '\'') {
    if (p + 1 >= n) {
      if (!closed) return 0;
    } else {
      const uint8_t c1 = s[p + 1];
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
      if (c1 == 'r' || c1 == 'v' || c1 == 'l') {
        if (p + 2 >= n) {
          if (!closed) return 0;
        } else if (s[p + 2] == (c1 == 'l' ? 'l' : 'e')) {
          return 3;
        }
      }
    }
  }
  size_t len;
  CharClass k = class_at(s, p, len);
  size_t q = p;
  // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': a space joins the run after it.
  if (s[p] == ' ') {
    if (p + 1 >= n) return closed ? 1 : 0;
    size_t len1;
    const CharClass k1 = class_at(s, p + 1, len1);
    if (k1 != CharClass::Space) q = p + 1, k = k1;
  }
  if (k != CharClass::Space) {
    const size_t e = run_end(s, n, q, k);
    return e >= n && !closed ? 0 : e - p;
  }
  // '\s+(?!\S)': whitespace up to, not including, the last one before a non-space;
  // '\s+': a single whitespace before a non-space.
  size_t e = p, last = p;
  while (e < n && class_at(s, e, len) == CharClass::Space) last = e, e += len;
  if (e >= n) return closed ? e - p : 0;
  return last > p ? last - p : e - p;
}

}  // namespace rwkv::text
