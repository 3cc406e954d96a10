#include "text/added_tokens.h"

namespace rwkv::text {

AddedMatch find_added(const ByteTrie& tokens, std::string_view sv, size_t from, bool final) {
  AddedMatch r;
  const auto* s = reinterpret_cast<const uint8_t*>(sv.data());
  const size_t n = sv.size();
  if (!tokens.empty())
    for (size_t i = from; i < n; i++) {
      if (!tokens.starts_key(s[i])) continue;
      const ByteTrie::Match m = tokens.longest(s + i, n - i);
      if (m.open && !final) {
        r.pos = i;
        r.undecided = true;
        return r;
      }
      if (m.length) {
        r.pos = i;
        r.length = m.length;
        r.id = m.value;
        return r;
      }
    }
  r.pos = n;
  return r;
}

}  // namespace rwkv::text
